import { strict as assert } from 'node:assert';
import { spawn } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { resolve } from 'node:path';
import { SMTPServer } from 'smtp-server';
import { SEND_PATH } from '../../api/webhooks';
import { DEMO_KEY } from '../../services/demo';
import type { LogLine } from '../support/logs';

/**
 * The real service as a child process (`node --import tsx index.ts`, as `npm start` runs it),
 * stopped by a signal while a send is in flight: the SMTP server holds its answer to DATA.
 */

const ROOT = resolve(__dirname, '../..');
const seedRequest = { key: DEMO_KEY, cpfCnpj: '02789078220', email: 'informeemail@gmail.com.br' };

describe('stopping on SIGTERM and SIGINT', function () {
  this.timeout(20000);

  it('on SIGTERM stops accepting, answers the send in flight with 200 S, closes kept-alive connections and exits 0', async () => {
    const smtp = await startSlowSmtp(1000);
    const service = await startService({ SMTP_URL: smtp.url });
    try {
      const idle = new http.Agent({ keepAlive: true });
      const busy = new http.Agent({ keepAlive: true });
      assert.equal((await call(service.port, 'GET', '/health', undefined, idle)).status, 200); // stays open, idle

      const inFlight = call(service.port, 'POST', SEND_PATH, seedRequest, busy);
      await smtp.dataStarted;
      service.child.kill('SIGTERM');
      await service.line((l) => l.msg === 'stopping');
      await assert.rejects(call(service.port, 'GET', '/health'), /ECONNREFUSED|ECONNRESET|socket hang up/, 'no longer accepting');

      const answer = await inFlight;
      const answeredAt = Date.now();
      assert.equal(answer.status, 200);
      assert.deepEqual(answer.body, { key: DEMO_KEY, body: { validado: 'S', mensagemCritica: '' } });
      assert.equal(smtp.received(), 1);

      assert.equal(await service.exit, 0);
      // Well under the 5 s an idle kept-alive connection would otherwise hold the stop.
      assert.ok(Date.now() - answeredAt < 3000, `exited ${Date.now() - answeredAt} ms after the answer`);
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
    const smtp = await startSlowSmtp(6000);
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

interface Service {
  child: ReturnType<typeof spawn>;
  port: number;
  /** Every line of standard output, parsed: it must all be JSON. */
  lines(): LogLine[];
  /** Resolves with the first line that satisfies `match`, waiting for it. */
  line(match: (line: LogLine) => boolean): Promise<LogLine>;
  stderr(): string;
  /** The exit code. */
  exit: Promise<number | null>;
}

async function startService(env: Record<string, string>): Promise<Service> {
  const child = spawn(process.execPath, ['--disable-warning=DEP0111', '--import', 'tsx', 'index.ts'], {
    cwd: ROOT,
    env: { PATH: process.env.PATH, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info', OUTBOX_DIR: 'var/test-outbox', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  const listeners = new Set<() => void>();
  child.stdout.on('data', (chunk) => {
    stdout += chunk;
    listeners.forEach((l) => l());
  });
  child.stderr.on('data', (chunk) => (stderr += chunk));
  const exit = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));

  // Complete lines only: a chunk may end in the middle of one.
  const lines = () =>
    stdout
      .slice(0, stdout.lastIndexOf('\n') + 1)
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => JSON.parse(l) as LogLine);
  const line = (match: (l: LogLine) => boolean) =>
    new Promise<LogLine>((found, fail) => {
      const check = () => {
        const hit = lines().find(match);
        if (hit) {
          listeners.delete(check);
          found(hit);
        }
      };
      listeners.add(check);
      void exit.then(() => fail(new Error(`the service exited; stderr: ${stderr}`)));
      check();
    });

  const listening = await line((l) => l.msg === 'listening');
  return { child, port: listening.port as number, lines, line, stderr: () => stderr, exit };
}

/** An SMTP server that takes `delayMs` to answer the end of DATA. */
async function startSlowSmtp(delayMs: number) {
  let started!: () => void;
  const dataStarted = new Promise<void>((r) => (started = r));
  let received = 0;
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    onData(stream, _session, cb) {
      started();
      stream.resume();
      stream.on('end', () =>
        setTimeout(() => {
          received++;
          cb();
        }, delayMs),
      );
    },
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.server.address() as AddressInfo;
  return {
    url: `smtp://127.0.0.1:${port}`,
    dataStarted,
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
