import { strict as assert } from 'node:assert';
import { connect } from 'node:net';
import { cpf } from 'cpf-cnpj-validator';
import sinon from 'sinon';
import { hashCode } from '../../services/domain/code';
import { DEMO_KEY } from '../../services/runtime/demo';
import { MAX_ATTEMPTS_PER_CODE, MAX_KEY_LENGTH, RECIPIENT_LIMIT, SEND_LIMIT } from '../../services/domain/rules';
import type { Stores } from '../../services/store/types';
import { SEND_PATH } from '../../api/webhooks';
import { botTexts, texts } from '../../services/domain/texts';
import { startTestApp, request, type TestApp } from '../support/app';
import { codeIn, startSmtp, type TestSmtp } from '../support/smtp';
import { storedCodes } from '../support/stores';

const PEPPER = 'test-pepper-test-pepper-test-pepper-0123';
const seedRequest = { key: DEMO_KEY, cpfCnpj: '02789078220', email: 'informeemail@gmail.com.br' };
const N = (mensagemCritica: string, key = DEMO_KEY) => ({ key, body: { validado: 'N', mensagemCritica } });

describe('POST /gsan/chatbot/enviarCodigoValidacaoEmailCliente', () => {
  let smtp: TestSmtp;
  let app: TestApp;
  let stores: Stores;

  beforeEach(async () => {
    smtp = await startSmtp('accept');
    app = await startTestApp({ SMTP_URL: smtp.url, CODE_PEPPER: PEPPER, SEED_DEMO: 'true' });
    stores = app.stores;
  });
  afterEach(async () => {
    sinon.restore();
    await app.close();
    await smtp.close();
  });

  it("answers the seed's example request with S and mails the code", async () => {
    const res = await app.post(SEND_PATH, seedRequest);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), 'application/json; charset=utf-8');
    assert.deepEqual(res.body, { key: DEMO_KEY, body: { validado: 'S', mensagemCritica: '' } });

    const mail = await smtp.nextMail(0);
    assert.deepEqual(mail.envelopeTo, ['informeemail@gmail.com.br']);
    assert.equal(mail.envelopeFrom, 'nao-responda@caer.com.br');
    assert.equal(mail.parsed.subject, 'CAER: seu código de validação de email');
    const code = codeIn(mail);
    assert.match(mail.parsed.text!, /expira em 10 minutos/);
    assert.match(mail.parsed.text!, /Não compartilhe/);
    assert.match(mail.parsed.text!, /ignore esta mensagem/);
    assert.ok(typeof mail.parsed.html === 'string' && mail.parsed.html.includes(code), 'HTML part carries the code');
    assert.ok(!JSON.stringify(mail.parsed).includes('02789078220'), 'no CPF in the mail');

    const live = await stores.codes.findLive(
      { companyId: 'CAER', document: '02789078220', email: 'informeemail@gmail.com.br' },
      new Date(),
      MAX_ATTEMPTS_PER_CODE,
    );
    assert.ok(live, 'a live code is stored');
    assert.equal(live.codeHash, hashCode(code, PEPPER), 'stored as its HMAC');
    assert.ok(!JSON.stringify(live).includes(code), 'never in clear');
  });

  it('accepts punctuation in the CPF and an alphanumeric CNPJ', async () => {
    const cpf = await app.post(SEND_PATH, { ...seedRequest, cpfCnpj: ' 027.890.782-20 ' });
    assert.equal(cpf.body.body.validado, 'S');
    const cnpj = await app.post(SEND_PATH, { ...seedRequest, cpfCnpj: '12.abc.345/01de-35', email: 'padaria@exemplo.com.br' });
    assert.deepEqual(cnpj.body, { key: DEMO_KEY, body: { validado: 'S', mensagemCritica: '' } });
  });

  it('answers "semelhante" with the masked registered email, and mails nothing', async () => {
    const res = await app.post(SEND_PATH, { key: DEMO_KEY, cpfCnpj: '29378722040', email: 'outro@gmail.com' });
    assert.equal(res.status, 200);
    assert.deepEqual(
      res.body,
      N(
        'O cliente já possui um email cadastrado semelhante a aaa*****bbb@email.com. Caso deseje atualizar seu email, ' +
          'utilize nosso assistente virtual (ED - Assistente virtual da CAER), opção (Atualizar Somente o Email) ' +
          'disponível no site (www.caer.com.br).',
      ),
    );
    assert.equal(smtp.mails.length, 0);
  });

  it('sends to the registered email when it is the one sent, whatever its case', async () => {
    const res = await app.post(SEND_PATH, { key: DEMO_KEY, cpfCnpj: '29378722040', email: 'AaaXxxxBbb@Email.com' });
    assert.equal(res.body.body.validado, 'S');
    assert.deepEqual((await smtp.nextMail(0)).envelopeTo.map((a) => a.toLowerCase()), ['aaaxxxxbbb@email.com']);
  });

  it('answers 200 N when no client has that CPF/CNPJ', async () => {
    const res = await app.post(SEND_PATH, { ...seedRequest, cpfCnpj: '52998224725' });
    assert.equal(res.status, 200);
    assert.deepEqual(res.body, N('Cliente não encontrado para o CPF/CNPJ informado.'));
  });

  for (const cpfCnpj of ['02789078221', '11111111111', '0278907822', '12.ABC.345/01DE-36', '027890782٢0', 'abc', '']) {
    it(`answers 400 "CPF/CNPJ inválido." for ${JSON.stringify(cpfCnpj)}`, async () => {
      const res = await app.post(SEND_PATH, { ...seedRequest, cpfCnpj });
      assert.equal(res.status, 400);
      assert.deepEqual(res.body, N('CPF/CNPJ inválido.'));
    });
  }

  // The last ones would run as formulas in a spreadsheet opened from an export (docs/api.md §1).
  for (const email of ['sem-arroba', 'a@b', 'a b@c.com', 'a@b.com, c@d.com', 'a@b.com\r\nBcc: x@y.com', `${'a'.repeat(250)}@b.com`, '', "=cmd|'/Ccalc'!A0@x.com", '=1+1@x.com', '+1@x.com', '-2+3@x.com', '@x.com']) {
    it(`answers 400 "Email inválido." for ${JSON.stringify(email).slice(0, 40)}`, async () => {
      const res = await app.post(SEND_PATH, { ...seedRequest, email });
      assert.equal(res.status, 400);
      assert.deepEqual(res.body, N('Email inválido.'));
      assert.equal(smtp.mails.length, 0);
    });
  }

  it('answers 401 for an unknown, empty or overlong key', async () => {
    for (const key of ['outra-chave', '', 'k'.repeat(MAX_KEY_LENGTH + 1)]) {
      const res = await app.post(SEND_PATH, { ...seedRequest, key });
      assert.equal(res.status, 401);
      assert.deepEqual(res.body, N('Chave de autenticação inválida.', key));
    }
  });

  it('answers 400 "Requisição inválida." for a body that is not JSON or not an object', async () => {
    for (const body of ['{not json', '[]', '"texto"', 'null', '42']) {
      const res = await app.post(SEND_PATH, body);
      assert.equal(res.status, 400, body);
      assert.deepEqual(res.body, N('Requisição inválida.', ''));
    }
  });

  it('names the missing or non-string field', async () => {
    const missing = await app.post(SEND_PATH, { key: DEMO_KEY, cpfCnpj: '02789078220' });
    assert.equal(missing.status, 400);
    assert.deepEqual(missing.body, N('Requisição inválida. Campo "email" ausente ou não é texto.'));
    const number = await app.post(SEND_PATH, { ...seedRequest, cpfCnpj: 2789078220 });
    assert.deepEqual(number.body, N('Requisição inválida. Campo "cpfCnpj" ausente ou não é texto.'));
    const keyless = await app.post(SEND_PATH, { ...seedRequest, key: 42 });
    assert.deepEqual(keyless.body, N('Requisição inválida. Campo "key" ausente ou não é texto.', ''));
  });

  it('answers an operator object with 400 before any store is touched', async () => {
    await app.notifier.stop(); // its polls read the companies, whatever the request does
    const touched = [stores.companies, stores.clients, stores.codes].flatMap((s) =>
      Object.getOwnPropertyNames(Object.getPrototypeOf(s))
        .filter((m) => m !== 'constructor')
        .map((m) => sinon.spy(s as unknown as Record<string, () => unknown>, m)),
    );
    const res = await app.post(SEND_PATH, { key: DEMO_KEY, cpfCnpj: { $ne: null }, email: 'a@b.com' });
    assert.equal(res.status, 400);
    assert.deepEqual(res.body, N('Requisição inválida. Campo "cpfCnpj" ausente ou não é texto.'));
    assert.ok(touched.length > 5);
    for (const spy of touched) assert.equal(spy.callCount, 0);
  });

  it('ignores unknown fields', async () => {
    const res = await app.post(SEND_PATH, { ...seedRequest, extra: { $where: 'x' } });
    assert.equal(res.body.body.validado, 'S');
  });

  it('answers 413 past 8 KiB and 415 for a body that is not JSON', async () => {
    const big = await app.post(SEND_PATH, { ...seedRequest, pad: 'x'.repeat(9000) });
    assert.equal(big.status, 413);
    assert.deepEqual(big.body, N('Requisição muito grande.', ''));
    const form = await app.post(SEND_PATH, 'key=a', { 'content-type': 'application/x-www-form-urlencoded' });
    assert.equal(form.status, 415);
    assert.deepEqual(form.body, N('O conteúdo deve ser JSON.', ''));
  });

  it('answers 405 for a wrong method and 404 for an unknown path, in the envelope', async () => {
    const get = await request(app.baseUrl + SEND_PATH);
    assert.equal(get.status, 405);
    assert.deepEqual(get.body, N('Método não permitido.', ''));
    const unknown = await app.post('/gsan/chatbot/outraCoisa', seedRequest);
    assert.equal(unknown.status, 404);
    assert.deepEqual(unknown.body, N('Page not found', ''));
  });

  it('answers 503 in the envelope when the database fails, with no driver detail', async () => {
    sinon.stub(stores.clients, 'find').rejects(new Error('MongoServerSelectionError: connection refused'));
    const res = await app.post(SEND_PATH, seedRequest);
    assert.equal(res.status, 503);
    assert.deepEqual(res.body, N('Serviço temporariamente indisponível. Tente novamente mais tarde.'));
  });
});

