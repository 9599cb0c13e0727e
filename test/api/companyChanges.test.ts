import { strict as assert } from 'node:assert';
import sinon from 'sinon';
import { rotateCompanyKey } from '../../admin/companies';
import { configureNotification } from '../../admin/notifications';
import { CONFIRM_PATH, SEND_PATH } from '../../api/webhooks';
import { DEMO_KEY } from '../../services/runtime/demo';
import { COMPANY_CACHE_MS } from '../../services/store/companyCache';
import type { Stores } from '../../services/store/types';
import { captureIo, keyIn } from '../admin/helpers';
import { startTestApp, type TestApp } from '../support/app';
import { startReceiver, type TestReceiver } from '../support/receiver';
import { codeIn, startSmtp, type TestSmtp } from '../support/smtp';
import { sharedStore, TEST_PEPPER } from '../support/stores';

/**
 * A company changed by the admin command, another process, while the service runs: on MongoDB the
 * service keeps a company a few seconds (services/store/companyCache.ts), yet what it records goes by
 * the company as it is now (docs/security.md "Keys").
 */

const MARIA = { cpfCnpj: '02789078220', email: 'maria@exemplo.com.br' };
const INVALID_KEY = 'Chave de autenticação inválida.';

describe('a company changed by the admin command while the service runs', function () {
  this.timeout(30_000);
  let smtp: TestSmtp;
  let receiver: TestReceiver;
  let store: Awaited<ReturnType<typeof sharedStore>>;
  let app: TestApp;
  /** The admin command's stores: a client of its own on the service's database. */
  let admin: Stores;

  beforeEach(async () => {
    smtp = await startSmtp('accept');
    receiver = await startReceiver(204);
    store = await sharedStore();
    app = await startTestApp({ SMTP_URL: smtp.url, CODE_PEPPER: TEST_PEPPER, SEED_DEMO: 'true' }, { stores: await store.open(), notifier: { pollMs: 20 } });
    admin = await store.open();
  });
  afterEach(async () => {
    await app.close();
    if (admin !== app.stores) await admin.close();
    await store.dispose();
    await receiver.close();
    await smtp.close();
  });

  /** Sends Maria a code with `key`; answers the code mailed. */
  const sendCode = async (key: string) => {
    const seen = smtp.mails.length;
    const sent = await app.post(SEND_PATH, { key, ...MARIA });
    assert.equal(sent.body.body.validado, 'S', JSON.stringify(sent.body));
    return codeIn(await smtp.nextMail(seen));
  };

  it('a replaced key confirms nothing from the rotation on, and is refused on every request within COMPANY_CACHE_MS', async () => {
    const code = await sendCode(DEMO_KEY);
    const rotated = captureIo();
    await rotateCompanyKey(admin, rotated, { sigla: 'CAER' });
    const newKey = keyIn(rotated.out.text);

    const refused = await app.post(CONFIRM_PATH, { key: DEMO_KEY, ...MARIA, codigo: code });
    assert.deepEqual([refused.status, refused.body.body.mensagemCritica], [401, INVALID_KEY]);
    assert.equal((await app.post(CONFIRM_PATH, { key: newKey, ...MARIA, codigo: code })).body.body.validado, 'S', 'the code was left live');

    const clock = sinon.useFakeTimers({ now: Date.now(), toFake: ['Date'] });
    try {
      clock.tick(COMPANY_CACHE_MS);
      const later = await app.post(SEND_PATH, { key: DEMO_KEY, ...MARIA, email: 'outra@exemplo.com.br' });
      assert.deepEqual([later.status, later.body.body.mensagemCritica], [401, INVALID_KEY]);
    } finally {
      clock.restore();
    }
  });

  it('a destination set after the company was looked up is notified of the next validation', async () => {
    const code = await sendCode(DEMO_KEY);
    await configureNotification(admin, captureIo(), { sigla: 'CAER', url: receiver.url }, TEST_PEPPER);
    assert.equal((await app.post(CONFIRM_PATH, { key: DEMO_KEY, ...MARIA, codigo: code })).body.body.validado, 'S');
    await receiver.waitFor(1);
    assert.equal(receiver.delivered()[0]?.cpfCnpj, MARIA.cpfCnpj);
  });
});
