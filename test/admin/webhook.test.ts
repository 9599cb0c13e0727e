import { strict as assert } from 'node:assert';
import sinon from 'sinon';
import { createCompany, rotateCompanyKey } from '../../admin/companies';
import { importClients } from '../../admin/importClients';
import { SEND_PATH } from '../../api/webhooks';
import type { Stores } from '../../services/store/types';
import { startTestApp, type TestApp } from '../support/app';
import { startSmtp, type TestSmtp } from '../support/smtp';
import { CAER, capture, captureIo, keyIn, tempDir } from './helpers';

describe('admin: what it creates serves the webhook', () => {
  const tmp = tempDir();
  let smtp: TestSmtp;
  let app: TestApp;
  let stores: Stores;

  beforeEach(async () => {
    smtp = await startSmtp('accept');
    app = await startTestApp({ SMTP_URL: smtp.url, SEED_DEMO: 'false' });
    stores = app.stores;
  });
  afterEach(async () => {
    await app.close();
    await smtp.close();
  });

  it('the printed key opens the webhook for an imported client, until it is rotated', async () => {
    const created = captureIo();
    await createCompany(stores, created, CAER);
    const key = keyIn(created.out.text);
    const file = await tmp.file('clientes.csv', 'cpfCnpj;nome;email\n027.890.782-20;Maria;\n');
    await importClients(stores, capture(), { sigla: 'CAER', file });

    const request = { key, cpfCnpj: '02789078220', email: 'maria@exemplo.com.br' };
    const ok = await app.post(SEND_PATH, request);
    assert.deepEqual([ok.status, ok.body], [200, { key, body: { validado: 'S', mensagemCritica: '' } }]);
    const mail = await smtp.nextMail(0);
    assert.equal(mail.envelopeFrom, CAER.remetente);

    await rotateCompanyKey(stores, captureIo(), { sigla: 'CAER' });
    const refused = await app.post(SEND_PATH, request);
    assert.deepEqual([refused.status, refused.body.body.mensagemCritica], [401, 'Chave de autenticação inválida.']);
  });
  it('a key rotated with --manter-anterior keeps working for that long, then is refused', async () => {
    const created = captureIo();
    await createCompany(stores, created, CAER);
    const oldKey = keyIn(created.out.text);
    const file = await tmp.file('clientes.csv', 'cpfCnpj;nome;email\n027.890.782-20;Maria;\n');
    await importClients(stores, capture(), { sigla: 'CAER', file });
    const rotated = captureIo();
    await rotateCompanyKey(stores, rotated, { sigla: 'CAER', 'manter-anterior': '60min' });
    const newKey = keyIn(rotated.out.text);

    const clock = sinon.useFakeTimers({ now: Date.now(), toFake: ['Date'] });
    try {
      const request = (key: string, email: string) => app.post(SEND_PATH, { key, cpfCnpj: '02789078220', email });
      assert.equal((await request(oldKey, 'a@exemplo.com.br')).status, 200, 'the previous key, within its hour');
      assert.equal((await request(newKey, 'b@exemplo.com.br')).status, 429, 'the same client: its minute is taken');
      clock.tick(60 * 60_000);
      const refused = await request(oldKey, 'c@exemplo.com.br');
      assert.deepEqual([refused.status, refused.body.body.mensagemCritica], [401, 'Chave de autenticação inválida.']);
      assert.equal((await request(newKey, 'c@exemplo.com.br')).status, 200);
    } finally {
      clock.restore();
    }
  });
});