describe('the send limits (docs/api.md §3)', () => {
  const send = seedRequest;
  let smtp: TestSmtp;
  let app: TestApp;
  let clock: sinon.SinonFakeTimers;

  beforeEach(async () => {
    smtp = await startSmtp('accept');
    app = await startTestApp({ SMTP_URL: smtp.url, SEED_DEMO: 'true' });
    // Only Date is faked, once the app is up: sockets and the timers that bound them run on real time.
    clock = sinon.useFakeTimers({ now: new Date('2026-11-29T12:00:00Z'), toFake: ['Date'] });
  });
  afterEach(async () => {
    clock.restore();
    await app.close();
    await smtp.close();
  });

  /** Sends a code and answers it, read from the mail that arrived. */
  async function sendCode(body: object = send): Promise<string> {
    const seen = smtp.mails.length;
    const res = await app.post(SEND_PATH, body);
    assert.deepEqual(res.body.body, { validado: 'S', mensagemCritica: '' }, JSON.stringify(res.body));
    return codeIn(await smtp.nextMail(seen));
  }
  const INTERVAL = SEND_LIMIT.intervalSeconds!;

  it(`refuses a second send within ${INTERVAL} s with 429 and Retry-After`, async () => {
    await sendCode();
    clock.tick(20_000);
    const res = await app.post(SEND_PATH, send);
    assert.equal(res.status, 429);
    assert.deepEqual(res.body, N(texts.tooManySends(Math.ceil((INTERVAL - 20) / 60))));
    assert.equal(res.headers.get('retry-after'), String(INTERVAL - 20));
  });

  it(`allows ${SEND_LIMIT.max} sends to a client in any rolling ${SEND_LIMIT.windowSeconds / 60} minutes`, async () => {
    // Each to another address: one address gets fewer codes in the window.
    const to = (i: number) => ({ ...send, email: `endereco${i}@exemplo.com.br` });
    for (let i = 0; i < SEND_LIMIT.max; i++) {
      await sendCode(to(i));
      clock.tick((INTERVAL + 1) * 1000);
    }
    const res = await app.post(SEND_PATH, to(SEND_LIMIT.max));
    assert.equal(res.status, 429);
    const retryAfter = Number(res.headers.get('retry-after'));
    assert.equal(retryAfter, SEND_LIMIT.windowSeconds - SEND_LIMIT.max * (INTERVAL + 1));
    assert.deepEqual(res.body, N(texts.tooManySends(Math.ceil(retryAfter / 60))));
    clock.tick(retryAfter * 1000);
    await sendCode(to(SEND_LIMIT.max));
  });

  it(`sends one address at most ${RECIPIENT_LIMIT.max} codes in any rolling ${RECIPIENT_LIMIT.windowSeconds / 60} minutes, whichever clients ask`, async () => {
    // Clients without email, one more than the limit, and the same third-party address for each.
    const victim = 'vitima@terceiro.com.br';
    const documents = Array.from({ length: RECIPIENT_LIMIT.max + 1 }, () => cpf.generate());
    await app.stores.clients.upsertMany(documents.map((document) => ({ companyId: 'CAER', document, nome: 'Cliente', email: null })));
    for (const document of documents.slice(0, -1)) await sendCode({ ...send, cpfCnpj: document, email: victim });
    const last = documents.at(-1)!;
    const refused = await app.post(SEND_PATH, { ...send, cpfCnpj: last, email: victim });
    assert.equal(refused.status, 429);
    assert.equal(refused.headers.get('retry-after'), String(RECIPIENT_LIMIT.windowSeconds));
    assert.deepEqual(refused.body, N(texts.tooManySends(RECIPIENT_LIMIT.windowSeconds / 60)));
    assert.equal(smtp.mails.length, RECIPIENT_LIMIT.max);
    // The last client's own send was given back: another address goes through at once.
    await sendCode({ ...send, cpfCnpj: last, email: 'proprio@exemplo.com.br' });
  });

  it('20 simultaneous sends leave one live code and send one mail', async () => {
    const answers = await Promise.all(Array.from({ length: 20 }, () => app.post(SEND_PATH, send)));
    assert.equal(answers.filter((a) => a.status === 200).length, 1);
    assert.equal(answers.filter((a) => a.status === 429).length, 19);
    // The 200 came after the SMTP server accepted its mail, and a 429 never reaches the mailer:
    // with every answer in, the mails that arrived are all there will be.
    assert.equal(smtp.mails.length, 1);
    assert.equal(await storedCodes(app.stores), 1);
  });
});

