import { strict as assert } from 'node:assert';
import sinon from 'sinon';
import { hashKey } from '../../services/code';
import { DEMO_KEY } from '../../services/demo';
import type { Stores } from '../../services/store/types';
import { CONFIRM_PATH, SEND_PATH } from '../../api/webhooks';
import { startTestApp, type TestApp } from '../support/app';
import { codeIn, startSmtp, type TestSmtp } from '../support/smtp';
import { storedCodes } from '../support/stores';

const CPF = '02789078220';
const EMAIL = 'informeemail@gmail.com.br';
const send = { key: DEMO_KEY, cpfCnpj: CPF, email: EMAIL };
const N = (mensagemCritica: string, key = DEMO_KEY) => ({ key, body: { validado: 'N', mensagemCritica } });
const S = { key: DEMO_KEY, body: { validado: 'S', mensagemCritica: '' } };
const wrong = (left: number) => N(`Código inválido. Você ainda tem ${left} ${left === 1 ? 'tentativa' : 'tentativas'}.`);
const NO_LIVE_CODE = N('Código expirado ou inexistente. Solicite um novo código.');
const LAST_ATTEMPT = N('Código inválido. Não restam tentativas para este código: solicite um novo.');
const LOCKED = N('Muitas tentativas incorretas. Tente novamente mais tarde.');

/** A code that is not `code`. */
const other = (code: string) => String((Number(code) + 1) % 1_000_000).padStart(6, '0');

