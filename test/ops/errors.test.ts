import { strict as assert } from 'node:assert';
import type { Server } from 'restify';
import { Observability } from '../../api/observability';
import { createServer, listen } from '../../api/server';
import { EmailValidationService } from '../../services/emailValidation';
import { createOutboxMailer } from '../../services/mail/mailer';
import { createMemoryStores } from '../../services/store/memory';
import { request } from '../support/app';
import { captureLogs } from '../support/logs';
import { eventually } from '../support/wait';

describe('an unexpected error in a handler of any route', () => {
  let server: Server;
  let baseUrl: string;
  const logs = captureLogs();

  before(async () => {
    const observability = new Observability(logs.logger);
    const service = new EmailValidationService({
      stores: createMemoryStores(),
      mailer: createOutboxMailer('var/test-outbox'),
      pepper: 'p'.repeat(32),
      codeTtlMinutes: 10,
    });
    server = createServer({
      service,
      publicUrl: 'http://localhost',
      hooks: observability.hooks,
      logger: logs.logger,
      extend: (s) => {
        observability.attach(s);
        // Stands for a route another door adds (the bot), failing with a driver-like message.
        s.get('/falha', async () => {
          throw new Error('E11000 dup key: { document: "02789078220", email: "fulano@exemplo.com" }');
        });
      },
    });
    baseUrl = `http://127.0.0.1:${await listen(server, 0, '127.0.0.1')}`;
  });
  after(() => new Promise<void>((resolve) => void server.close(() => resolve())));

  it('is answered 503 in the envelope without its message, and logged once with the request id', async () => {
    const res = await request(`${baseUrl}/falha`);
    assert.equal(res.status, 503);
    assert.deepEqual(res.body, {
      key: '',
      body: { validado: 'N', mensagemCritica: 'Serviço temporariamente indisponível. Tente novamente mais tarde.' },
    });
    const reqId = res.headers.get('x-request-id');
    const errors = logs.lines().filter((l) => l.msg === 'unexpected error');
    assert.equal(errors.length, 1);
    assert.equal(errors[0].reqId, reqId);
    assert.equal(errors[0].route, '/falha');
    assert.equal(errors[0].error.message, 'E11000 dup key: { document: "[cpfCnpj]", email: "[email]" }');
    assert.ok(!logs.text().includes('02789078220') && !logs.text().includes('fulano'));
    // Written when the answer is over, which may be just after the client read it.
    await eventually(() => logs.lines().some((l) => l.msg === 'request' && l.reqId === reqId));
    const line = logs.lines().find((l) => l.msg === 'request' && l.reqId === reqId);
    assert.deepEqual([line?.status, line?.outcome], [503, 'unavailable']);
  });
});