describe('the send limits when the mail fails', () => {
  it('a failed mail does not count as a send', async () => {
    const smtp = await startSmtp('reject');
    const app = await startTestApp({ SMTP_URL: smtp.url, SEED_DEMO: 'true' });
    try {
      assert.equal((await app.post(SEND_PATH, seedRequest)).status, 500);
      assert.equal((await app.post(SEND_PATH, seedRequest)).status, 500);
    } finally {
      await app.close();
      await smtp.close();
    }
  });
});

describe('the send webhook when the SMTP server misbehaves', () => {
  for (const mode of ['reject', 'silent', 'dropInData'] as const) {
    // Within the 5 s of docs/api.md §6: the mail's own bound answers (the test's timeout would catch a hang).
    it(`answers 500 when the SMTP server is ${mode}, leaving no live code`, async () => {
      const smtp = await startSmtp(mode);
      const app = await startTestApp({ SMTP_URL: smtp.url, SEED_DEMO: 'true' });
      try {
        const res = await app.post(SEND_PATH, seedRequest);
        assert.equal(res.status, 500);
        assert.deepEqual(
          res.body,
          N('Erro no envio do email! Verifique se o email informado (inf*****ail@gmail.com.br) está correto. Caso sim, tente novamente mais tarde.'),
        );
        assert.equal(await storedCodes(app.stores), 0);
      } finally {
        await app.close();
        await smtp.close();
      }
    });
  }
});

