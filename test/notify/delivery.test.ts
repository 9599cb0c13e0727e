import { strict as assert } from 'node:assert';
import sinon from 'sinon';
import { requeueValidations } from '../../admin/validations';
import { configureNotification } from '../../admin/notifications';
import { CONFIRM_PATH, SEND_PATH } from '../../api/webhooks';
import { DEMO_CLIENTS, DEMO_COMPANY, DEMO_KEY } from '../../services/runtime/demo';
import type { NotifierTiming } from '../../services/notify/notifier';
import { DEFAULT_RETRY } from '../../services/notify/retry';
import { botTexts } from '../../services/domain/texts';
import { maskEmail } from '../../services/domain/email';
import { verifySignature } from '../../services/notify/signature';
import type { Stores, ValidationRecord } from '../../services/store/types';
import { newValidation } from '../../services/domain/validations';
import { captureIo } from '../admin/helpers';
import { request, startTestApp, type TestApp } from '../support/app';
import { HttpConversation, startChannel } from '../support/channel';
import { startReceiver, type TestReceiver } from '../support/receiver';
import { eventually } from '../support/wait';
import { codeIn, startSmtp, type TestSmtp } from '../support/smtp';
import { sharedStore, TEST_PEPPER } from '../support/stores';

/**
 * Validations reach the company's system over real HTTP on loopback: signed, retried while the
 * receiver is down, kept when it refuses, delivered once by two instances. The worker's pace is
 * milliseconds here; its policy (backoff, jitter, the retry period) is the real one.
 */

/**
 * Milliseconds apart, but each POST given 5 s: a receiver on loopback that answered late on a busy
 * machine would otherwise be tried again, and count twice. The test of a receiver that hangs sets its own.
 */
const FAST: Partial<NotifierTiming> = { pollMs: 20, timeoutMs: 5000, retry: { baseMs: 20, maxMs: 100, forMs: 10 * 60_000 } };
const CAER = DEMO_COMPANY.sigla;
const MARIA = DEMO_CLIENTS[0].document;

/** Points CAER's notifications at `receiver`, as the admin command does; answers the secret it printed. */
async function configure(stores: Stores, pepper: string, receiver: TestReceiver, keep?: string): Promise<string> {
  const io = captureIo();
  await configureNotification(stores, io, { sigla: CAER, url: receiver.url, 'manter-anterior': keep }, pepper);
  return io.out.text.trim();
}

const metricsText = async (app: TestApp) => (await request<string>(`${app.baseUrl}/metrics`)).body;
const stateOf = async (stores: Stores, document: string = MARIA): Promise<ValidationRecord[]> => stores.validations.list(CAER, document);

