import { strict as assert } from 'node:assert';
import { CONFIRM_PATH, SEND_PATH } from '../../api/webhooks';
import { DEMO_KEY } from '../../services/runtime/demo';
import { botTexts } from '../../services/domain/texts';
import { request } from '../support/app';
import { HttpConversation, startChannel, type TestChannel } from '../support/channel';
import { startService, type ServiceProcess } from '../support/service';
import { codeIn, startSmtp, type TestSmtp } from '../support/smtp';
import { configureNotification } from '../../admin/notifications';
import { verifySignature } from '../../services/notify/signature';
import { createMongoStores } from '../../services/store/mongo';
import { captureIo } from '../admin/helpers';
import { startReceiver } from '../support/receiver';
import { dropTestDatabase, STORE, storeEnv, TEST_PEPPER } from '../support/stores';

/**
 * Two service processes on one MongoDB database, as behind a load balancer: whatever one instance
 * did, the other sees. Runs with the MongoDB suites (`STORE=mongo`).
 */

const CPF = '02789078220';
const EMAIL = 'informeemail@gmail.com.br';
const send = { key: DEMO_KEY, cpfCnpj: CPF, email: EMAIL };
const envelope = (validado: 'S' | 'N', mensagemCritica: string) => ({ key: DEMO_KEY, body: { validado, mensagemCritica } });
const S = envelope('S', '');
const NO_LIVE_CODE = envelope('N', 'Código expirado ou inexistente. Solicite um novo código.');

describe('two service processes sharing one MongoDB database', function () {
  this.timeout(60_000);
  let smtp: TestSmtp;
  let channel: TestChannel;
  let a: ServiceProcess;
  let b: ServiceProcess;
  let env: Record<string, string>;

  before(async function () {
    if (STORE !== 'mongo') {
      console.log('  (two instances need MongoDB: run with STORE=mongo and MONGODB_URI)');
      this.skip();
    }
    smtp = await startSmtp('accept');
    channel = await startChannel();
    // One database, one pepper, for both; the first seeds it, the second finds it seeded.
    env = { ...storeEnv(), SMTP_URL: smtp.url };
    a = await startService(env);
    b = await startService(env);
  });
  after(async () => {
    if (STORE !== 'mongo') return;
    const exits = await Promise.all([a?.stop(), b?.stop()]);
    await dropTestDatabase(env.MONGODB_DB);
    await channel.close();
    await smtp.close();
    assert.deepEqual(exits, [0, 0]);
  });

  const post = (instance: ServiceProcess, path: string, body: object) =>
    request(instance.baseUrl + path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

  it('a code sent through A is confirmed on B, the minute limit set by A holds on B, and a code used on B is dead on A', async () => {
    assert.deepEqual((await post(a, SEND_PATH, send)).body, S);
    const code = codeIn(await smtp.nextMail(0));

    const tooSoon = await post(b, SEND_PATH, send);
    assert.equal(tooSoon.status, 429);
    assert.ok(Number(tooSoon.headers.get('retry-after')) > 0);

    assert.deepEqual((await post(b, CONFIRM_PATH, { ...send, codigo: code })).body, S);
    assert.deepEqual((await post(a, CONFIRM_PATH, { ...send, codigo: code })).body, NO_LIVE_CODE);
  });

  it('a conversation whose turns alternate between A and B completes', async () => {
    const chat = new HttpConversation(a.baseUrl, channel);
    const email = 'padaria@exemplo.com.br';
    const masked = 'pa*****ia@exemplo.com.br';
    assert.deepEqual(await chat.say('oi', a.baseUrl), [botTexts.askDocument]);
    assert.deepEqual(await chat.say('12.ABC.345/01DE-35', b.baseUrl), [botTexts.askEmail]);
    const seen = smtp.mails.length;
    assert.deepEqual(await chat.say(email, a.baseUrl), [botTexts.codeSent(masked, 10), botTexts.askCode]);
    const code = codeIn(await smtp.nextMail(seen));
    assert.deepEqual(await chat.say(code, b.baseUrl), [botTexts.validated(masked)]);
  });

  it('a validation confirmed on B reaches the company system once, signed, though both instances deliver', async () => {
    const receiver = await startReceiver(204);
    const admin = await createMongoStores({ uri: env.MONGODB_URI, dbName: env.MONGODB_DB, timeoutMs: 4000 });
    try {
      const io = captureIo();
      await configureNotification(admin, io, { sigla: 'CAER', url: receiver.url }, TEST_PEPPER);
      const joao = { key: DEMO_KEY, cpfCnpj: '29378722040', email: 'aaaxxxxbbb@email.com' };
      const seen = smtp.mails.length;
      assert.deepEqual((await post(a, SEND_PATH, joao)).body, S);
      assert.deepEqual((await post(b, CONFIRM_PATH, { ...joao, codigo: codeIn(await smtp.nextMail(seen)) })).body, S);
      await receiver.waitFor(1);
      // Both instances look for due notifications every second: three more looks each, and no repeat.
      await new Promise((resolve) => setTimeout(resolve, 3000));
      assert.equal(receiver.received.length, 1);
      const [got] = receiver.received;
      assert.ok(verifySignature(io.out.text.trim(), got.headers, got.body, Math.floor(Date.now() / 1000)));
      assert.equal((JSON.parse(got.body) as { cpfCnpj: string }).cpfCnpj, joao.cpfCnpj);
    } finally {
      await admin.close();
      await receiver.close();
    }
  });
});
