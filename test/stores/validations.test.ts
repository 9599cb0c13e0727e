import { strict as assert } from 'node:assert';
import type { ClaimedValidation, ExportRow, Stores } from '../../services/store/types';
import { newValidation } from '../../services/domain/validations';
import { MAX_ATTEMPTS_PER_CODE } from '../../services/domain/rules';
import { forEachStore } from './harness';

/** The validation records and the delivery of their notifications, held to one contract on every store. */

// Now, to the second, and times after it: a store may compare with its own clock.
const T0 = new Date(Math.ceil(Date.now() / 1000) * 1000);
const at = (seconds: number) => new Date(T0.getTime() + seconds * 1000);
const LEASE = at(3600);
const MARIA = '02789078220';
const JOAO = '29378722040';

async function seed(stores: Stores) {
  await stores.clients.upsertMany([
    { companyId: 'CAER', document: MARIA, nome: 'Maria', email: null },
    { companyId: 'CAER', document: JOAO, nome: 'João', email: 'joao@x.com' },
    { companyId: 'OUTRA', document: MARIA, nome: 'Maria', email: null },
  ]);
}

const validate = (stores: Stores, document: string, email: string, seconds: number, notify = true, companyId = 'CAER') =>
  stores.clients.markEmailValidated(companyId, document, newValidation(email, at(seconds), 'webhook', notify));

