import { strict as assert } from 'node:assert';
import fc from 'fast-check';
import sinon from 'sinon';
import { envelope } from '../../api/schemas';
import { CONFIRM_PATH, SEND_PATH } from '../../api/webhooks';
import { DEMO_CLIENTS, DEMO_KEY } from '../../services/runtime/demo';
import { parseDocument } from '../../services/domain/document';
import { parseEmail } from '../../services/domain/email';
import type { Stores } from '../../services/store/types';
import { texts } from '../../services/domain/texts';
import { answerBeforeBody, request, startTestApp, type TestApp } from '../support/app';
import { codeIn, startSmtp, type TestSmtp } from '../support/smtp';
import { storedCodes } from '../support/stores';

/**
 * Hostile bodies for both webhooks: whatever arrives, the answer is a well-formed envelope with a
 * 4xx status, and nothing is stored or mailed.
 */

const RUNS = Number(process.env.FUZZ_RUNS ?? 150);
const VALID_CPF = '02789078220';
const VALID_EMAIL = 'informeemail@gmail.com.br';

const operator = fc.oneof(
  fc.constant({ $ne: null }),
  fc.constant({ $gt: '' }),
  fc.constant({ $regex: '.*' }),
  fc.constant({ $where: 'sleep(1000)' }),
  fc.record({ $in: fc.array(fc.string(), { maxLength: 3 }) }),
);
const nonAsciiDigits = fc
  .array(fc.constantFrom('٠', '١', '٢', '٣', '۴', '५', '০', '๑', '１', '𝟐'), { minLength: 11, maxLength: 14 })
  .map((a) => a.join(''));
const hugeString = fc.integer({ min: 300, max: 6000 }).map((n) => 'x'.repeat(n));
const anyValue = fc.oneof(fc.jsonValue(), operator, hugeString, nonAsciiDigits);
const badDocument = fc
  .oneof(fc.string({ maxLength: 20 }), nonAsciiDigits, hugeString, fc.stringMatching(/^[0-9]{11}$/), fc.stringMatching(/^[0-9A-Z]{14}$/))
  .filter((s) => parseDocument(s) === null);
const crlfEmail = fc
  .tuple(fc.constantFrom('\r\n', '\n', '\r', '\u0000', ' ', ','), fc.constantFrom('Bcc: x@y.com', 'a@b.com', ''))
  .map(([sep, tail]) => `informe${sep}${tail}email@gmail.com.br`);
const badEmail = fc.oneof(fc.string({ maxLength: 40 }), crlfEmail, hugeString).filter((s) => parseEmail(s) === null);
const badCode = fc.oneof(fc.string({ maxLength: 10 }), nonAsciiDigits, fc.stringMatching(/^[0-9]{1,5}$/)).filter((s) => !/^[0-9]{6}$/.test(s.replace(/\s/g, '')));

/** Raw JSON texts no serializer would produce from a plain object. */
const protoText = fc.constantFrom(
  `{"__proto__":{"key":"${DEMO_KEY}"},"cpfCnpj":"${VALID_CPF}","email":"${VALID_EMAIL}"}`,
  `{"key":"${DEMO_KEY}","email":"${VALID_EMAIL}","__proto__":{"cpfCnpj":"${VALID_CPF}","codigo":"123456"}}`,
  `{"constructor":{"prototype":{"key":"${DEMO_KEY}"}},"cpfCnpj":"${VALID_CPF}","email":"${VALID_EMAIL}"}`,
  `{"key":{"toString":"${DEMO_KEY}"},"cpfCnpj":"${VALID_CPF}","email":"${VALID_EMAIL}"}`,
  `{"key":"${DEMO_KEY}","cpfCnpj":["${VALID_CPF}"],"email":"${VALID_EMAIL}"}`,
);

/** Bodies for a webhook whose fields are `fields`: each has at least one field at fault. */
function hostileBodies(extra: Record<string, fc.Arbitrary<unknown>>) {
  const good = { key: fc.constant(DEMO_KEY), cpfCnpj: fc.constant(VALID_CPF), email: fc.constant(VALID_EMAIL), ...Object.fromEntries(Object.keys(extra).map((k) => [k, fc.constant('123456')])) };
  const spoil = (field: string, bad: fc.Arbitrary<unknown>) => fc.record({ ...good, [field]: bad }).map((b) => JSON.stringify(b));
  return fc.oneof(
    fc.jsonValue().map((v) => JSON.stringify(v)),
    fc.dictionary(fc.constantFrom('key', 'cpfCnpj', 'email', 'codigo', '__proto__', 'constructor', '$where'), anyValue).map((v) => JSON.stringify(v)),
    spoil('key', fc.oneof(anyValue.filter((v) => v !== DEMO_KEY), fc.string({ maxLength: 200 }).filter((v) => v !== DEMO_KEY))),
    spoil('cpfCnpj', fc.oneof(badDocument, operator, fc.jsonValue().filter((v) => typeof v !== 'string'))),
    spoil('email', fc.oneof(badEmail, operator)),
    ...Object.entries(extra).map(([field, bad]) => spoil(field, bad)),
    protoText,
    fc.string({ maxLength: 50 }).filter((s) => {
      try {
        JSON.parse(s);
        return false;
      } catch {
        return true;
      }
    }),
  );
}

const knownTexts = new Set<string>(Object.values(texts).filter((t) => typeof t === 'string') as string[]);
const isKnownText = (m: string) =>
  knownTexts.has(m) || /^Requisição inválida\. Campo "[A-Za-z]+" ausente ou não é texto\.$/.test(m) || /^Código inválido\. Você ainda tem (1 tentativa|[2-4] tentativas)\.$/.test(m);