describe('POST /gsan/chatbot/confirmarCodigoValidacaoEmailCliente', () => {
  let smtp: TestSmtp;
  let app: TestApp;
  let stores: Stores;
  let clock: sinon.SinonFakeTimers;

  beforeEach(async () => {
    smtp = await startSmtp('accept');
    app = await startTestApp({ SMTP_URL: smtp.url, SEED_DEMO: 'true' });
    stores = app.stores;
    // Only Date is faked, once the app is up: sockets and the timers that bound them run on real time.
    clock = sinon.useFakeTimers({ now: new Date('2026-11-29T12:00:00Z'), toFake: ['Date'] });
  });
  afterEach(async () => {
    await app.close();
    await smtp.close();
    sinon.restore();
  });

  /** Sends a code and returns it, read from the mail that arrived. */
  async function sendCode(body: object = send): Promise<string> {
    const seen = smtp.mails.length;
    const res = await app.post(SEND_PATH, body);
    assert.deepEqual(res.body.body, { validado: 'S', mensagemCritica: '' }, JSON.stringify(res.body));
    return codeIn(await smtp.nextMail(seen));
  }
  const confirm = (codigo: string, body: object = send) => app.post(CONFIRM_PATH, { ...body, codigo });

  it('confirms the right code and records the email as validated, with the time', async () => {
    const code = await sendCode();
    const res = await confirm(` ${code.slice(0, 3)} ${code.slice(3)} `);
    assert.equal(res.status, 200);
    assert.deepEqual(res.body, S);
    const client = await stores.clients.find('CAER', CPF);
    assert.equal(client?.email, EMAIL);
    assert.equal(client?.emailValidatedAt?.toISOString(), '2026-11-29T12:00:00.000Z');

    // The same email can still be sent a code; another one now gets the "semelhante" answer.
    clock.tick(61_000);
    await sendCode();
    const another = await app.post(SEND_PATH, { ...send, email: 'outro@gmail.com' });
    assert.match(another.body.body.mensagemCritica, /^O cliente já possui um email cadastrado semelhante a inf\*\*\*\*\*ail@gmail\.com\.br\./);
  });

  it('counts down wrong codes', async () => {
    const code = await sendCode();
    assert.deepEqual((await confirm(other(code))).body, wrong(4));
    assert.deepEqual((await confirm(other(code))).body, wrong(3));
  });

  it('answers "expirado ou inexistente" when no code was sent', async () => {
    const res = await confirm('123456');
    assert.equal(res.status, 200);
    assert.deepEqual(res.body, NO_LIVE_CODE);
  });

  for (const codigo of ['12345', '1234567', 'abcdef', '12345a', '١٢٣٤٥٦', '']) {
    it(`answers 400 for the code ${JSON.stringify(codigo)}`, async () => {
      const res = await confirm(codigo);
      assert.equal(res.status, 400);
      assert.deepEqual(res.body, N('Código inválido. Informe os 6 dígitos recebidos por email.'));
    });
  }

  it('shares the input, key and body rows of the send webhook', async () => {
    assert.deepEqual((await confirm('123456', { ...send, cpfCnpj: '123' })).body, N('CPF/CNPJ inválido.'));
    assert.deepEqual((await confirm('123456', { ...send, email: 'x' })).body, N('Email inválido.'));
    assert.equal((await confirm('123456', { ...send, key: 'errada' })).status, 401);
    const missing = await app.post(CONFIRM_PATH, send);
    assert.equal(missing.status, 400);
    assert.deepEqual(missing.body, N('Requisição inválida. Campo "codigo" ausente ou não é texto.'));
    assert.equal((await app.post(CONFIRM_PATH, { ...send, codigo: 123456 })).status, 400);
  });

  it('accepts a code at 9 min 59 s and refuses it at 10 min', async () => {
    let code = await sendCode();
    clock.tick(9 * 60_000 + 59_000);
    assert.deepEqual((await confirm(code)).body, S);

    clock.tick(61_000);
    code = await sendCode({ ...send, cpfCnpj: '12ABC34501DE35' });
    clock.tick(10 * 60_000);
    assert.deepEqual((await confirm(code, { ...send, cpfCnpj: '12ABC34501DE35' })).body, NO_LIVE_CODE);
  });

  describe('attacks', () => {
    it('brute force: after 5 wrong codes the right one is refused', async () => {
      const code = await sendCode();
      for (let left = 4; left >= 1; left--) assert.deepEqual((await confirm(other(code))).body, wrong(left));
      assert.deepEqual((await confirm(other(code))).body, LAST_ATTEMPT, 'the fifth wrong try spends the code, and says so (docs/api.md §2)');
      assert.deepEqual((await confirm(code)).body, NO_LIVE_CODE);
    });

    it('resending to reset the count: 20 failures across codes lock the client for 24 h, and a locked client is sent nothing', async () => {
      for (let cycle = 0; cycle < 4; cycle++) {
        const code = await sendCode();
        for (let i = 0; i < 5; i++) {
          const res = await confirm(other(code));
          const last = cycle === 3 && i === 4;
          assert.equal(res.status, last ? 429 : 200);
          if (last) assert.deepEqual(res.body, LOCKED);
        }
        // Far enough apart that the address's own limit (3 codes in any hour) never answers first.
        clock.tick(21 * 60_000);
      }
      const mailed = smtp.mails.length;
      const resend = await app.post(SEND_PATH, send);
      assert.equal(resend.status, 429);
      assert.deepEqual(resend.body, LOCKED);
      const retryAfter = Number(resend.headers.get('retry-after'));
      assert.ok(retryAfter > 23 * 3600 && retryAfter <= 24 * 3600, `Retry-After ${retryAfter}`);
      assert.equal(smtp.mails.length, mailed, 'no code mailed while locked');
      assert.equal(Number((await confirm('123456')).headers.get('retry-after')), retryAfter, 'confirming is locked too');

      clock.tick(24 * 3600_000);
      const fresh = await sendCode();
      assert.deepEqual((await confirm(fresh)).body, S, 'the lock ends after 24 h');
    });

    it('replay: the right code works once', async () => {
      const code = await sendCode();
      assert.deepEqual((await confirm(code)).body, S);
      assert.deepEqual((await confirm(code)).body, NO_LIVE_CODE);
    });

    it('an old code after a resend is a wrong code', async () => {
      const old = await sendCode();
      // A new code is the old one again once in a million: send again until it differs (each send
      // replaces the code; up to 4 more fit in the hour).
      let current = old;
      for (let resends = 0; current === old && resends < 4; resends++) {
        clock.tick(61_000);
        current = await sendCode();
      }
      assert.notEqual(current, old);
      assert.deepEqual((await confirm(old)).body, wrong(4));
      assert.deepEqual((await confirm(current)).body, S);
    });

    it("one company's code confirmed with another company's key is refused", async () => {
      const otherKey = 'outra-chave-da-agespisa-0123456789';
      await stores.companies.insert({
        sigla: 'AGESPISA',
        nome: 'Águas e Esgotos do Piauí',
        assistente: 'Assistente AGESPISA',
        site: 'www.agespisa.com.br',
        remetente: 'nao-responda@agespisa.com.br',
        keyHash: hashKey(otherKey),
        createdAt: new Date(),
      });
      await stores.clients.upsertMany([{ companyId: 'AGESPISA', document: CPF, nome: 'Homônimo', email: null }]);
      const code = await sendCode();
      const res = await confirm(code, { ...send, key: otherKey });
      assert.deepEqual(res.body, N('Código expirado ou inexistente. Solicite um novo código.', otherKey));
      assert.deepEqual((await confirm(code)).body, S, "CAER's code is still good for CAER");
    });
  });

  describe('concurrency', () => {
    it('50 simultaneous confirmations of the right code give exactly one S', async () => {
      const code = await sendCode();
      const answers = await Promise.all(Array.from({ length: 50 }, () => confirm(code)));
      assert.equal(answers.filter((a) => a.body.body.validado === 'S').length, 1);
      assert.ok(answers.every((a) => a.status === 200));
    });

    it('50 simultaneous wrong codes never leave the code usable beyond its 5 tries', async () => {
      const code = await sendCode();
      const answers = await Promise.all(Array.from({ length: 50 }, () => confirm(other(code))));
      const said = (body: { body: { mensagemCritica: string } }) => body.body.mensagemCritica;
      assert.ok(answers.filter((a) => said(a.body).startsWith('Código inválido. Você ainda tem')).length <= 4);
      assert.ok(answers.filter((a) => said(a.body) === LAST_ATTEMPT.body.mensagemCritica).length <= 1, 'the last try is spent once');
      // Dead. Only the guesses evaluated against the live code (5) count as failures, however the
      // 50 interleaved: never the 20 that would lock the client.
      assert.deepEqual((await confirm(code)).body, NO_LIVE_CODE);
      clock.tick(61_000);
      assert.deepEqual((await confirm(await sendCode())).body, S, 'not locked');
    });

    it('20 simultaneous sends leave one live code and send one mail', async () => {
      const answers = await Promise.all(Array.from({ length: 20 }, () => app.post(SEND_PATH, send)));
      assert.equal(answers.filter((a) => a.status === 200).length, 1);
      assert.equal(answers.filter((a) => a.status === 429).length, 19);
      // The 200 came after the SMTP server accepted its mail, and a 429 never reaches the mailer:
      // with every answer in, the mails that arrived are all there will be.
      assert.equal(smtp.mails.length, 1);
      assert.equal(await storedCodes(stores), 1);
      assert.deepEqual((await confirm(codeIn(smtp.mails[0]))).body, S);
    });
  });

  describe('send limits', () => {
    it('refuses a second send within 60 s with 429 and Retry-After', async () => {
      await sendCode();
      clock.tick(20_000);
      const res = await app.post(SEND_PATH, send);
      assert.equal(res.status, 429);
      assert.deepEqual(res.body, N('Muitas solicitações. Aguarde 1 minuto e tente novamente.'));
      assert.equal(res.headers.get('retry-after'), '40');
    });

    it('allows 5 sends to a client in any rolling hour', async () => {
      // Each to another address: one address gets at most 3 codes an hour.
      const to = (i: number) => ({ ...send, email: `endereco${i}@exemplo.com.br` });
      for (let i = 0; i < 5; i++) {
        await sendCode(to(i));
        clock.tick(61_000);
      }
      const res = await app.post(SEND_PATH, to(5));
      assert.equal(res.status, 429);
      const retryAfter = Number(res.headers.get('retry-after'));
      assert.equal(retryAfter, 3600 - 5 * 61);
      assert.deepEqual(res.body, N(`Muitas solicitações. Aguarde ${Math.ceil(retryAfter / 60)} minutos e tente novamente.`));
      clock.tick(retryAfter * 1000);
      await sendCode(to(5));
    });

    it('sends one address at most 3 codes in any rolling hour, whichever clients ask', async () => {
      // Three clients without email, and the same third-party address for each.
      const victim = 'vitima@terceiro.com.br';
      const documents = ['02789078220', '12ABC34501DE35', '52998224725', '11144477735'];
      await stores.clients.upsertMany(documents.slice(2).map((document) => ({ companyId: 'CAER', document, nome: 'Cliente', email: null })));
      for (const document of documents.slice(0, 3)) await sendCode({ ...send, cpfCnpj: document, email: victim });
      const fourth = await app.post(SEND_PATH, { ...send, cpfCnpj: documents[3], email: victim });
      assert.equal(fourth.status, 429);
      assert.equal(fourth.headers.get('retry-after'), '3600');
      assert.deepEqual(fourth.body, N('Muitas solicitações. Aguarde 60 minutos e tente novamente.'));
      assert.equal(smtp.mails.length, 3);
      // The fourth client's own minute was given back: another address goes through at once.
      await sendCode({ ...send, cpfCnpj: documents[3], email: 'proprio@exemplo.com.br' });
    });
  });
});

describe('send limits when the mail fails', () => {
  it('a failed mail does not count as a send', async () => {
    const smtp = await startSmtp('reject');
    const app = await startTestApp({ SMTP_URL: smtp.url, SEED_DEMO: 'true' });
    try {
      assert.equal((await app.post(SEND_PATH, send)).status, 500);
      assert.equal((await app.post(SEND_PATH, send)).status, 500);
    } finally {
      await app.close();
      await smtp.close();
    }
  });
});
