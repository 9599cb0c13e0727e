import { strict as assert } from 'node:assert';
import sinon from 'sinon';
import { CONFIRM_PATH, SEND_PATH } from '../../api/webhooks';
import { DEMO_KEY } from '../../services/runtime/demo';
import { describeError, redactText } from '../../services/runtime/logging';
import type { Stores } from '../../services/store/types';
import { request, startTestApp, type TestApp } from '../support/app';
import { HttpConversation, startChannel } from '../support/channel';
import { captureLogs, type CapturedLogs } from '../support/logs';
import { freePort } from '../support/ports';
import { codeIn, startSmtp, type TestSmtp } from '../support/smtp';
import { eventually } from '../support/wait';

const CPF = '02789078220';
const EMAIL = 'informeemail@gmail.com.br';
const CPF_WITH_EMAIL = '29378722040';
const REGISTERED_EMAIL = 'aaaxxxxbbb@email.com';
const OTHER_EMAIL = 'outro.endereco@gmail.com';
const WRONG_KEY = 'chave-errada-0123456789';
const INJECTED = 'a@b.com\r\n{"level":"fatal","msg":"forjado"}\r\nBcc: intruso@exemplo.com';

describe('request logs', () => {
  let smtp: TestSmtp;
  let logs: CapturedLogs;
  let stores: Stores;
  let app: TestApp;

  beforeEach(async () => {
    smtp = await startSmtp('accept');
    logs = captureLogs();
    app = await startTestApp({ SMTP_URL: smtp.url, SEED_DEMO: 'true' }, { logger: logs.logger });
    stores = app.stores;
  });
  afterEach(async () => {
    sinon.restore();
    await app.close();
    await smtp.close();
  });

  const requestLines = () => logs.lines().filter((l) => l.msg === 'request');

  it('never carries a CPF, email, key or code of the main scenarios, and logs one JSON line per request', async () => {
    const send = (path: string, body: unknown) => app.post(path, body);

    const sent = await send(SEND_PATH, { key: DEMO_KEY, cpfCnpj: CPF, email: EMAIL });
    assert.equal(sent.body.body.validado, 'S');
    const code = codeIn(await smtp.nextMail(0));
    const wrong = code === '000000' ? '111111' : '000000';

    assert.equal((await send(SEND_PATH, { key: DEMO_KEY, cpfCnpj: CPF_WITH_EMAIL, email: OTHER_EMAIL })).status, 200);
    assert.equal((await send(SEND_PATH, { key: DEMO_KEY, cpfCnpj: '027.890.782-21', email: EMAIL })).status, 400);
    assert.equal((await send(SEND_PATH, { key: DEMO_KEY, cpfCnpj: CPF, email: INJECTED })).status, 400);
    assert.equal((await send(SEND_PATH, { key: WRONG_KEY, cpfCnpj: CPF, email: EMAIL })).status, 401);
    assert.equal((await send(CONFIRM_PATH, { key: DEMO_KEY, cpfCnpj: CPF, email: EMAIL, codigo: wrong })).status, 200);
    const confirmed = await send(CONFIRM_PATH, { key: DEMO_KEY, cpfCnpj: CPF, email: EMAIL, codigo: code });
    assert.equal(confirmed.body.body.validado, 'S');
    // Raw values in the path and the query string of an unknown route and of a wrong method.
    const notFound = await request(`${app.baseUrl}/gsan/chatbot/${CPF}/${encodeURIComponent(EMAIL)}?key=${DEMO_KEY}`);
    assert.equal(notFound.status, 404);
    const wrongMethod = await request(`${app.baseUrl}${SEND_PATH}?email=${encodeURIComponent(EMAIL)}&codigo=${code}`);
    assert.equal(wrongMethod.status, 405);
    const health = await request(`${app.baseUrl}/health`);
    assert.equal(health.status, 200);
    // A database error whose message quotes what it was given.
    sinon
      .stub(stores.clients, 'find')
      .rejects(new Error(`E11000 duplicate key error dup key: { document: "${CPF}", email: "${EMAIL}" } code ${code}`));
    assert.equal((await send(SEND_PATH, { key: DEMO_KEY, cpfCnpj: CPF, email: EMAIL })).status, 503);

    // A request's line is written when its answer finished, which may be just after the client read it.
    await eventually(() => requestLines().length === 11);
    const text = logs.text();
    for (const secret of [CPF, '027.890.782', EMAIL, CPF_WITH_EMAIL, REGISTERED_EMAIL, OTHER_EMAIL, DEMO_KEY, WRONG_KEY, 'intruso', 'forjado']) {
      assert.ok(!text.toLowerCase().includes(secret.toLowerCase()), `the log carries ${secret}`);
    }
    assert.doesNotMatch(text, new RegExp(`(?<![0-9])${code}(?![0-9])`), 'the log carries the code');
    assert.doesNotMatch(text, /\r/);

    const lines = logs.lines(); // every line is JSON
    assert.ok(lines.every((l) => l.service === 'gsan-email-validation' && typeof l.time === 'string'));
    const requests = requestLines();
    for (const line of requests) {
      assert.match(line.reqId, /^[0-9a-f-]{36}$/);
      assert.equal(typeof line.durationMs, 'number');
      assert.equal(typeof line.status, 'number');
    }
    assert.deepEqual(
      requests.map((l) => [l.method, l.route, l.status, l.outcome]),
      [
        ['POST', SEND_PATH, 200, 'codeSent'],
        ['POST', SEND_PATH, 200, 'similarEmail'],
        ['POST', SEND_PATH, 400, 'invalidDocument'],
        ['POST', SEND_PATH, 400, 'invalidEmail'],
        ['POST', SEND_PATH, 401, 'invalidKey'],
        ['POST', CONFIRM_PATH, 200, 'wrongCode'],
        ['POST', CONFIRM_PATH, 200, 'confirmed'],
        ['GET', 'unmatched', 404, 'notFound'],
        ['GET', 'unmatched', 405, 'methodNotAllowed'],
        ['GET', '/health', 200, undefined],
        ['POST', SEND_PATH, 503, 'unavailable'],
      ],
    );
  });

  it('logs an unexpected error once, with the request id of its request line, redacted', async () => {
    sinon.stub(stores.clients, 'find').rejects(new Error(`lookup of ${CPF} for ${EMAIL} failed`));
    const res = await app.post(SEND_PATH, { key: DEMO_KEY, cpfCnpj: CPF, email: EMAIL });
    assert.equal(res.status, 503);
    await eventually(() => requestLines().length === 1);
    const errors = logs.lines().filter((l) => l.msg === 'unexpected error');
    assert.equal(errors.length, 1);
    const [error] = errors;
    assert.equal(error.level, 'error');
    assert.equal(error.reqId, res.headers.get('x-request-id'));
    assert.equal(error.route, SEND_PATH);
    assert.equal(error.error.type, 'Error');
    assert.equal(error.error.message, 'lookup of [cpfCnpj] for [email] failed');
    assert.match(error.error.stack, /^at /);
    const [line] = requestLines();
    assert.equal(line.reqId, error.reqId);
    assert.equal(line.level, 'warn');
  });

  it('keeps a caller X-Request-Id of a safe shape and replaces any other, echoing it in the answer', async () => {
    const safe = ['gw-1234-abcDEF', '0f8fe0d2-1a43-4a4c-9f3b-123456789012', `x${'-'.repeat(62)}y`, 'pedido-2937872204'];
    // A CPF alone or inside, a CNPJ's digits, characters beyond the plain set, too long.
    const odd = ['29378722040', 'pedido-02789078220-x', '12345678000195', 'gw-1234.abc_DEF', 'com espaço', 'x'.repeat(65), '<script>', 'a;b=c'];
    const echoed = [];
    for (const id of [...safe, ...odd]) {
      const res = await request(`${app.baseUrl}/health`, { headers: { 'X-Request-Id': id } });
      echoed.push(res.headers.get('x-request-id'));
    }
    const notFound = await app.post('/nada', {});
    assert.match(notFound.headers.get('x-request-id') ?? '', /^[0-9a-f-]{36}$/);

    await eventually(() => requestLines().length === safe.length + odd.length + 1);
    const ids = requestLines().map((l) => l.reqId);
    assert.deepEqual(echoed.slice(0, safe.length), safe);
    assert.deepEqual(ids.slice(0, safe.length), safe);
    for (const [i, id] of echoed.slice(safe.length).entries()) {
      assert.match(id ?? '', /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[0-9a-f]{4}-[0-9a-f]{12}$/, odd[i]);
      assert.equal(ids[safe.length + i], id);
    }
    for (const leak of ['29378722040', '02789078220', '12345678000195', 'script', 'espa', 'abc_DEF']) assert.ok(!logs.text().includes(leak), leak);
  });

  it('logs a bot turn with its outcome and duration, never free text as its outcome', async () => {
    app.observability.botTurn({ outcome: 'ok', durationMs: 12.345 });
    app.observability.botTurn({ outcome: `texto livre com ${EMAIL}`, durationMs: 3 });
    const turns = logs.lines().filter((l) => l.msg === 'bot turn');
    assert.deepEqual(
      turns.map((t) => [t.event, t.outcome, t.durationMs]),
      [
        ['botTurn', 'ok', 12.3],
        ['botTurn', 'other', 3],
      ],
    );
    assert.ok(!logs.text().includes(EMAIL));
  });
});


