import { strict as assert } from 'node:assert';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import { SEND_PATH } from '../../api/webhooks';
import { DEMO_KEY } from '../../services/runtime/demo';
import { startService } from '../support/service';

/**
 * The real service as a child process (`node --import tsx index.ts`), stopped by a signal while a
 * send is in flight: the SMTP server holds its answer to DATA until the test releases it.
 */

const seedRequest = { key: DEMO_KEY, cpfCnpj: '02789078220', email: 'informeemail@gmail.com.br' };

describe('stopping on SIGTERM and SIGINT', function () {
  this.timeout(20000);

  it('on SIGTERM stops accepting, closes idle kept-alive connections at once, answers the send in flight with 200 S and exits 0', async () => {
    const smtp = await startHeldSmtp();
    const service = await startService({ SMTP_URL: smtp.url });
    try {
      const idle = new http.Agent({ keepAlive: true });
      const busy = new http.Agent({ keepAlive: true });
      assert.equal((await call(service.port, 'GET', '/health', undefined, idle)).status, 200); // stays open, idle
      const idleSocket = Object.values(idle.freeSockets).flat()[0]!;
      const idleClosed = new Promise((closed) => idleSocket.once('close', closed));

      const inFlight = call(service.port, 'POST', SEND_PATH, seedRequest, busy);
      await smtp.dataStarted;
      service.child.kill('SIGTERM');
      await service.line((l) => l.msg === 'stopping');
      await assert.rejects(call(service.port, 'GET', '/health'), /ECONNREFUSED|ECONNRESET|socket hang up/, 'no longer accepting');
      // Closed by the service while the send is still held: an idle connection never delays the stop.
      await idleClosed;

      smtp.release();
      const answer = await inFlight;
      assert.equal(answer.status, 200);
      assert.deepEqual(answer.body, { key: DEMO_KEY, body: { validado: 'S', mensagemCritica: '' } });
      assert.equal(smtp.received(), 1);

      assert.equal(await service.exit, 0);
      const lines = service.lines();
      const sendLine = lines.find((l) => l.msg === 'request' && l.route === SEND_PATH);
      assert.deepEqual([sendLine?.status, sendLine?.outcome], [200, 'codeSent']);
      assert.ok(lines.some((l) => l.msg === 'stopped'));
      assert.equal(service.stderr(), '', 'nothing is written outside the JSON log');
    } finally {
      service.child.kill('SIGKILL');
      await smtp.close();
    }
  });

  it('on SIGINT cuts a request still running after SHUTDOWN_GRACE_MS and exits 1', async () => {
    const smtp = await startHeldSmtp();
    const service = await startService({ SMTP_URL: smtp.url, SHUTDOWN_GRACE_MS: '1000' });
    try {
      const inFlight = call(service.port, 'POST', SEND_PATH, seedRequest);
      await smtp.dataStarted;
      service.child.kill('SIGINT');
      await assert.rejects(inFlight, /ECONNRESET|socket hang up/);
      assert.equal(await service.exit, 1);
      assert.ok(service.lines().some((l) => l.level === 'warn' && /cut/.test(l.msg)));
    } finally {
      service.child.kill('SIGKILL');
      await smtp.close();
    }
  });
});

/** An SMTP server that answers the end of DATA only once the test calls `release()`. */
async function startHeldSmtp() {
  let started!: () => void;
  const dataStarted = new Promise<void>((r) => (started = r));
  let release!: () => void;
  const released = new Promise<void>((r) => (release = r));
  let received = 0;
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    disableReverseLookup: true,
    onData(stream, _session, cb) {
      started();
      stream.resume();
      stream.on('end', () =>
        void released.then(() => {
          received++;
          cb();
        }),
      );
    },
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.server.address() as AddressInfo;
  return {
    url: `smtp://127.0.0.1:${port}`,
    dataStarted,
    release,
    received: () => received,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

function call(
  port: number,
  method: string,
  path: string,
  body?: unknown,
  agent?: http.Agent,
): Promise<{ status: number; body: unknown }> {
  return new Promise((done, fail) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const req = http.request(
      {
        host: '127.0.0.1',
        port,
        method,
        path,
        agent,
        headers: payload ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) } : {},
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c) => (text += c));
        res.on('end', () => done({ status: res.statusCode ?? 0, body: JSON.parse(text) }));
        res.on('error', fail);
      },
    );
    req.on('error', fail);
    req.end(payload);
  });
}