describe('anti-automation on the send webhook (LOOKUPS_PER_MINUTE)', () => {
  it('answers 429 with Retry-After past the company ceiling in any rolling 60 s, before any lookup: found or not, nothing is told', async () => {
    const smtp = await startSmtp('accept');
    const app = await startTestApp({ SMTP_URL: smtp.url, SEED_DEMO: 'true', LOOKUPS_PER_MINUTE: '3' });
    // Date only, once the app is up: half a second before a minute's edge, which a rolling window ignores.
    const clock = sinon.useFakeTimers({ now: new Date('2026-11-29T12:00:59.500Z'), toFake: ['Date'] });
    try {
      for (const document of [cpf.generate(), cpf.generate(), cpf.generate()]) {
        const res = await app.post(SEND_PATH, { ...seedRequest, cpfCnpj: document });
        assert.deepEqual([res.status, res.body], [200, N('Cliente não encontrado para o CPF/CNPJ informado.')]);
      }
      clock.tick(1000);
      const find = sinon.spy(app.stores.clients, 'find');
      const refused = await app.post(SEND_PATH, seedRequest);
      assert.equal(refused.status, 429, 'a new minute has begun, but not a new 60 s');
      assert.equal(refused.headers.get('retry-after'), '59');
      assert.deepEqual(refused.body, N('Muitas solicitações. Aguarde 1 minuto e tente novamente.'));
      assert.equal(find.callCount, 0, 'refused before the client was looked up');
      assert.equal(smtp.mails.length, 0);

      clock.tick(60_000);
      assert.deepEqual((await app.post(SEND_PATH, seedRequest)).body, { key: DEMO_KEY, body: { validado: 'S', mensagemCritica: '' } }, '60 s later');
    } finally {
      clock.restore();
      await app.close();
      await smtp.close();
    }
  });
});

