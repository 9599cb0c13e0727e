import { strict as assert } from 'node:assert';
import { DEMO_KEY } from '../../services/runtime/demo';
import { SEND_PATH } from '../../api/webhooks';
import { request, startTestApp } from '../support/app';
import { captureLogs, type LogLine } from '../support/logs';
import { startService, type ServiceProcess } from '../support/service';
import { startSmtp, type TestSmtp } from '../support/smtp';
import { storeEnv } from '../support/stores';
import { createTestCa, type TestCa } from '../support/tls';
import { eventually } from '../support/wait';

/**
 * The SMTP server as a utility's IT team runs one (docs/api.md §4, docs/operations.md): the
 * submission port requires STARTTLS, with a certificate from the utility's private CA, and a login.
 * The service is started as a process, as an operator starts it, so that `NODE_EXTRA_CA_CERTS`
 * (read by Node at start only) is what makes it trust that CA.
 */

const NAME = 'mail.utility.test';
const USER = 'gsan';
// A password with the characters that broke a raw SMTP_URL: written percent-encoded, as the docs say.
const PASSWORD = 'p@ss#50%/x:y';
const SENDER = 'nao-responda@caer.com.br';

const NOT_USABLE = (l: LogLine) => l.msg.startsWith('SMTP server not usable');