forEachStore('ValidationStore', (stores) => {
  beforeEach(() => seed(stores()));

  it('records a validation in the same update as the validated email, and none when the email is another', async () => {
    const client = await validate(stores(), MARIA, 'Maria@X.com', 0);
    assert.deepEqual(client, { companyId: 'CAER', document: MARIA, nome: 'Maria', email: 'Maria@X.com', emailValidatedAt: at(0) });
    assert.equal(await validate(stores(), JOAO, 'outro@x.com', 0), null);
    assert.deepEqual(await stores().validations.list('CAER', JOAO), []);
    const [record] = await stores().validations.list('CAER', MARIA);
    assert.deepEqual({ ...record, eventId: 'x' }, {
      eventId: 'x',
      email: 'Maria@X.com',
      validatedAt: at(0),
      origin: 'webhook',
      delivery: 'pending',
      attempts: 0,
      queuedAt: at(0),
      nextAttemptAt: at(0),
      lastError: null,
      deliveredAt: null,
    });
  });

  it('keeps the validations through a re-import of the client', async () => {
    await validate(stores(), MARIA, 'maria@x.com', 0);
    await stores().clients.upsertMany([{ companyId: 'CAER', document: MARIA, nome: 'Maria S.', email: 'nova@x.com' }]);
    assert.equal((await stores().validations.list('CAER', MARIA)).length, 1);
  });

  it('leases the client whose next validation is due, one lease at a time, in the order they happened', async () => {
    await validate(stores(), MARIA, 'maria@x.com', 0);
    await validate(stores(), MARIA, 'maria@x.com', 1);
    await validate(stores(), JOAO, 'joao@x.com', 2);
    const v = stores().validations;
    assert.equal(await v.claim(['CAER'], at(-1), 'a', LEASE), null, 'nothing is due before it happened');

    const first = await v.claim(['CAER'], at(5), 'a', LEASE);
    assert.equal(first?.document, MARIA);
    assert.equal(first.validation.validatedAt.getTime(), at(0).getTime());
    // Maria is leased: the next claim takes João, and then nothing is left.
    const second = await v.claim(['CAER'], at(5), 'b', LEASE);
    assert.equal(second?.document, JOAO);
    assert.equal(await v.claim(['CAER'], at(5), 'c', LEASE), null);

    assert.equal(await v.settle(first, { kind: 'delivered' }, at(6)), true);
    const third = await v.claim(['CAER'], at(6), 'c', LEASE);
    assert.equal(third?.validation.validatedAt.getTime(), at(1).getTime(), "Maria's second validation comes after her first");
    const records = await v.list('CAER', MARIA);
    assert.deepEqual(records.map((r) => [r.delivery, r.attempts, r.deliveredAt?.getTime() ?? null]), [
      ['delivered', 1, at(6).getTime()],
      ['pending', 0, null],
    ]);
  });

  it('holds the next validations back while the first waits for its retry, and lets them go when it fails for good', async () => {
    await validate(stores(), MARIA, 'maria@x.com', 0);
    await validate(stores(), MARIA, 'maria@x.com', 1);
    const v = stores().validations;
    const first = (await v.claim(['CAER'], at(5), 'a', LEASE))!;
    await v.settle(first, { kind: 'retry', at: at(60), error: 'HTTP 500' }, at(5));
    assert.equal(await v.claim(['CAER'], at(30), 'a', LEASE), null, 'not before its retry, and the second waits for it');
    const again = (await v.claim(['CAER'], at(60), 'a', LEASE))!;
    assert.equal(again.validation.eventId, first.validation.eventId);
    assert.equal(again.validation.lastError, 'HTTP 500');
    await v.settle(again, { kind: 'failed', error: 'HTTP 400' }, at(61));
    const next = (await v.claim(['CAER'], at(61), 'a', LEASE))!;
    assert.equal(next.validation.validatedAt.getTime(), at(1).getTime());
  });

  it('delivers a validation recorded while the one before it was being delivered, right after it', async () => {
    await validate(stores(), MARIA, 'maria@x.com', 0);
    const v = stores().validations;
    const first = (await v.claim(['CAER'], at(5), 'a', LEASE))!;
    await validate(stores(), MARIA, 'maria@x.com', 6);
    await v.settle(first, { kind: 'delivered' }, at(7));
    assert.equal((await v.claim(['CAER'], at(7), 'a', LEASE))?.validation.validatedAt.getTime(), at(6).getTime());
  });

  it('lets a validation queued again while a later one is being retried go first, without waiting for that retry', async () => {
    await validate(stores(), MARIA, 'maria@x.com', 0);
    await validate(stores(), MARIA, 'maria@x.com', 1);
    const v = stores().validations;
    const first = (await v.claim(['CAER'], at(5), 'a', LEASE))!;
    await v.settle(first, { kind: 'failed', error: 'HTTP 400' }, at(5));
    const second = (await v.claim(['CAER'], at(6), 'a', LEASE))!;
    assert.equal(await v.requeue('CAER', at(0), at(1), at(7)), 1);
    await v.settle(second, { kind: 'retry', at: at(3600), error: 'HTTP 500' }, at(8));
    assert.equal((await v.claim(['CAER'], at(9), 'a', LEASE))?.validation.eventId, first.validation.eventId);
  });

  it('gives a lapsed lease to another instance; the first one can no longer record a result', async () => {
    await validate(stores(), MARIA, 'maria@x.com', 0);
    const v = stores().validations;
    const a = (await v.claim(['CAER'], at(5), 'a', at(10)))!;
    assert.equal(await v.claim(['CAER'], at(9), 'b', at(100)), null);
    const b = (await v.claim(['CAER'], at(11), 'b', at(100)))!;
    assert.equal(b.validation.eventId, a.validation.eventId);
    assert.equal(await v.settle(a, { kind: 'delivered' }, at(12)), false);
    assert.equal(await v.settle(b, { kind: 'delivered' }, at(12)), true);
    assert.equal(await v.claim(['CAER'], at(13), 'a', LEASE), null);
  });

  it('gives a lease back without counting an attempt', async () => {
    await validate(stores(), MARIA, 'maria@x.com', 0);
    const v = stores().validations;
    const claim: ClaimedValidation = (await v.claim(['CAER'], at(5), 'a', LEASE))!;
    assert.equal(await v.settle(claim, { kind: 'release' }, at(5)), true);
    const again = (await v.claim(['CAER'], at(5), 'b', LEASE))!;
    assert.equal(again.validation.attempts, 0);
  });

  it('settles a claim by what it carries: a copy of it records the result as the claim itself would', async () => {
    // Twelve clients, each settled from a copy of its claim (as a queue or another process would
    // hand it back) to wait an hour for its retry; then Maria's validation is the one due.
    const documents = Array.from({ length: 12 }, (_, i) => String(10_000_000_000 + i));
    await stores().clients.upsertMany(documents.map((document) => ({ companyId: 'CAER', document, nome: 'Cliente', email: null })));
    for (const document of documents) await validate(stores(), document, 'cliente@x.com', 0);
    const v = stores().validations;
    const settledFromCopies = new Set<string>();
    for (let i = 0; i < documents.length; i++) {
      const claim = (await v.claim(['CAER'], at(5), 'a', LEASE))!;
      assert.equal(await v.settle(structuredClone(claim), { kind: 'retry', at: at(3600), error: 'HTTP 500' }, at(5)), true);
      settledFromCopies.add(claim.document);
    }
    assert.equal(settledFromCopies.size, documents.length);
    await validate(stores(), MARIA, 'maria@x.com', 6);
    assert.equal((await v.claim(['CAER'], at(10), 'a', LEASE))?.document, MARIA, 'none of the twelve stands in its way');
  });

  it('finds the one validation due behind any number of clients whose next one waits for its retry', async () => {
    // Twelve clients each wait an hour for the retry of their first validation and hold a second one
    // back (recorded at 1 s); Maria's, recorded at 2 s, is the only one due: every claim finds it, as
    // long as there are clients before it in the order they happened.
    const documents = Array.from({ length: 12 }, (_, i) => String(20_000_000_000 + i));
    await stores().clients.upsertMany(documents.map((document) => ({ companyId: 'CAER', document, nome: 'Cliente', email: null })));
    const v = stores().validations;
    for (const document of documents) {
      await validate(stores(), document, 'cliente@x.com', 0);
      const claim = (await v.claim(['CAER'], at(5), 'a', LEASE))!;
      assert.equal(claim.document, document);
      await v.settle(claim, { kind: 'retry', at: at(3600), error: 'HTTP 500' }, at(5));
    }
    for (const document of documents) await validate(stores(), document, 'cliente@x.com', 1);
    await validate(stores(), MARIA, 'maria@x.com', 2);
    assert.equal((await v.claim(['CAER'], at(5), 'a', LEASE))?.document, MARIA);
    assert.equal(await v.claim(['CAER'], at(5), 'b', LEASE), null, 'and nothing else is due');
  });

  it('claims only for the companies asked, and never a validation recorded without a destination', async () => {
    await validate(stores(), MARIA, 'maria@x.com', 0, true, 'OUTRA');
    await validate(stores(), JOAO, 'joao@x.com', 0, false);
    assert.equal(await stores().validations.claim(['CAER'], at(5), 'a', LEASE), null);
    assert.equal((await stores().validations.claim(['OUTRA'], at(5), 'a', LEASE))?.companyId, 'OUTRA');
  });

  it('counts the backlog per company, and queues again the failed and unsent validations of a period only', async () => {
    await validate(stores(), MARIA, 'maria@x.com', 0);
    await validate(stores(), MARIA, 'maria@x.com', 100);
    await validate(stores(), JOAO, 'joao@x.com', 50, false);
    const v = stores().validations;
    const c = (await v.claim(['CAER'], at(200), 'a', LEASE))!;
    await v.settle(c, { kind: 'failed', error: 'HTTP 400' }, at(200));
    assert.deepEqual(await v.backlog(), [{ companyId: 'CAER', pending: 1, failed: 1, oldestPendingSince: at(100) }]);

    // [0 s, 60 s): Maria's failed one; João's unsent one (50 s) too; not Maria's pending one (100 s).
    assert.equal(await v.requeue('CAER', at(0), at(60), at(300)), 2);
    assert.equal(await v.requeue('OUTRA', at(0), at(60), at(300)), 0);
    assert.deepEqual(await v.backlog(), [{ companyId: 'CAER', pending: 3, failed: 0, oldestPendingSince: at(100) }]);
    const [requeued] = await v.list('CAER', MARIA);
    assert.deepEqual([requeued.delivery, requeued.attempts, requeued.lastError, requeued.queuedAt?.getTime()], ['pending', 0, null, at(300).getTime()]);
    assert.equal((await v.claim(['CAER'], at(300), 'a', LEASE))?.validation.eventId, requeued.eventId);
  });

  it("exports a period of one company, client by client, each client's in the order they happened", async () => {
    await validate(stores(), JOAO, 'joao@x.com', 30);
    await validate(stores(), MARIA, 'maria@x.com', 10);
    await validate(stores(), MARIA, 'maria@x.com', 20);
    await validate(stores(), MARIA, 'maria@x.com', 90);
    await validate(stores(), MARIA, 'maria@x.com', 20, true, 'OUTRA');
    const rows: ExportRow[] = [];
    for await (const row of stores().validations.exportRows('CAER', at(10), at(90))) rows.push(row);
    const maria = [
      { document: MARIA, email: 'maria@x.com', validatedAt: at(10) },
      { document: MARIA, email: 'maria@x.com', validatedAt: at(20) },
    ];
    const joao = [{ document: JOAO, email: 'joao@x.com', validatedAt: at(30) }];
    assert.ok([[...maria, ...joao], [...joao, ...maria]].some((expected) => JSON.stringify(expected) === JSON.stringify(rows)), JSON.stringify(rows));
  });

  it('forgets a client: its email, validations and pending notifications, and answers what there was', async () => {
    await validate(stores(), MARIA, 'maria@x.com', 0);
    const before = await stores().clients.forget('CAER', MARIA);
    assert.equal(before?.email, 'maria@x.com');
    assert.equal(before.validations.length, 1);
    assert.deepEqual(await stores().clients.find('CAER', MARIA), { companyId: 'CAER', document: MARIA, nome: 'Maria', email: null, emailValidatedAt: null });
    assert.deepEqual(await stores().validations.list('CAER', MARIA), []);
    assert.equal(await stores().validations.claim(['CAER'], at(5), 'a', LEASE), null);
    assert.deepEqual(await stores().validations.backlog(), []);
    assert.equal(await stores().clients.forget('CAER', '00000000191'), null);
  });

  it("lists when a client's live codes expire (not one out of tries, nor one expired), and removes its codes, leaving others'", async () => {
    const code = (document: string, email: string, attempts = 0, expiresAt = at(600)) => ({ companyId: 'CAER', document, email, codeHash: 'h', attempts, createdAt: T0, expiresAt });
    const live = (document: string) => stores().codes.liveExpiries('CAER', document, at(1), MAX_ATTEMPTS_PER_CODE);
    await stores().codes.replace(code(MARIA, 'a@x.com'));
    await stores().codes.replace(code(MARIA, 'b@x.com', MAX_ATTEMPTS_PER_CODE - 1, at(700)));
    await stores().codes.replace(code(MARIA, 'c@x.com', MAX_ATTEMPTS_PER_CODE));
    await stores().codes.replace(code(MARIA, 'd@x.com', 0, at(1)));
    await stores().codes.replace(code(JOAO, 'a@x.com'));
    assert.deepEqual((await live(MARIA)).sort((x, y) => x.getTime() - y.getTime()), [at(600), at(700)]);
    assert.equal(await stores().codes.removeAll('CAER', MARIA), 4);
    assert.deepEqual(await live(MARIA), []);
    assert.equal((await live(JOAO)).length, 1);
  });
});