describe('the envelope, whatever reaches the server', () => {
  let smtp: TestSmtp;
  let app: TestApp;
  beforeEach(async () => {
    smtp = await startSmtp('accept');
    app = await startTestApp({ SMTP_URL: smtp.url, SEED_DEMO: 'true' });
  });
  afterEach(async () => {
    await app.close();
    await smtp.close();
  });

  it('is never sniffed or cached', async () => {
    for (const res of [await app.post(SEND_PATH, seedRequest), await app.post(SEND_PATH, '{'), await request(app.baseUrl + SEND_PATH)]) {
      assert.equal(res.headers.get('x-content-type-options'), 'nosniff');
      assert.equal(res.headers.get('cache-control'), 'no-store');
    }
  });

  it('accepts a UTF-8 byte order mark before the JSON', async () => {
    const res = await app.post(SEND_PATH, `\uFEFF${JSON.stringify(seedRequest)}`);
    assert.deepEqual([res.status, res.body], [200, { key: DEMO_KEY, body: { validado: 'S', mensagemCritica: '' } }]);
  });

  it('answers headers over the limit with 431 in the envelope', async () => {
    const answer = await rawRequest(app.port, `POST ${SEND_PATH} HTTP/1.1\r\nHost: x\r\nX-Pad: ${'a'.repeat(20_000)}\r\n\r\n`);
    const [head, body] = answer.split('\r\n\r\n');
    assert.match(head, /^HTTP\/1\.1 431 /);
    assert.match(head, /content-type: application\/json; charset=utf-8/i);
    assert.deepEqual(JSON.parse(body), N('Requisição muito grande.', ''));
  });

  it('answers a Host header no URL can hold with 400 in the envelope, and keeps running', async () => {
    // restify's router builds the request's URL from the Host header, and threw outside any handler.
    for (const host of ['127.0.0.999', 'a b', '[::1']) {
      const answer = await rawRequest(app.port, `GET /health HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`);
      const [head, body] = answer.split('\r\n\r\n');
      assert.match(head, /^HTTP\/1\.1 400 /, host);
      // Chunked: the one chunk's JSON.
      assert.deepEqual(JSON.parse(/\{.*\}/.exec(body)![0]), N(texts.invalidRequest, ''));
    }
    assert.equal((await app.post(SEND_PATH, seedRequest)).status, 200);
  });
});

/** Writes `text` on a TCP connection and resolves with everything the server wrote before closing it. */
function rawRequest(port: number, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.write(text));
    let answer = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => (answer += chunk));
    socket.on('end', () => resolve(answer));
    socket.on('error', reject);
  });
}

describe('counts in pt-BR', () => {
  it('says "1 minuto" when codes live one minute, in the mail and in the conversation', async () => {
    const smtp = await startSmtp('accept');
    const app = await startTestApp({ SMTP_URL: smtp.url, SEED_DEMO: 'true', CODE_TTL_MINUTES: '1' });
    try {
      assert.equal((await app.post(SEND_PATH, seedRequest)).status, 200);
      const mail = await smtp.nextMail(0);
      assert.match(mail.parsed.text!, /Ele expira em 1 minuto\./);
      assert.doesNotMatch(mail.parsed.text!, /1 minutos/);
      assert.equal(botTexts.codeSent('m*****a@exemplo.com.br', app.service.codeTtlMinutes), 'Enviei um código de 6 dígitos para m*****a@exemplo.com.br. Ele vale por 1 minuto.');
      assert.equal(texts.tooManySends(1), 'Muitas solicitações. Aguarde 1 minuto e tente novamente.');
      assert.equal(texts.wrongCode(1), 'Código inválido. Você ainda tem 1 tentativa.');
    } finally {
      await app.close();
      await smtp.close();
    }
  });
});