describe('the mail server as utilities run it: STARTTLS with a private CA, and a login', function () {
  this.timeout(60_000);
  let ca: TestCa;
  let smtp: TestSmtp | undefined;
  let service: ServiceProcess | undefined;

  before(async () => {
    ca = createTestCa();
  });
  after(() => ca.remove());
  afterEach(async () => {
    await service?.stop();
    await smtp?.close();
    service = smtp = undefined;
  });

  async function server(auth: { hang?: boolean } = {}): Promise<TestSmtp> {
    return startSmtp('accept', { tls: ca.issue([NAME]), auth: { user: USER, pass: PASSWORD, ...auth } });
  }

  /** The URL as the docs tell to write it: the password percent-encoded, the certificate's name for an IP address. */
  const url = (port: number, opts: { password?: string; servername?: boolean } = {}) =>
    `smtp://${USER}:${encodeURIComponent(opts.password ?? PASSWORD)}@127.0.0.1:${port}` +
    (opts.servername === false ? '' : `?tls.servername=${NAME}`);

  /** The service as a process, trusting the test's CA unless told not to; TLS required (no plain loopback). */
  const start = (smtpUrl: string, trust = true) =>
    startService({
      ...storeEnv(),
      SEED_DEMO: 'true',
      SMTP_URL: smtpUrl,
      SMTP_PLAIN_LOOPBACK: '',
      ...(trust ? { NODE_EXTRA_CA_CERTS: ca.certFile } : {}),
    });

  const send = (s: ServiceProcess) =>
    request<{ body: { validado: string } }>(s.baseUrl + SEND_PATH, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ key: DEMO_KEY, cpfCnpj: '02789078220', email: 'maria@exemplo.com.br' }),
    });

  it('delivers over STARTTLS after logging in, the CA trusted through NODE_EXTRA_CA_CERTS, the server named by tls.servername', async () => {
    smtp = await server();
    service = await start(url(smtp.port));
    const ready = await request(service.baseUrl + '/ready');
    assert.deepEqual(ready.body, { status: 'ok', checks: { database: 'ok', mail: 'ok' } });
    const res = await send(service);
    assert.equal(res.status, 200);
    assert.equal(res.body.body.validado, 'S');
    const mail = await smtp.nextMail(0);
    assert.equal(mail.secure, true, 'over TLS');
    assert.equal(mail.user, USER);
    assert.equal(mail.envelopeFrom, SENDER, 'bounces go to the sender when SMTP_BOUNCE_ADDRESS is unset');
    assert.equal(mail.parsed.headers.get('auto-submitted'), 'auto-generated');
    assert.equal(smtp.logins().refused, 0);
    assert.ok(!service.lines().some(NOT_USABLE));
    // The start says so, naming the server (never the password), DKIM and the domain check.
    const usable = await service.line((l) => l.msg === 'SMTP server usable');
    assert.deepEqual([usable.smtp, usable.dkim, usable.domainCheck], [`127.0.0.1:${smtp.port}`, null, false]);
  });

  it('names an untrusted certificate as such (no NODE_EXTRA_CA_CERTS), and never logs in', async () => {
    smtp = await server();
    service = await start(url(smtp.port), false);
    const line = await service.line(NOT_USABLE);
    assert.deepEqual([line.smtp, line.reason], [`127.0.0.1:${smtp.port}`, 'certificate']);
    assert.equal(smtp.logins().attempts, 0);
  });

  it('names a certificate for another host (an IP address in SMTP_URL without tls.servername)', async () => {
    smtp = await server();
    service = await start(url(smtp.port, { servername: false }));
    const line = await service.line(NOT_USABLE);
    assert.equal(line.reason, 'hostname');
    assert.equal(smtp.logins().attempts, 0);
  });

  it('names a refused login, and logs in again neither for /ready nor for the start check: one failure, however often /ready is asked', async () => {
    smtp = await server();
    service = await start(url(smtp.port, { password: 'wrong' }));
    const line = await service.line(NOT_USABLE);
    assert.equal(line.reason, 'auth');
    assert.deepEqual(smtp.logins(), { attempts: 1, refused: 1 });
    // /ready connects again (at most every 5 s) but repeats the login's result instead of logging in.
    const connections = smtp.connections();
    let ready = await request<{ reasons?: { mail?: string } }>(service.baseUrl + '/ready');
    await eventually(async () => {
      ready = await request(service!.baseUrl + '/ready');
      // A check that outlived /ready's own bound on a busy machine says "timeout": the next one says what it found.
      if (smtp!.connections() > connections && ready.body.reasons?.mail !== 'timeout') return true;
      await new Promise((resolve) => setTimeout(resolve, 200));
      return false;
    });
    assert.equal(ready.status, 503);
    assert.equal(ready.body.reasons?.mail, 'auth');
    assert.deepEqual(smtp.logins(), { attempts: 1, refused: 1 });
  });

  it('names a login the server never answers (a slow-failing password) apart from a server that never greets', async () => {
    smtp = await server({ hang: true });
    service = await start(url(smtp.port));
    const line = await service.line(NOT_USABLE);
    assert.equal(line.reason, 'auth_timeout');
  });

  it('never says ready while the login is still unanswered: the checks meanwhile wait for it, not for a connection without it', async () => {
    smtp = await server({ hang: true });
    service = await start(url(smtp.port));
    const seen: (string | undefined)[] = [];
    // Asked throughout the login (the check waits 10 s for it), until the login's own answer.
    while (!service.lines().some(NOT_USABLE)) {
      const ready = await request<{ reasons?: { mail?: string } }>(service.baseUrl + '/ready');
      const answer = ready.status === 200 ? 'ready' : ready.body.reasons?.mail;
      if (seen.at(-1) !== answer) seen.push(answer);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    assert.ok(!seen.includes('ready'), seen.join(', '));
    assert.equal(smtp.logins().attempts, 1, 'one login');
  });
});

describe('smtp:// to a server that offers no STARTTLS', () => {
  it('is refused before any login: the password never travels in clear (cause tls)', async () => {
    // A server that would even take the password in clear: the service never offers it.
    const smtp = await startSmtp('accept', { auth: { user: USER, pass: PASSWORD, inClear: true } });
    const logs = captureLogs();
    const app = await startTestApp(
      { SMTP_URL: `smtp://${USER}:${encodeURIComponent(PASSWORD)}@127.0.0.1:${smtp.port}`, SMTP_PLAIN_LOOPBACK: '', SEED_DEMO: 'true' },
      { logger: logs.logger },
    );
    try {
      const res = await app.post(SEND_PATH, { key: DEMO_KEY, cpfCnpj: '02789078220', email: 'maria@exemplo.com.br' });
      assert.equal(res.status, 500);
      await eventually(() => logs.lines().some(NOT_USABLE));
      assert.equal(logs.lines().find(NOT_USABLE)!.reason, 'tls');
      assert.equal(logs.lines().find((l) => l.msg === 'mail not sent')!.cause, 'tls');
      assert.equal(smtp.logins().attempts, 0);
      assert.equal(smtp.mails.length, 0);
    } finally {
      await app.close();
      await smtp.close();
    }
  });
});
