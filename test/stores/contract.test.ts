import { newValidation } from '../../services/domain/validations';
import { strict as assert } from 'node:assert';
import { once } from 'node:events';
import { connect, createServer, type AddressInfo, type Socket } from 'node:net';
import sinon from 'sinon';
import { LOCK_SECONDS, MAX_ATTEMPTS_PER_CODE, MAX_CONSECUTIVE_FAILURES, RECIPIENT_LIMIT, SEND_LIMIT } from '../../services/domain/rules';
import { createMongoStores } from '../../services/store/mongo';
import { DuplicateError, type CodeRecord, type LimitUse, type RollingLimit } from '../../services/store/types';
import { dropTestDatabase, testDatabaseName } from '../support/stores';
import { forEachStore } from './harness';

const company = (sigla: string, keyHash: string) => ({
  sigla,
  nome: `Companhia ${sigla}`,
  assistente: `Assistente ${sigla}`,
  site: `www.${sigla.toLowerCase()}.com.br`,
  remetente: `nao-responda@${sigla.toLowerCase()}.com.br`,
  keyHash,
  createdAt: new Date('2026-01-01T00:00:00Z'),
});

// Now, to the second: on a real MongoDB, a date in the past would let the TTL monitor remove
// documents in the middle of a test.
const T0 = new Date(Math.ceil(Date.now() / 1000) * 1000);
const at = (seconds: number) => new Date(T0.getTime() + seconds * 1000);
const KEY = { companyId: 'CAER', document: '02789078220', email: 'a@b.com' };
const code = (codeHash: string, over: Partial<CodeRecord> = {}): CodeRecord => ({
  ...KEY,
  codeHash,
  attempts: 0,
  createdAt: T0,
  expiresAt: at(600),
  ...over,
});

