import { strict as assert } from 'node:assert';
import { once } from 'node:events';
import { connect } from 'node:net';
import sinon from 'sinon';
import { SEND_PATH } from '../../api/webhooks';
import { DEMO_KEY } from '../../services/runtime/demo';
import type { Stores } from '../../services/store/types';
import { startTestApp, type TestApp } from '../support/app';
import { captureLogs } from '../support/logs';
import { startSmtp, type TestSmtp } from '../support/smtp';

const seedRequest = { key: DEMO_KEY, cpfCnpj: '02789078220', email: 'informeemail@gmail.com.br' };
const unavailable = {
  key: DEMO_KEY,
  body: { validado: 'N', mensagemCritica: 'Serviço temporariamente indisponível. Tente novamente mais tarde.' },
};

describe('a database that goes away and comes back', () => {
  let smtp: TestSmtp;
  let app: TestApp;
  let stores: Stores;
  const logs = captureLogs();

  beforeEach(async () => {
    smtp = await startSmtp('accept');
    app = await startTestApp({ SMTP_URL: smtp.url, SEED_DEMO: 'true' }, { logger: logs.logger });
    stores = app.stores;
  });
  afterEach(async () => {
    sinon.restore();
    await app.close();
    await smtp.close();
  });

  it('is answered 503 in the envelope while it fails, and served again when it answers, with no restart', async () => {
    const find = sinon.stub(stores.clients, 'find').callThrough();
    find.onFirstCall().rejects(Object.assign(new Error('connection 1 to 10.0.0.5:27017 closed'), { name: 'MongoNetworkError' }));
    find.onSecondCall().rejects(Object.assign(new Error('Server selection timed out after 2000 ms'), { name: 'MongoServerSelectionError' }));

    for (let i = 0; i < 2; i++) {
      const down = await app.post(SEND_PATH, seedRequest);
      assert.equal(down.status, 503);
      assert.deepEqual(down.body, unavailable);
    }
    const back = await app.post(SEND_PATH, seedRequest);
    assert.equal(back.status, 200);
    assert.deepEqual(back.body, { key: DEMO_KEY, body: { validado: 'S', mensagemCritica: '' } });
    assert.equal(smtp.mails.length, 1);
  });

  // The answer's deadline (under the 5 s of docs/api.md §6) answers; the test's own timeout would catch a hang.
  it('is answered 503 by the answer deadline when it hangs, and the late result is ignored', async () => {
    sinon.stub(stores.clients, 'find').returns(new Promise(() => {}));
    const res = await app.post(SEND_PATH, seedRequest);
    assert.equal(res.status, 503);
    assert.deepEqual(res.body, unavailable);
    const error = logs.lines().find((l) => l.msg === 'unexpected error' && l.reqId === res.headers.get('x-request-id'));
    assert.equal(error?.error.type, 'DeadlineError');
  });
});

describe('a client that sends its request too slowly (slowloris)', () => {
  it('has its connection closed once its headers are late, with 408 in the envelope', async () => {
    const app = await startTestApp();
    try {
      const socket = connect(app.port, '127.0.0.1');
      await once(socket, 'connect');
      socket.write(`POST ${SEND_PATH} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n`);
      let answer = '';
      socket.on('data', (chunk: Buffer) => (answer += chunk.toString()));
      // Never the blank line that ends the headers: the server, not this test, ends the connection.
      await once(socket, 'close');
      assert.match(answer, /^HTTP\/1\.1 408 /);
      assert.match(answer, /"mensagemCritica":"Requisição inválida\."/);
    } finally {
      await app.close();
    }
  });
});
