import { strict as assert } from 'node:assert';
import { cpf } from 'cpf-cnpj-validator';
import { main } from '../../admin/cli';
import { configureNotification } from '../../admin/notifications';
import { CONFIRM_PATH, SEND_PATH } from '../../api/webhooks';
import { DEMO_COMPANY, DEMO_KEY } from '../../services/runtime/demo';
import type { NotifierTiming } from '../../services/notify/notifier';
import { decryptSecret } from '../../services/notify/secret';
import { verifySignature } from '../../services/notify/signature';
import { MAX_ATTEMPTS_PER_CODE } from '../../services/domain/rules';
import { texts } from '../../services/domain/texts';
import type { Stores } from '../../services/store/types';
import { capture, captureIo } from '../admin/helpers';
import { startTestApp, type TestApp } from '../support/app';
import { startReceiver, type TestReceiver } from '../support/receiver';
import { codeIn, startSmtp, type TestSmtp } from '../support/smtp';
import { sharedStore, TEST_PEPPER } from '../support/stores';
import { eventually } from '../support/wait';

/**
 * The `CODE_PEPPER` runbook of docs/operations.md ("Rotating secrets"), walked with the real service
 * on one store, instances restarted one phase at a time as behind a load balancer: every code mailed
 * is confirmed wherever it lands, and every notification verifies under the secret the receiver
 * already holds.
 */

const CAER = DEMO_COMPANY.sigla;
const OLD = TEST_PEPPER;
const NEW = 'novo-pepper-novo-pepper-novo-pepper-4567';
const FAST: Partial<NotifierTiming> = { pollMs: 20, timeoutMs: 300, retry: { baseMs: 20, maxMs: 100, forMs: 10 * 60_000 } };