forEachStore('CompanyStore', (stores) => {
  it('finds a company by key hash and by sigla, and lists them without change', async () => {
    await stores().companies.insert(company('CAER', 'h1'));
    await stores().companies.insert(company('AGESPISA', 'h2'));
    assert.equal((await stores().companies.findByKeyHash('h1'))?.sigla, 'CAER');
    assert.equal((await stores().companies.findBySigla('AGESPISA'))?.keyHash, 'h2');
    assert.equal(await stores().companies.findByKeyHash('nope'), null);
    assert.deepEqual(
      (await stores().companies.list()).map((c) => c.sigla),
      ['AGESPISA', 'CAER'],
    );
    assert.deepEqual(await stores().companies.findBySigla('CAER'), company('CAER', 'h1'));
  });

  it('refuses a second company with the same sigla or key hash', async () => {
    await stores().companies.insert(company('CAER', 'h1'));
    await assert.rejects(stores().companies.insert(company('CAER', 'h9')), DuplicateError);
    await assert.rejects(stores().companies.insert(company('OUTRA', 'h1')), DuplicateError);
  });

  it('rotates a key: the old hash stops finding the company at once', async () => {
    await stores().companies.insert(company('CAER', 'old'));
    assert.equal(await stores().companies.setKeyHash('CAER', 'new'), true);
    assert.equal(await stores().companies.findByKeyHash('old'), null);
    assert.equal((await stores().companies.findByKeyHash('new'))?.sigla, 'CAER');
    assert.equal(await stores().companies.setKeyHash('NENHUMA', 'x'), false);
  });

  it('rotates a key keeping the previous one until a time, and only the latest previous one', async () => {
    const clock = sinon.useFakeTimers({ now: T0, toFake: ['Date'] });
    try {
      await stores().companies.insert(company('CAER', 'first'));
      assert.equal(await stores().companies.setKeyHash('CAER', 'second', at(3600)), true);
      assert.equal((await stores().companies.findByKeyHash('first'))?.sigla, 'CAER', 'kept');
      assert.equal((await stores().companies.findByKeyHash('second'))?.sigla, 'CAER');
      assert.equal((await stores().companies.findBySigla('CAER'))?.previousKeyUntil?.getTime(), at(3600).getTime());

      await stores().companies.setKeyHash('CAER', 'third', at(1800));
      assert.equal(await stores().companies.findByKeyHash('first'), null, 'a key kept from an earlier rotation stops');
      assert.equal((await stores().companies.findByKeyHash('second'))?.sigla, 'CAER');
      clock.tick(1800_000);
      assert.equal(await stores().companies.findByKeyHash('second'), null, 'not past its time');
      assert.equal((await stores().companies.findByKeyHash('third'))?.sigla, 'CAER');
    } finally {
      clock.restore();
    }
  });

  it('changes a destination keeping the previous secret until a time, only the latest one, and only when there was one', async () => {
    const target = (secret: string) => ({ url: 'https://gsan.exemplo.com.br/v', secret, configuredAt: T0 });
    const secretsOf = async () => {
      const n = (await stores().companies.findBySigla('CAER'))?.notification;
      return n && { secret: n.secret, previousSecret: n.previousSecret ?? null, previousSecretUntil: n.previousSecretUntil?.getTime() ?? null };
    };
    await stores().companies.insert(company('CAER', 'h1'));
    assert.equal(await stores().companies.setNotification('CAER', target('s1'), at(3600)), true);
    assert.deepEqual(await secretsOf(), { secret: 's1', previousSecret: null, previousSecretUntil: null }, 'nothing to keep');
    await stores().companies.setNotification('CAER', target('s2'), at(3600));
    assert.deepEqual(await secretsOf(), { secret: 's2', previousSecret: 's1', previousSecretUntil: at(3600).getTime() });
    await stores().companies.setNotification('CAER', target('s3'), at(1800));
    assert.deepEqual(await secretsOf(), { secret: 's3', previousSecret: 's2', previousSecretUntil: at(1800).getTime() }, 's1 is gone');
    await stores().companies.setNotification('CAER', target('s4'));
    assert.deepEqual(await secretsOf(), { secret: 's4', previousSecret: null, previousSecretUntil: null }, 'without a time, at once');
    assert.equal(await stores().companies.setNotification('NENHUMA', target('x'), at(60)), false);
  });

  it('replaces the secrets only while they are still the ones read', async () => {
    await stores().companies.insert(company('CAER', 'h1'));
    await stores().companies.setNotification('CAER', { url: 'https://gsan.exemplo.com.br/v', secret: 's1', configuredAt: T0 });
    await stores().companies.setNotification('CAER', { url: 'https://gsan.exemplo.com.br/v', secret: 's2', configuredAt: T0 }, at(60));
    const read = (await stores().companies.findBySigla('CAER'))!.notification!;
    const to = { secret: 'S2', previousSecret: 'S1', previousSecretUntil: at(60) };
    assert.equal(await stores().companies.replaceSecrets('CAER', { ...read, previousSecret: 'other' }, to), false, 'another previous secret');
    assert.equal(await stores().companies.replaceSecrets('CAER', { ...read, secret: 'other' }, to), false, 'another secret');
    assert.equal(await stores().companies.replaceSecrets('CAER', read, to), true);
    assert.deepEqual((await stores().companies.findBySigla('CAER'))!.notification, { ...read, ...to });
    const dropped = { secret: 'S2', previousSecret: null, previousSecretUntil: null };
    assert.equal(await stores().companies.replaceSecrets('CAER', read, dropped), false, 'no longer what was read');
    assert.equal(await stores().companies.replaceSecrets('CAER', to, dropped), true);
    assert.equal((await stores().companies.findBySigla('CAER'))!.notification!.previousSecret, null);
    assert.equal(await stores().companies.replaceSecrets('NENHUMA', to, dropped), false);
  });
});