describe('a mail the SMTP server refused', () => {
  it('is logged once as a warning, with the request id, the SMTP server, its reply code and the cause, never the address', async () => {
    const smtp = await startSmtp('reject');
    const logs = captureLogs();
    const app = await startTestApp({ SMTP_URL: smtp.url, SEED_DEMO: 'true' }, { logger: logs.logger });
    try {
      const res = await app.post(SEND_PATH, { key: DEMO_KEY, cpfCnpj: CPF, email: EMAIL });
      assert.equal(res.status, 500);
      const lines = logs.lines().filter((l) => l.msg === 'mail not sent');
      assert.equal(lines.length, 1);
      assert.equal(lines[0].level, 'warn');
      assert.equal(lines[0].reqId, res.headers.get('x-request-id'));
      assert.deepEqual([lines[0].smtp, lines[0].replyCode, lines[0].cause], [`127.0.0.1:${smtp.port}`, 550, 'rejected']);
      assert.match(lines[0].error.message, /550/);
      assert.ok(!logs.text().includes(EMAIL) && !logs.text().includes(CPF));
    } finally {
      await app.close();
      await smtp.close();
    }
  });
});

describe('censoring of sensitive field names', () => {
  it('replaces the value of key, cpfCnpj, email, codigo, password and authorization, three levels deep', () => {
    const logs = captureLogs();
    logs.logger.info(
      { email: 'a@b.com', route: '/x', nested: { cpfCnpj: '02789078220', ok: 1, headers: { authorization: 'Bearer t' } } },
      'line',
    );
    logs.logger.info({ key: DEMO_KEY, codigo: '123456', password: 'p' }, 'other');
    const [first, second] = logs.lines();
    assert.deepEqual(
      { email: first.email, route: first.route, nested: first.nested },
      { email: '[redacted]', route: '/x', nested: { cpfCnpj: '[redacted]', ok: 1, headers: { authorization: '[redacted]' } } },
    );
    assert.deepEqual([second.key, second.codigo, second.password], ['[redacted]', '[redacted]', '[redacted]']);
    assert.ok(!logs.text().includes(DEMO_KEY) && !logs.text().includes('02789078220'));
  });
});