describe('adversarial bodies', () => {
  let smtp: TestSmtp;
  let app: TestApp;
  let stores: Stores;

  before(async () => {
    smtp = await startSmtp('accept');
    app = await startTestApp({ SMTP_URL: smtp.url, SEED_DEMO: 'true' });
    stores = app.stores;
  });
  after(async () => {
    await app.close();
    await smtp.close();
  });
  afterEach(async () => {
    assert.equal(smtp.mails.length, 0, 'nothing was mailed');
    assert.equal(await storedCodes(stores), 0, 'no code was stored');
    for (const c of DEMO_CLIENTS) {
      const stored = await stores.clients.find('CAER', c.document);
      assert.equal(stored?.email, c.email, 'no client changed');
      assert.equal(stored?.emailValidatedAt, null);
    }
  });

  const fuzz = (path: string, bodies: fc.Arbitrary<string>) =>
    fc.assert(
      fc.asyncProperty(bodies, async (text) => {
        const res = await app.post(path, text);
        assert.ok(res.status >= 400 && res.status < 500, `status ${res.status} for ${text.slice(0, 200)}`);
        assert.equal(res.headers.get('content-type'), 'application/json; charset=utf-8');
        assert.ok(envelope.safeParse(res.body).success, JSON.stringify(res.body));
        assert.equal(res.body.body.validado, 'N');
        assert.ok(isKnownText(res.body.body.mensagemCritica), res.body.body.mensagemCritica);
      }),
      { numRuns: RUNS },
    );

  it('the send webhook answers every hostile body with a 4xx envelope', () => fuzz(SEND_PATH, hostileBodies({})));

  it('the confirm webhook answers every hostile body with a 4xx envelope', () =>
    fuzz(CONFIRM_PATH, hostileBodies({ codigo: fc.oneof(badCode, operator, fc.integer()) })));

  it('answers an oversized body with 413 and a wrong content type with 415, before the body is read', async () => {
    for (const path of [SEND_PATH, CONFIRM_PATH]) {
      for (const size of [8 * 1024 + 1, 1024 * 1024]) {
        const res = await app.post(path, JSON.stringify({ key: DEMO_KEY, pad: 'x'.repeat(size) }));
        assert.equal(res.status, 413);
        assert.equal(res.body.body.mensagemCritica, 'Requisição muito grande.');
        // The answer comes though the body never does: it was decided from the headers.
        const early = await answerBeforeBody(app.baseUrl + path, { 'content-type': 'application/json', 'content-length': String(size) });
        assert.deepEqual([early.status, early.body.body.mensagemCritica], [413, 'Requisição muito grande.']);
      }
      // Without Content-Length, reading stops at the limit: the rest of the body is never waited for.
      const chunked = await answerBeforeBody(app.baseUrl + path, { 'content-type': 'application/json' }, 'x'.repeat(8 * 1024 + 1));
      assert.deepEqual([chunked.status, chunked.body.body.mensagemCritica], [413, 'Requisição muito grande.']);
      for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/jsonp']) {
        const res = await app.post(path, '{}', { 'content-type': type });
        assert.equal(res.status, 415, type);
        assert.equal(res.body.body.mensagemCritica, 'O conteúdo deve ser JSON.');
        const early = await answerBeforeBody(app.baseUrl + path, { 'content-type': type, 'content-length': '2' });
        assert.deepEqual([early.status, early.body.body.mensagemCritica], [415, 'O conteúdo deve ser JSON.'], type);
      }
      const none = await request(app.baseUrl + path, { method: 'POST', body: Buffer.from('{}') });
      assert.equal(none.status, 415);
    }
  });
});

describe('a database that fails in the middle of a request', () => {
  let smtp: TestSmtp;
  let app: TestApp;
  let stores: Stores;
  const body = { key: DEMO_KEY, cpfCnpj: VALID_CPF, email: VALID_EMAIL };
  const UNAVAILABLE = { key: DEMO_KEY, body: { validado: 'N', mensagemCritica: texts.unavailable } };

  beforeEach(async () => {
    smtp = await startSmtp('accept');
    app = await startTestApp({ SMTP_URL: smtp.url, SEED_DEMO: 'true' });
    stores = app.stores;
  });
  afterEach(async () => {
    sinon.restore();
    await app.close();
    await smtp.close();
  });

  it('before the mail: 503, nothing mailed, no code', async () => {
    sinon.stub(stores.limits, 'takeAll').rejects(new Error('connection reset'));
    const res = await app.post(SEND_PATH, body);
    assert.equal(res.status, 503);
    assert.deepEqual(res.body, UNAVAILABLE);
    assert.equal(smtp.mails.length, 0);
    assert.equal(await storedCodes(stores), 0);
  });

  it('after the mail: 503, and the code that went out is not live (nothing usable was left behind)', async () => {
    sinon.stub(stores.codes, 'replace').rejects(new Error('connection reset'));
    const res = await app.post(SEND_PATH, body);
    assert.equal(res.status, 503);
    assert.deepEqual(res.body, UNAVAILABLE);
    assert.equal(await storedCodes(stores), 0);
  });

  it('while confirming: 503, and the client is not marked validated', async () => {
    await app.post(SEND_PATH, body);
    const code = codeIn(await smtp.nextMail(0));
    const stub = sinon.stub(stores.clients, 'markEmailValidated').rejects(new Error('connection reset'));
    const failed = await app.post(CONFIRM_PATH, { ...body, codigo: code });
    assert.equal(failed.status, 503);
    assert.deepEqual(failed.body, UNAVAILABLE);
    stub.restore();
    assert.equal((await stores.clients.find('CAER', VALID_CPF))?.emailValidatedAt, null);
    // The used code is gone (single use holds even then); the client asks for a new one.
    assert.equal(await storedCodes(stores), 0);
  });
});