forEachStore('ClientStore', (stores) => {
  const client = (document: string, email: string | null, companyId = 'CAER') => ({
    companyId,
    document,
    nome: `Cliente ${document}`,
    email,
  });

  it('upserts by company and document, counting inserts and updates', async () => {
    const first = await stores().clients.upsertMany([client('02789078220', null), client('29378722040', 'a@b.com')]);
    assert.deepEqual(first, { inserted: 2, updated: 0 });
    const second = await stores().clients.upsertMany([client('02789078220', 'x@y.com'), client('02789078220', null, 'OUTRA')]);
    assert.deepEqual(second, { inserted: 1, updated: 1 });
    assert.equal((await stores().clients.find('CAER', '02789078220'))?.email, 'x@y.com');
    assert.equal((await stores().clients.find('OUTRA', '02789078220'))?.email, null);
    assert.equal(await stores().clients.find('OUTRA', '29378722040'), null);
    assert.deepEqual(await stores().clients.upsertMany([]), { inserted: 0, updated: 0 });
  });

  it('marks an email validated, storing it when the client had none', async () => {
    await stores().clients.upsertMany([client('02789078220', null)]);
    const marked = await stores().clients.markEmailValidated('CAER', '02789078220', newValidation('Novo@X.com', T0, 'webhook', false));
    assert.deepEqual(marked, { ...client('02789078220', 'Novo@X.com'), emailValidatedAt: T0 });
    assert.deepEqual(await stores().clients.find('CAER', '02789078220'), marked);
  });

  it('marks the registered email validated whatever its case, and refuses another email', async () => {
    await stores().clients.upsertMany([client('29378722040', 'a@b.com')]);
    assert.equal((await stores().clients.markEmailValidated('CAER', '29378722040', newValidation('A@B.com', T0, 'webhook', false)))?.emailValidatedAt?.getTime(), T0.getTime());
    assert.equal(await stores().clients.markEmailValidated('CAER', '29378722040', newValidation('outro@b.com', T0, 'webhook', false)), null);
    assert.equal(await stores().clients.markEmailValidated('CAER', '00000000191', newValidation('a@b.com', T0, 'webhook', false)), null);
  });

  it('keeps a validation through a re-import of the same email, and drops it for a new one', async () => {
    await stores().clients.upsertMany([client('29378722040', 'a@b.com')]);
    await stores().clients.markEmailValidated('CAER', '29378722040', newValidation('a@b.com', T0, 'webhook', false));
    await stores().clients.upsertMany([client('29378722040', 'A@b.com')]);
    assert.equal((await stores().clients.find('CAER', '29378722040'))?.emailValidatedAt?.getTime(), T0.getTime());
    await stores().clients.upsertMany([client('29378722040', 'c@d.com')]);
    assert.equal((await stores().clients.find('CAER', '29378722040'))?.emailValidatedAt, null);
  });
});

forEachStore('CodeStore', (stores) => {
  it('keeps one live code per company, client and email: a new one replaces the old', async () => {
    await stores().codes.replace(code('h1'));
    await stores().codes.replace(code('h2'));
    assert.equal((await stores().codes.findLive(KEY, T0, MAX_ATTEMPTS_PER_CODE))?.codeHash, 'h2');
    assert.equal(await stores().codes.consume(KEY, 'h1', T0, MAX_ATTEMPTS_PER_CODE), false);
    assert.equal(await stores().codes.findLive({ ...KEY, email: 'outro@b.com' }, T0, MAX_ATTEMPTS_PER_CODE), null);
  });

  it('checks expiry in the query: live at 9 min 59 s, gone at 10 min', async () => {
    await stores().codes.replace(code('h1'));
    assert.ok(await stores().codes.findLive(KEY, at(599), MAX_ATTEMPTS_PER_CODE));
    assert.equal(await stores().codes.findLive(KEY, at(600), MAX_ATTEMPTS_PER_CODE), null);
    assert.equal(await stores().codes.consume(KEY, 'h1', at(600), MAX_ATTEMPTS_PER_CODE), false);
    assert.equal(await stores().codes.addWrongAttempt(KEY, 'h1', at(600), MAX_ATTEMPTS_PER_CODE), null);
    assert.equal(await stores().codes.consume(KEY, 'h1', at(599), MAX_ATTEMPTS_PER_CODE), true);
  });

  it('consumes a code once, even under concurrency', async () => {
    await stores().codes.replace(code('h1'));
    const results = await Promise.all(Array.from({ length: 50 }, () => stores().codes.consume(KEY, 'h1', T0, MAX_ATTEMPTS_PER_CODE)));
    assert.equal(results.filter(Boolean).length, 1);
    assert.equal(await stores().codes.findLive(KEY, T0, MAX_ATTEMPTS_PER_CODE), null);
  });

  it('counts wrong tries atomically and never past the limit', async () => {
    await stores().codes.replace(code('h1'));
    const results = await Promise.all(Array.from({ length: 50 }, () => stores().codes.addWrongAttempt(KEY, 'h1', T0, MAX_ATTEMPTS_PER_CODE)));
    assert.deepEqual(
      results.filter((r) => r !== null).sort((a, b) => a - b),
      Array.from({ length: MAX_ATTEMPTS_PER_CODE }, (_, i) => i + 1),
    );
    assert.equal(await stores().codes.findLive(KEY, T0, MAX_ATTEMPTS_PER_CODE), null);
    assert.equal(await stores().codes.consume(KEY, 'h1', T0, MAX_ATTEMPTS_PER_CODE), false);
  });

  it('does not count a wrong try against a code that was replaced', async () => {
    await stores().codes.replace(code('h1'));
    await stores().codes.replace(code('h2'));
    assert.equal(await stores().codes.addWrongAttempt(KEY, 'h1', T0, MAX_ATTEMPTS_PER_CODE), null);
    assert.equal((await stores().codes.findLive(KEY, T0, MAX_ATTEMPTS_PER_CODE))?.attempts, 0);
  });
});