describe('notifications of validations to the company system', function () {
  this.timeout(30_000);
  let smtp: TestSmtp;
  let receiver: TestReceiver;
  let app: TestApp;
  let secret: string;

  /** The service on the suite's store, its worker at `timing`, CAER's notifications pointed at the receiver. */
  async function start(timing: Partial<NotifierTiming> = FAST): Promise<void> {
    app = await startTestApp({ SMTP_URL: smtp.url }, { notifier: timing });
    secret = await configure(app.stores, app.config.codePepper, receiver);
  }

  beforeEach(async () => {
    smtp = await startSmtp('accept');
    receiver = await startReceiver(204);
    await start();
  });
  afterEach(async () => {
    await app.close();
    await receiver.close();
    await smtp.close();
  });

  /** Validates MARIA's email (or another client's) through both webhooks, as GSAN's assistant would. */
  async function validateThroughWebhooks(email = 'maria@exemplo.com.br', document: string = MARIA): Promise<void> {
    const seen = smtp.mails.length;
    const body = { key: DEMO_KEY, cpfCnpj: document, email };
    assert.equal((await app.post(SEND_PATH, body)).body.body.validado, 'S');
    const code = codeIn(await smtp.nextMail(seen));
    assert.equal((await app.post(CONFIRM_PATH, { ...body, codigo: code })).body.body.validado, 'S');
  }

  it('POSTs a confirmed validation, signed so the receiver can verify it, with an id and nothing else personal', async () => {
    await validateThroughWebhooks();
    await receiver.waitFor(1);
    const [got] = receiver.received;
    assert.ok(verifySignature(secret, got.headers, got.body, Math.floor(Date.now() / 1000)), 'the signature verifies');
    assert.ok(!verifySignature(secret, got.headers, got.body.replace('maria', 'mario'), Math.floor(Date.now() / 1000)), 'an altered body does not');
    assert.ok(!verifySignature(secret, got.headers, got.body, Math.floor(Date.now() / 1000) + 600), 'nor an old timestamp');
    assert.equal(got.headers['content-type'], 'application/json');
    const [record] = await stateOf(app.stores);
    assert.deepEqual(JSON.parse(got.body), {
      id: record.eventId,
      tipo: 'email.validado',
      empresa: CAER,
      cpfCnpj: MARIA,
      email: 'maria@exemplo.com.br',
      validadoEm: record.validatedAt.toISOString(),
      origem: 'webhook',
    });
    assert.equal(got.headers['webhook-id'], record.eventId);
    // The counter moves once the result is recorded, the gauge once a scrape reads the store again.
    await eventually(async () => /validation_notifications_total\{result="delivered"\} 1\n/.test(await metricsText(app)));
    await eventually(async () => /validation_notifications_pending\{company="CAER"\} 0\n/.test(await metricsText(app)));
    assert.equal((await stateOf(app.stores))[0].delivery, 'delivered');
  });

  it('with a secret changed under --manter-anterior, signs with both until then: a receiver holding either verifies; after, only the new one', async () => {
    const previous = secret;
    const current = await configure(app.stores, app.config.codePepper, receiver, '60min');
    // Time runs as it does, and jumps the hour when told (the worker's pace is timed by Date too).
    const clock = sinon.useFakeTimers({ now: Date.now(), toFake: ['Date'], shouldAdvanceTime: true });
    try {
      const verifies = (holding: string, n: number) =>
        verifySignature(holding, receiver.received[n].headers, receiver.received[n].body, Math.floor(Date.now() / 1000));
      await validateThroughWebhooks('maria@exemplo.com.br');
      await receiver.waitFor(1);
      // Recorded before time jumps, or the jump would end the delivery's lease while it is in flight.
      await eventually(async () => (await stateOf(app.stores))[0]?.delivery === 'delivered');
      assert.equal(String(receiver.received[0].headers['webhook-signature']).split(' ').length, 2);
      assert.ok(verifies(previous, 0), 'a receiver still holding the previous secret');
      assert.ok(verifies(current, 0), 'a receiver already holding the new one');

      clock.tick(60 * 60_000);
      // Gone from the database too, not only from the signatures.
      await eventually(async () => (await app.stores.companies.findBySigla(CAER))?.notification?.previousSecret == null);
      await validateThroughWebhooks('padaria@exemplo.com.br', DEMO_CLIENTS[2].document);
      await receiver.waitFor(2);
      assert.equal(String(receiver.received[1].headers['webhook-signature']).split(' ').length, 1);
      assert.ok(!verifies(previous, 1), 'the previous secret, past its time');
      assert.ok(verifies(current, 1));
      assert.deepEqual(receiver.delivered().map((d) => d.email), ['maria@exemplo.com.br', 'padaria@exemplo.com.br']);
    } finally {
      clock.restore();
    }
  });

  it('loses nothing while the receiver refuses, then hangs, then fails with 500, and delivers each validation once it is back', async () => {
    await app.close();
    await start({ ...FAST, timeoutMs: 300 }); // a hanging receiver times out at once
    await receiver.refuse();
    await validateThroughWebhooks();
    // A second client's validation, recorded as the service records it.
    await app.stores.clients.markEmailValidated(CAER, DEMO_CLIENTS[2].document, newValidation('padaria@exemplo.com.br', new Date(), 'conversa', true));
    app.notifier.wake();

    const lastErrors = async () => (await Promise.all([stateOf(app.stores), stateOf(app.stores, DEMO_CLIENTS[2].document)])).map((v) => v[0]?.lastError);
    await eventually(async () => (await lastErrors()).every((e) => e === 'conexão recusada'));
    const metrics = await metricsText(app);
    assert.match(metrics, /validation_notifications_pending\{company="CAER"\} 2\n/);
    assert.match(metrics, /validation_notifications_total\{result="retry"\} \d+/);
    assert.match(metrics, /validation_notifications_oldest_pending_age_seconds\{company="CAER"\} [\d.e-]+\n/);

    receiver.mode = 'hang';
    await receiver.accept();
    await eventually(async () => (await lastErrors()).every((e) => e === 'tempo esgotado'));
    receiver.mode = 500;
    await eventually(async () => (await lastErrors()).every((e) => e === 'HTTP 500'));
    receiver.mode = 204;
    await eventually(async () => (await lastErrors()).every((e) => e === null));

    const records = [...(await stateOf(app.stores)), ...(await stateOf(app.stores, DEMO_CLIENTS[2].document))];
    assert.deepEqual(records.map((r) => r.delivery), ['delivered', 'delivered']);
    const ids = receiver.delivered().map((d) => d.id);
    assert.deepEqual(new Set(ids), new Set(records.map((r) => r.eventId)), 'each validation arrived');
    // Every request, failed or not, carried one of the two ids: a repeat is the same event, never a new one.
    const bodies = new Map<string, string>();
    for (const r of receiver.received) {
      const id = String(r.headers['webhook-id']);
      assert.equal(bodies.get(id) ?? r.body, r.body, 'a repeat carries the same body');
      bodies.set(id, r.body);
    }
    assert.equal(bodies.size, 2);
  });

  it('keeps a validation the receiver refuses with 400 as failed, visible, until validacoes reenviar queues it again', async () => {
    receiver.mode = 400;
    await validateThroughWebhooks();
    await eventually(async () => (await stateOf(app.stores))[0]?.delivery === 'failed');
    const [failed] = await stateOf(app.stores);
    assert.equal(failed.lastError, 'HTTP 400');
    assert.equal(failed.attempts, 1, 'a 400 is not retried');
    const metrics = await metricsText(app);
    assert.match(metrics, /validation_notifications_failed\{company="CAER"\} 1\n/);
    assert.match(metrics, /validation_notifications_pending\{company="CAER"\} 0\n/);

    receiver.mode = 204;
    const io = captureIo();
    assert.equal(await requeueValidations(app.stores, io, { sigla: CAER, desde: '2000-01-01' }), 1);
    app.notifier.wake();
    await eventually(async () => (await stateOf(app.stores))[0]?.delivery === 'delivered');
    assert.deepEqual(receiver.delivered().map((d) => d.id), [failed.eventId]);
    await eventually(async () => /validation_notifications_failed\{company="CAER"\} 0\n/.test(await metricsText(app)));
  });

  it("waits at least a 429's Retry-After before trying again", async () => {
    await app.close();
    await start({ ...FAST, retry: { baseMs: 20, maxMs: 60_000, forMs: 60_000 } });
    receiver.mode = 429;
    receiver.headers = { 'retry-after': '30' };
    await validateThroughWebhooks();
    await eventually(async () => (await stateOf(app.stores))[0]?.attempts === 1);
    const [record] = await stateOf(app.stores);
    assert.equal(record.lastError, 'HTTP 429');
    assert.ok(record.nextAttemptAt!.getTime() - receiver.received[0].at.getTime() >= 30_000, 'not before the 30 s it asked for');
    assert.equal(receiver.received.length, 1);
  });

  it('does not follow a redirect: the destination is the configured URL only', async () => {
    receiver.mode = 307;
    await validateThroughWebhooks();
    await eventually(async () => (await stateOf(app.stores))[0]?.delivery === 'failed');
    assert.equal((await stateOf(app.stores))[0].lastError, 'HTTP 307 (redirecionamento não seguido)');
    assert.equal(receiver.received.length, 1);
  });

  it('notifies a validation made in the conversation, as from the conversation', async () => {
    const channel = await startChannel();
    try {
      const chat = new HttpConversation(app.baseUrl, channel);
      await chat.say('oi');
      await chat.say(MARIA);
      await chat.say('maria@exemplo.com.br');
      assert.deepEqual(await chat.say(codeIn(await smtp.nextMail(0))), [botTexts.validated(maskEmail('maria@exemplo.com.br'))]);
    } finally {
      await channel.close();
    }
    await receiver.waitFor(1);
    assert.deepEqual(
      receiver.delivered().map(({ cpfCnpj, email, origem }) => ({ cpfCnpj, email, origem })),
      [{ cpfCnpj: MARIA, email: 'maria@exemplo.com.br', origem: 'conversa' }],
    );
  });

  it('gives up once the retry period is over, keeping the validation as failed', async () => {
    await app.close();
    await start({ ...FAST, retry: { baseMs: 20, maxMs: 50, forMs: 300 } });
    receiver.mode = 503;
    await validateThroughWebhooks();
    await eventually(async () => (await stateOf(app.stores))[0]?.delivery === 'failed');
    const [record] = await stateOf(app.stores);
    assert.equal(record.lastError, 'HTTP 503; sem sucesso por 1 min');
    assert.ok(record.attempts > 1, 'retried until then');
    assert.ok(DEFAULT_RETRY.forMs >= 24 * 60 * 60_000, 'the service retries for at least 24 h');
  });

  it('on stop, cuts a delivery in flight and leaves it pending, its attempt not counted, for the next instance', async () => {
    await app.close();
    const store = await sharedStore();
    const start = async () =>
      startTestApp({ SMTP_URL: smtp.url, CODE_PEPPER: TEST_PEPPER, SEED_DEMO: 'true' }, { notifier: { ...FAST, timeoutMs: 60_000 }, stores: await store.open() });
    try {
      app = await start();
      await configure(app.stores, TEST_PEPPER, receiver);
      receiver.mode = 'hang';
      await validateThroughWebhooks();
      await receiver.waitFor(1);
      assert.equal(await app.close(), true, 'the stop does not wait for the receiver');
      receiver.mode = 204;
      app = await start();
      await eventually(async () => (await stateOf(app.stores))[0]?.delivery === 'delivered');
      const [record] = await stateOf(app.stores);
      assert.equal(record.attempts, 1, 'the cut attempt did not count');
      assert.equal(receiver.received.length, 2, 'sent again, with the same id');
      assert.equal(receiver.received[0].headers['webhook-id'], receiver.received[1].headers['webhook-id']);
    } finally {
      await app.close();
      await store.dispose();
    }
  });

  it('records a validation of a company with no destination as not to be sent, and sends nothing', async () => {
    await app.stores.companies.setNotification(CAER, null);
    await validateThroughWebhooks();
    const [record] = await stateOf(app.stores);
    assert.equal(record.delivery, 'none');
    await new Promise((resolve) => setTimeout(resolve, 200));
    assert.equal(receiver.received.length, 0);
  });
});