describe('rotating CODE_PEPPER (docs/operations.md)', function () {
  this.timeout(60_000);
  let smtp: TestSmtp;
  let receiver: TestReceiver;
  let store: Awaited<ReturnType<typeof sharedStore>>;
  let running: TestApp[];

  beforeEach(async () => {
    smtp = await startSmtp('accept');
    receiver = await startReceiver(204);
    store = await sharedStore();
    running = [];
  });
  afterEach(async () => {
    for (const app of running) await app.close();
    await store.dispose();
    await receiver.close();
    await smtp.close();
  });

  /** An instance on the shared store with this `CODE_PEPPER` (and `CODE_PEPPER_FALLBACK`). */
  async function instance(pepper: string, fallback?: string): Promise<TestApp> {
    const env = { SMTP_URL: smtp.url, CODE_PEPPER: pepper, SEED_DEMO: 'true', ...(fallback ? { CODE_PEPPER_FALLBACK: fallback } : {}) };
    const app = await startTestApp(env, { notifier: FAST, stores: await store.open() });
    running.push(app);
    return app;
  }

  async function stop(app: TestApp): Promise<void> {
    running = running.filter((a) => a !== app);
    await app.close();
  }

  /** A new client of CAER, without email. */
  async function newClient(stores: Stores): Promise<string> {
    const document = cpf.generate();
    await stores.clients.upsertMany([{ companyId: CAER, document, nome: `Cliente ${document}`, email: null }]);
    return document;
  }

  /** Mails a code through `app`'s webhook; answers what the confirmation needs. */
  async function sendCode(app: TestApp, document: string): Promise<{ key: string; cpfCnpj: string; email: string; codigo: string }> {
    const seen = smtp.mails.length;
    const body = { key: DEMO_KEY, cpfCnpj: document, email: `cliente.${document}@exemplo.com.br` };
    assert.equal((await app.post(SEND_PATH, body)).body.body.validado, 'S');
    return { ...body, codigo: codeIn(await smtp.nextMail(seen)) };
  }

  const confirm = async (app: TestApp, request: Awaited<ReturnType<typeof sendCode>>) => (await app.post(CONFIRM_PATH, request)).body.body;

  it('with CODE_PEPPER_FALLBACK and empresa recifrar-segredos, loses no code and no notification', async () => {
    // Before: every instance on OLD; the company's signing secret handed over under it.
    const before = await instance(OLD);
    const io = captureIo();
    await configureNotification(before.stores, io, { sigla: CAER, url: receiver.url }, OLD);
    const secret = io.out.text.trim();
    const inFlight = await sendCode(before, await newClient(before.stores));

    // 1. Every instance restarted with CODE_PEPPER_FALLBACK=NEW: nothing changes yet.
    const phase1 = await instance(OLD, NEW);
    await stop(before);
    assert.deepEqual(await confirm(phase1, inFlight), { validado: 'S', mensagemCritica: '' });

    // 2. One by one, CODE_PEPPER=NEW and CODE_PEPPER_FALLBACK=OLD; while both phases serve, a code
    //    mailed by either is confirmed by the other.
    const phase2 = await instance(NEW, OLD);
    const mailedUnderNew = await sendCode(phase2, await newClient(phase2.stores));
    const mailedUnderOld = await sendCode(phase1, await newClient(phase2.stores));
    assert.deepEqual(await confirm(phase1, mailedUnderNew), { validado: 'S', mensagemCritica: '' });
    assert.deepEqual(await confirm(phase2, mailedUnderOld), { validado: 'S', mensagemCritica: '' });
    await stop(phase1);

    // 3. The stored secrets, encrypted again under NEW, by the admin command with both peppers.
    const out = capture();
    const err = capture();
    const env = { MONGODB_URI: 'mongodb://admin.example/gsan', CODE_PEPPER: NEW, CODE_PEPPER_FALLBACK: OLD };
    assert.equal(await main(['empresa', 'recifrar-segredos'], { env, out, err, openStores: () => store.open() }), 0, err.text);
    assert.match(err.text, /^Segredos de assinatura de 1 empresa cifrados de novo sob o CODE_PEPPER\.$/m);
    const mailedBeforeLast = await sendCode(phase2, await newClient(phase2.stores));

    // 4. After CODE_TTL_MINUTES, every instance restarted without CODE_PEPPER_FALLBACK.
    const after = await instance(NEW);
    await stop(phase2);
    assert.deepEqual(await confirm(after, mailedBeforeLast), { validado: 'S', mensagemCritica: '' });
    const stored = (await after.stores.companies.findBySigla(CAER))!.notification!.secret;
    assert.equal(decryptSecret(stored, NEW), secret, 'the same secret, now under NEW alone');

    // At least once: an instance stopped mid-delivery leaves its validation for the next one, which may send it again.
    const emails = [inFlight, mailedUnderNew, mailedUnderOld, mailedBeforeLast].map((r) => r.email);
    const notified = () => new Set(receiver.delivered().map((d) => d.email));
    await eventually(() => emails.every((email) => notified().has(email)));
    assert.deepEqual(notified(), new Set(emails), 'each validation notified');
    for (const got of receiver.received) {
      assert.ok(verifySignature(secret, got.headers, got.body, Math.floor(Date.now() / 1000)), 'under the secret the receiver already had');
    }
  });

  it('without them, a new CODE_PEPPER refuses the codes in flight and cannot sign with the stored secrets', async () => {
    const before = await instance(OLD);
    await configureNotification(before.stores, captureIo(), { sigla: CAER, url: receiver.url }, OLD);
    const inFlight = await sendCode(before, await newClient(before.stores));
    await stop(before);

    const after = await instance(NEW);
    assert.deepEqual(await confirm(after, inFlight), { validado: 'N', mensagemCritica: texts.wrongCode(MAX_ATTEMPTS_PER_CODE - 1) });
    const fresh = await sendCode(after, await newClient(after.stores));
    assert.deepEqual(await confirm(after, fresh), { validado: 'S', mensagemCritica: '' });
    await eventually(async () => (await after.stores.validations.list(CAER, fresh.cpfCnpj))[0]?.delivery === 'failed');
    const [record] = await after.stores.validations.list(CAER, fresh.cpfCnpj);
    assert.match(record.lastError!, /^segredo de assinatura ilegível/);
    assert.equal(receiver.received.length, 0);
  });
});