forEachStore('LimitStore', (stores) => {
  let clock: sinon.SinonFakeTimers;
  beforeEach(() => {
    clock = sinon.useFakeTimers({ now: T0, toFake: ['Date'] });
  });
  afterEach(() => clock.restore());
  const client = 'CAER:02789078220';

  const minutes = (n: number) => n * 60_000;
  /** A rolling limit with an interval, as the sends' (services/domain/rules.ts): the scenarios below are told in its numbers. */
  const SENDS: RollingLimit = { name: 'send', max: 5, windowSeconds: 60 * 60, intervalSeconds: 60 };
  const take = (key = client) => stores().limits.take(SENDS, key);
  const taken = async (key = client) => (await take(key)).ok;
  const wait = async (key = client) => {
    const t = await take(key);
    return t.ok ? 0 : t.waitSeconds;
  };
  const lockSeconds = async () => (await stores().limits.clientLock(client)).seconds;

  it('allows one send a minute, and answers the seconds to wait', async () => {
    assert.ok(await taken());
    clock.tick(15_000);
    assert.equal(await wait(), 45);
    assert.ok(await taken('CAER:29378722040'), 'per client');
    clock.tick(45_000);
    assert.ok(await taken());
  });

  it('allows five sends in any rolling hour, not per clock hour: minutes 0 and 56–59, then 60, then none until 116', async () => {
    // A fixed hour would reset at minute 60 and let 61, 62, 63 and 64 through as well.
    assert.ok(await taken());
    for (const minute of [56, 57, 58, 59]) {
      clock.tick(minute === 56 ? minutes(56) : minutes(1));
      assert.ok(await taken(), `minute ${minute}`);
    }
    clock.tick(minutes(1));
    assert.ok(await taken(), 'minute 60: the send of minute 0 has left the window');
    for (const minute of [61, 62, 63, 64]) {
      clock.tick(minutes(1));
      assert.equal(await wait(), (56 + 60 - minute) * 60, `minute ${minute}: until the send of minute 56 leaves`);
    }
    clock.tick(minutes(116 - 64) - 1000);
    assert.equal(await wait(), 1, 'a second before minute 116');
    clock.tick(1000);
    assert.ok(await taken(), 'minute 116');
  });

  it('gives back a use whose mail failed, and only that one', async () => {
    const first = await take();
    assert.ok(first.ok);
    await stores().limits.giveBack(SENDS, client, first.at);
    assert.ok(await taken(), 'as if the failed send never happened');
    clock.tick(15_000);
    assert.equal(await wait(), 45, 'the send that went out still counts');
  });

  it('lets one of many simultaneous sends through', async () => {
    const answers = await Promise.all(Array.from({ length: 20 }, () => take()));
    assert.equal(answers.filter((t) => t.ok).length, 1);
  });

  it('holds a limit without interval to its count: the codes to one address in any rolling window', async () => {
    const address = 'hash-of-victim@third.party';
    for (let i = 0; i < RECIPIENT_LIMIT.max; i++) assert.ok((await stores().limits.take(RECIPIENT_LIMIT, address)).ok);
    const refused = await stores().limits.take(RECIPIENT_LIMIT, address);
    assert.deepEqual(refused, { ok: false, waitSeconds: RECIPIENT_LIMIT.windowSeconds });
    clock.tick(RECIPIENT_LIMIT.windowSeconds * 1000);
    assert.ok((await stores().limits.take(RECIPIENT_LIMIT, address)).ok);
  });

  describe('a rolling window counted per second (a company\'s lookups)', () => {
    const perMinute = { name: 'lookups', max: 3, windowSeconds: 60 };
    const count = (key = 'CAER') => stores().limits.count(perMinute, key);
    const toSecond = (s: number) => clock.tick(60_000 - (Date.now() % 60_000) + s * 1000); // s seconds into the next minute

    it('holds any 60 s to `max`, across a minute\'s edge too: no burst of twice the limit', async () => {
      toSecond(59.5);
      for (let i = 0; i < 3; i++) assert.equal(await count(), 0);
      assert.equal(await count('AGESPISA'), 0, 'per key');
      clock.tick(1000); // the next minute has begun: a fixed minute would start over here
      assert.equal(await count(), 59, 'until the first three have left the window');
      clock.tick(58_500);
      assert.equal(await count(), 1, '59.5 s after them');
      clock.tick(1500);
      assert.equal(await count(), 0, 'they have left the window');
    });

    it('counts what it refused as nothing, and makes room as each second leaves', async () => {
      toSecond(10);
      assert.equal(await count(), 0);
      clock.tick(20_000);
      assert.equal(await count(), 0);
      assert.equal(await count(), 0);
      for (let i = 0; i < 5; i++) assert.equal(await count(), 40, 'refused, and not counted');
      clock.tick(40_000);
      assert.equal(await count(), 0, 'the use of second 10 has left: room for one');
      assert.equal(await count(), 20, 'then the two of second 30 hold it');
    });

    it('lets exactly `max` of many simultaneous uses through', async () => {
      toSecond(5);
      const answers = await Promise.all(Array.from({ length: 20 }, () => count()));
      assert.equal(answers.filter((wait) => wait === 0).length, 3);
    });
  });

  it('keeps at most `max` distinct members, any number of times each, until the set is forgotten', async () => {
    const documents = { name: 'docs', max: 3, keepSeconds: 3600 };
    for (const member of ['a', 'b', 'a', 'c', 'c']) assert.equal(await stores().limits.addDistinct(documents, 'conv-1', member), 0, member);
    clock.tick(minutes(10));
    assert.equal(await stores().limits.addDistinct(documents, 'conv-1', 'd'), 3600 - 600);
    assert.equal(await stores().limits.addDistinct(documents, 'conv-1', 'b'), 0, 'one already there');
    assert.equal(await stores().limits.addDistinct(documents, 'conv-2', 'd'), 0, 'per key');
    clock.tick(minutes(60));
    assert.equal(await stores().limits.addDistinct(documents, 'conv-1', 'd'), 0, 'forgotten an hour after the last addition');
  });

  it('counts several uses at once, each on its own: one refused leaves the others taken, for the caller to give back', async () => {
    const documents = { name: 'docs', max: 1, keepSeconds: 3600 };
    const send = { limit: SEND_LIMIT, key: client };
    const recipient = { limit: RECIPIENT_LIMIT, key: 'mailbox' };
    const answers = async (...uses: LimitUse[]) => (await stores().limits.takeAll(uses)).map((t) => (t.ok ? t.at.getTime() : t.waitSeconds));
    assert.deepEqual(await answers(send, recipient, { limit: documents, key: 'conv', member: 'a' }), [T0.getTime(), T0.getTime(), T0.getTime()]);
    clock.tick(15_000);
    const now = T0.getTime() + 15_000;
    assert.deepEqual(await answers(send, recipient, { limit: documents, key: 'conv', member: 'b' }), [45, now, 3600 - 15]);
    assert.deepEqual(await answers({ limit: documents, key: 'conv', member: 'a' }, recipient), [now, now], 'a member already there; the third use');
    assert.deepEqual(await answers(recipient), [3600 - 15]);
    await stores().limits.giveBack(RECIPIENT_LIMIT, 'mailbox', new Date(now));
    assert.deepEqual(await answers(recipient, send), [now, 45], 'given back: taken again; the send of T0 still counts');
    assert.deepEqual(await stores().limits.takeAll([]), []);
  });

  it('reads the lock and whether failures are counted, together', async () => {
    assert.deepEqual(await stores().limits.clientLock(client), { seconds: 0, failures: false });
    await stores().limits.addFailure(client);
    assert.deepEqual(await stores().limits.clientLock(client), { seconds: 0, failures: true });
    await stores().limits.clearFailures(client);
    assert.deepEqual(await stores().limits.clientLock(client), { seconds: 0, failures: false });
    for (let i = 0; i < 20; i++) await stores().limits.addFailure(client);
    assert.deepEqual(await stores().limits.clientLock(client), { seconds: 24 * 3600, failures: false }, 'locked, the count started afresh');
  });

  const BELOW_LOCK = MAX_CONSECUTIVE_FAILURES - 1;
  const HOUR = 3600;

  it(`locks a client for ${LOCK_SECONDS / HOUR} h at the ${MAX_CONSECUTIVE_FAILURES}th consecutive failure; a success clears the count`, async () => {
    for (let i = 0; i < BELOW_LOCK; i++) assert.equal(await stores().limits.addFailure(client), 0);
    await stores().limits.clearFailures(client);
    for (let i = 0; i < BELOW_LOCK; i++) assert.equal(await stores().limits.addFailure(client), 0);
    assert.equal(await lockSeconds(), 0);
    assert.equal(await stores().limits.addFailure(client), LOCK_SECONDS);
    clock.tick(HOUR * 1000);
    assert.equal(await lockSeconds(), LOCK_SECONDS - HOUR);
    clock.tick((LOCK_SECONDS - HOUR) * 1000);
    assert.equal(await lockSeconds(), 0);
  });

  it('keeps counting failures across days, until a success', async () => {
    for (let i = 0; i < BELOW_LOCK; i++) {
      assert.equal(await stores().limits.addFailure(client), 0);
      clock.tick(6 * HOUR * 1000);
    }
    assert.equal(await stores().limits.addFailure(client), LOCK_SECONDS);
  });

  it('starts counting afresh once a lock is over, and locks again at the next count', async () => {
    for (let i = 0; i < MAX_CONSECUTIVE_FAILURES; i++) await stores().limits.addFailure(client);
    clock.tick(LOCK_SECONDS * 1000);
    assert.equal(await lockSeconds(), 0);
    for (let i = 0; i < BELOW_LOCK; i++) assert.equal(await stores().limits.addFailure(client), 0);
    assert.equal(await stores().limits.addFailure(client), LOCK_SECONDS);
    assert.equal(await lockSeconds(), LOCK_SECONDS);
  });
});