describe('redaction of error messages', () => {
  it('blots out emails, valid CPFs and CNPJs, and runs of six or more digits', () => {
    assert.equal(
      redactText('dup key: { document: "02789078220", email: "Fulano.Tal@x.com.br" } 12.ABC.345/01DE-35 12ABC34501DE35 code 123456'),
      'dup key: { document: "[cpfCnpj]", email: "[email]" } [cpfCnpj] [cpfCnpj] code [digits]',
    );
    assert.equal(redactText('connect ECONNREFUSED 127.0.0.1:27017'), 'connect ECONNREFUSED 127.0.0.1:27017');
  });

  it('keeps the type, code and stack frames of an error, not its first stack line', () => {
    const err = Object.assign(new Error('falhou para a@b.com'), { code: 'EX', keyValue: { email: 'a@b.com' } });
    const described = describeError(err);
    assert.equal(described.type, 'Error');
    assert.equal(described.code, 'EX');
    assert.equal(described.message, 'falhou para [email]');
    assert.ok(!JSON.stringify(described).includes('a@b.com'));
    assert.deepEqual(describeError('texto'), { type: 'string' });
  });
});

describe('an SMTP server that cannot be used, at start', () => {
  it('is named in one warning line with its host:port and the cause, while the service starts anyway', async () => {
    const port = await freePort();
    const logs = captureLogs();
    const app = await startTestApp({ SMTP_URL: `smtp://usuario:senha@127.0.0.1:${port}`, SMTP_PLAIN_LOOPBACK: '' }, { logger: logs.logger });
    try {
      assert.equal((await request(`${app.baseUrl}/health`)).status, 200);
      await eventually(() => logs.lines().some((l) => l.msg.startsWith('SMTP server not usable')));
      const line = logs.lines().find((l) => l.msg.startsWith('SMTP server not usable'))!;
      assert.deepEqual([line.level, line.smtp, line.reason], ['warn', `127.0.0.1:${port}`, 'refused']);
      assert.ok(!logs.text().includes('senha'), 'never the password');
    } finally {
      await app.close();
    }
  });
});

describe('ids a bot activity brings', () => {
  it('pass the same censoring as the rest of a log line when the turn fails', async () => {
    // The conversation's state cannot be saved, so the turn fails and its error is logged with the conversation's id.
    const channel = await startChannel();
    const logs = captureLogs();
    const app = await startTestApp({ SEED_DEMO: 'true' }, { logger: logs.logger });
    const write = sinon.stub(app.bot.storage, 'write').rejects(new Error('the database is gone'));
    try {
      const chat = new HttpConversation(app.baseUrl, channel);
      const conversationId = `conv ${CPF} ${EMAIL} 12.ABC.345/01DE-35`;
      await chat.send({ type: 'message', text: 'oi', conversation: { id: conversationId, isGroup: false, conversationType: 'personal', name: 'c' } });
      await eventually(() => logs.lines().some((l) => l.msg === 'unexpected error in a bot turn'));
      const line = logs.lines().find((l) => l.msg === 'unexpected error in a bot turn')!;
      assert.equal(line.conversationId, 'conv [cpfCnpj] [email] [cpfCnpj]');
      for (const secret of [CPF, EMAIL, '12.ABC.345/01DE-35']) assert.ok(!logs.text().includes(secret), secret);
    } finally {
      write.restore();
      await app.close();
      await channel.close();
    }
  });
});