describe('two instances delivering from one store', function () {
  this.timeout(60_000);

  it('deliver each validation once, in order per client', async () => {
    const receiver = await startReceiver(204);
    // One store for both: a MongoDB database each instance opens with its own client, or the in-memory stores both share.
    // The instances share CODE_PEPPER, as they must: the signing secret is encrypted under it.
    const store = await sharedStore();
    const start = async () => startTestApp({ CODE_PEPPER: TEST_PEPPER, SEED_DEMO: 'true' }, { notifier: FAST, stores: await store.open() });
    const a = await start();
    const b = await start();
    try {
      await configure(a.stores, a.config.codePepper, receiver);
      // 30 clients, 3 validations each, a millisecond apart: 90 notifications.
      const clients = Array.from({ length: 30 }, (_, i) => ({ companyId: CAER, document: String(10_000_000_000 + i), nome: `Cliente ${i}` }));
      await a.stores.clients.upsertMany(clients.map((c) => ({ ...c, email: null })));
      const t0 = Date.now();
      for (let round = 0; round < 3; round++) {
        for (const [i, c] of clients.entries()) {
          const at = new Date(t0 + round * 100 + i);
          await a.stores.clients.markEmailValidated(CAER, c.document, newValidation(`cliente${i}@exemplo.com.br`, at, 'webhook', true));
        }
      }
      a.notifier.wake();
      b.notifier.wake();
      await receiver.waitFor(90);
      await new Promise((resolve) => setTimeout(resolve, 300));
      const delivered = receiver.delivered();
      assert.equal(delivered.length, 90, 'no notification was sent twice');
      assert.equal(new Set(delivered.map((d) => d.id)).size, 90);
      for (const c of clients) {
        const times = delivered.filter((d) => d.cpfCnpj === c.document).map((d) => d.validadoEm);
        assert.deepEqual(times, [...times].sort(), `in order for ${c.document}`);
      }
    } finally {
      await a.close();
      await b.close();
      await store.dispose();
      await receiver.close();
    }
  });
});
