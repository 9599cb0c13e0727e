import { strict as assert } from 'node:assert';
import sinon from 'sinon';
import { request, startTestApp, type TestApp } from '../support/app';
import { createMailCheck } from '../../api/ops';
import { createPooledSmtpMailer } from '../../services/mail/smtpPool';
import { captureLogs } from '../support/logs';
import { freePort } from '../support/ports';
import { startSmtp, type TestSmtp } from '../support/smtp';
import { eventually } from '../support/wait';

describe('GET /health and GET /ready', () => {
  let app: TestApp | undefined;
  let smtp: TestSmtp | undefined;
  afterEach(async () => {
    sinon.restore();
    await app?.close();
    await smtp?.close();
    app = smtp = undefined;
  });

  const get = (path: string) => request(app!.baseUrl + path);

  it('/health answers 200 {"status":"ok"} while the process runs, whatever the database does', async () => {
    app = await startTestApp({});
    const { stores } = app;
    sinon.stub(stores, 'ping').rejects(new Error('down'));
    const res = await get('/health');
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), 'application/json; charset=utf-8');
    assert.deepEqual(res.body, { status: 'ok' });
  });

  it('/ready answers 200 when the database and the SMTP server answer', async () => {
    smtp = await startSmtp('accept');
    app = await startTestApp({ SMTP_URL: smtp.url });
    const res = await get('/ready');
    assert.equal(res.status, 200);
    assert.deepEqual(res.body, { status: 'ok', checks: { database: 'ok', mail: 'ok' } });
  });

  it('/ready connects to the SMTP server at most every 5 s, however often it is asked', async () => {
    smtp = await startSmtp('accept');
    app = await startTestApp({ SMTP_URL: smtp.url });
    const clock = sinon.useFakeTimers({ now: Date.now(), toFake: ['Date'] });
    for (let i = 0; i < 20; i++) assert.equal((await get('/ready')).status, 200);
    assert.equal(smtp.connections(), 1);
    clock.tick(5000);
    assert.equal((await get('/ready')).status, 200);
    assert.equal(smtp.connections(), 2);
  });

  it('/ready skips the mail check when mails go to the outbox', async () => {
    app = await startTestApp({});
    const res = await get('/ready');
    assert.equal(res.status, 200);
    assert.deepEqual(res.body, { status: 'ok', checks: { database: 'ok', mail: 'skipped' } });
  });

  it('/ready answers 503 while the database ping fails, and 200 again once it answers', async () => {
    app = await startTestApp({});
    const { stores } = app;
    const ping = sinon.stub(stores, 'ping');
    ping.onFirstCall().rejects(new Error('MongoServerSelectionError: connect ECONNREFUSED'));
    ping.onSecondCall().resolves();
    const down = await get('/ready');
    assert.equal(down.status, 503);
    assert.deepEqual(down.body, { status: 'unavailable', checks: { database: 'failed', mail: 'skipped' }, reasons: { database: 'unreachable' } });
    const back = await get('/ready');
    assert.equal(back.status, 200);
    assert.deepEqual(back.body, { status: 'ok', checks: { database: 'ok', mail: 'skipped' } });
  });

  it('logs a failing check once, not at every probe, and once more when it passes again', async () => {
    const logs = captureLogs();
    app = await startTestApp({}, { logger: logs.logger });
    const ping = sinon.stub(app.stores, 'ping');
    ping.rejects(new Error('MongoServerSelectionError: connect ECONNREFUSED'));
    for (let i = 0; i < 3; i++) assert.equal((await get('/ready')).status, 503);
    ping.resolves();
    assert.equal((await get('/ready')).status, 200);
    assert.equal((await get('/ready')).status, 200);
    const said = logs.lines().filter((l) => l.msg.startsWith('readiness check'));
    assert.deepEqual(said.map((l) => [l.level, l.msg, l.check]), [
      ['warn', 'readiness check failed', 'database'],
      ['info', 'readiness check passes again', 'database'],
    ]);
  });

  // Each check's own bound answers (about 3 s); the test's timeout would catch a hang.
  it('/ready answers 503 when the database ping hangs', async () => {
    app = await startTestApp({});
    const { stores } = app;
    sinon.stub(stores, 'ping').returns(new Promise(() => {}));
    const res = await get('/ready');
    assert.equal(res.status, 503);
    assert.deepEqual(res.body, { status: 'unavailable', checks: { database: 'failed', mail: 'skipped' }, reasons: { database: 'timeout' } });
  });

  it('/ready answers 503 when the SMTP server never greets', async () => {
    smtp = await startSmtp('silent');
    app = await startTestApp({ SMTP_URL: smtp.url });
    // The check gives up on the greeting within /ready's own bound; on a busy machine /ready may give up
    // first ("timeout"), and the next /ready answers what the check found.
    let res = await get('/ready');
    while ((res.body as { reasons?: { mail?: string } }).reasons?.mail === 'timeout') res = await get('/ready');
    assert.equal(res.status, 503);
    assert.deepEqual(res.body, { status: 'unavailable', checks: { database: 'ok', mail: 'failed' }, reasons: { mail: 'greeting_timeout' } });
  });

  it('/ready answers 503 when the SMTP server refuses connections', async () => {
    const port = await freePort();
    app = await startTestApp({ SMTP_URL: `smtp://127.0.0.1:${port}` });
    const res = await get('/ready');
    assert.equal(res.status, 503);
    assert.deepEqual(res.body, { status: 'unavailable', checks: { database: 'ok', mail: 'failed' }, reasons: { mail: 'refused' } });
  });
});

describe('the SMTP check behind /ready', function () {
  this.timeout(30_000);

  it('logs in again every 10 minutes beside the checks: a login the server is slow to answer then leaves the service ready', async () => {
    // A relay on loopback taking a login in clear, so the check's own mailer can run in this process.
    const auth = { user: 'gsan', pass: 'segredo', inClear: true, hang: false };
    const smtp = await startSmtp('accept', { auth });
    const mailer = createPooledSmtpMailer({ url: `smtp://gsan:segredo@127.0.0.1:${smtp.port}`, timeoutMs: 4000, plainLoopback: true });
    const clock = sinon.useFakeTimers({ now: Date.now(), toFake: ['Date'] });
    try {
      const check = createMailCheck(mailer);
      await check();
      assert.deepEqual(smtp.logins(), { attempts: 1, refused: 0 });
      // Ten minutes on, the server stops answering logins: the check still answers, from a connection and the last login.
      auth.hang = true;
      clock.tick(10 * 60_000);
      await check();
      await eventually(() => smtp.logins().attempts === 2);
    } finally {
      clock.restore();
      mailer.close();
      await smtp.close();
    }
  });
});