/**
 * `ping`, what `/ready` asks, is answered by the database itself: reached through a relay on
 * loopback, it answers while the relay carries it and fails once the relay is gone. (The in-memory
 * twin has no database to lose.) Needs a `MONGODB_URI` of one host and port, without credentials.
 */
describe('ping [MongoDB]', () => {
  const server = /^mongodb:\/\/([^/@,?]+):(\d+)\/?$/.exec(process.env.MONGODB_URI ?? '');
  before(function () {
    if (!server) this.skip();
  });

  it('is answered by the database, and fails once the database cannot be reached', async () => {
    const relay = await startRelay(server![1], Number(server![2]));
    const dbName = testDatabaseName();
    const stores = await createMongoStores({ uri: `mongodb://127.0.0.1:${relay.port}/?directConnection=true`, dbName, timeoutMs: 1000 });
    try {
      await stores.ping();
      await relay.close();
      await assert.rejects(stores.ping());
    } finally {
      await stores.close();
      await dropTestDatabase(dbName);
    }
  });
});

/** A TCP relay on loopback to `host:port`; `close()` stops it and cuts every connection it carries. */
async function startRelay(host: string, port: number): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const keep = (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => socket.destroy());
  };
  const relay = createServer((client) => {
    const upstream = connect(port, host);
    keep(client);
    keep(upstream);
    client.pipe(upstream).pipe(client);
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });
  relay.listen(0, '127.0.0.1');
  await once(relay, 'listening');
  return {
    port: (relay.address() as AddressInfo).port,
    close: async () => {
      const closed = new Promise((resolve) => relay.close(resolve));
      for (const socket of sockets) socket.destroy();
      await closed;
    },
  };
}
