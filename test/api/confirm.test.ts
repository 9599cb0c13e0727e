import { strict as assert } from 'node:assert';
import sinon from 'sinon';
import { hashKey } from '../../services/domain/code';
import { DEMO_KEY } from '../../services/runtime/demo';
import { LOCK_SECONDS, MAX_ATTEMPTS_PER_CODE, MAX_CONSECUTIVE_FAILURES, RECIPIENT_LIMIT, SEND_LIMIT } from '../../services/domain/rules';
import type { Stores } from '../../services/store/types';
import { CONFIRM_PATH, SEND_PATH } from '../../api/webhooks';
import { startTestApp, type TestApp } from '../support/app';
import { codeIn, startSmtp, type TestSmtp } from '../support/smtp';

const CPF = '02789078220';
const EMAIL = 'informeemail@gmail.com.br';
const send = { key: DEMO_KEY, cpfCnpj: CPF, email: EMAIL };
const N = (mensagemCritica: string, key = DEMO_KEY) => ({ key, body: { validado: 'N', mensagemCritica } });
const S = { key: DEMO_KEY, body: { validado: 'S', mensagemCritica: '' } };
const wrong = (left: number) => N(`Código inválido. Você ainda tem ${left} ${left === 1 ? 'tentativa' : 'tentativas'}.`);
const NO_LIVE_CODE = N('Código expirado ou inexistente. Solicite um novo código.');
const LAST_ATTEMPT = N('Código inválido. Não restam tentativas para este código: solicite um novo.');
const LOCKED = N('Muitas tentativas incorretas. Tente novamente mais tarde.');

/** Tries a code survives before its last: the count the first wrong one leaves. */
const TRIES_LEFT = MAX_ATTEMPTS_PER_CODE - 1;

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
    clock.tick((SEND_LIMIT.intervalSeconds! + 1) * 1000);
    await sendCode();
    const another = await app.post(SEND_PATH, { ...send, email: 'outro@gmail.com' });
    assert.match(another.body.body.mensagemCritica, /^O cliente já possui um email cadastrado semelhante a inf\*\*\*\*\*ail@gmail\.com\.br\./);
  });

  it('counts down wrong codes', async () => {
    const code = await sendCode();
    assert.deepEqual((await confirm(other(code))).body, wrong(TRIES_LEFT));
    assert.deepEqual((await confirm(other(code))).body, wrong(TRIES_LEFT - 1));
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

    clock.tick((SEND_LIMIT.intervalSeconds! + 1) * 1000);
    code = await sendCode({ ...send, cpfCnpj: '12ABC34501DE35' });
    clock.tick(10 * 60_000);
    assert.deepEqual((await confirm(code, { ...send, cpfCnpj: '12ABC34501DE35' })).body, NO_LIVE_CODE);
  });

  describe('attacks', () => {
    it(`brute force: after ${MAX_ATTEMPTS_PER_CODE} wrong codes the right one is refused`, async () => {
      const code = await sendCode();
      for (let left = TRIES_LEFT; left >= 1; left--) assert.deepEqual((await confirm(other(code))).body, wrong(left));
      assert.deepEqual((await confirm(other(code))).body, LAST_ATTEMPT, 'the last wrong try spends the code, and says so (docs/api.md §2)');
      assert.deepEqual((await confirm(code)).body, NO_LIVE_CODE);
    });

    it(`resending to reset the count: ${MAX_CONSECUTIVE_FAILURES} failures across codes lock the client for ${LOCK_SECONDS / 3600} h, and a locked client is sent nothing`, async () => {
      const cycles = MAX_CONSECUTIVE_FAILURES / MAX_ATTEMPTS_PER_CODE;
      for (let cycle = 0; cycle < cycles; cycle++) {
        const code = await sendCode();
        for (let i = 0; i < MAX_ATTEMPTS_PER_CODE; i++) {
          const res = await confirm(other(code));
          const last = cycle === cycles - 1 && i === MAX_ATTEMPTS_PER_CODE - 1;
          assert.equal(res.status, last ? 429 : 200);
          if (last) assert.deepEqual(res.body, LOCKED);
        }
        // Far enough apart that the address's own limit never answers first.
        clock.tick((RECIPIENT_LIMIT.windowSeconds / RECIPIENT_LIMIT.max + SEND_LIMIT.intervalSeconds!) * 1000);
      }
      const mailed = smtp.mails.length;
      const resend = await app.post(SEND_PATH, send);
      assert.equal(resend.status, 429);
      assert.deepEqual(resend.body, LOCKED);
      const retryAfter = Number(resend.headers.get('retry-after'));
      assert.ok(retryAfter > LOCK_SECONDS - 3600 && retryAfter <= LOCK_SECONDS, `Retry-After ${retryAfter}`);
      assert.equal(smtp.mails.length, mailed, 'no code mailed while locked');
      assert.equal(Number((await confirm('123456')).headers.get('retry-after')), retryAfter, 'confirming is locked too');

      clock.tick(LOCK_SECONDS * 1000);
      const fresh = await sendCode();
      assert.deepEqual((await confirm(fresh)).body, S, 'the lock ends');
    });

    it('replay: the right code works once', async () => {
      const code = await sendCode();
      assert.deepEqual((await confirm(code)).body, S);
      assert.deepEqual((await confirm(code)).body, NO_LIVE_CODE);
    });

    it('an old code after a resend is a wrong code', async () => {
      const old = await sendCode();
      // A new code is the old one again once in a million: send again until it differs (each send
      // replaces the code), within the codes one address may get.
      let current = old;
      for (let resends = 0; current === old && resends < RECIPIENT_LIMIT.max - 1; resends++) {
        clock.tick((SEND_LIMIT.intervalSeconds! + 1) * 1000);
        current = await sendCode();
      }
      assert.notEqual(current, old);
      assert.deepEqual((await confirm(old)).body, wrong(TRIES_LEFT));
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

    it(`50 simultaneous wrong codes never leave the code usable beyond its ${MAX_ATTEMPTS_PER_CODE} tries`, async () => {
      const code = await sendCode();
      const answers = await Promise.all(Array.from({ length: 50 }, () => confirm(other(code))));
      const said = (body: { body: { mensagemCritica: string } }) => body.body.mensagemCritica;
      assert.ok(answers.filter((a) => said(a.body).startsWith('Código inválido. Você ainda tem')).length <= TRIES_LEFT);
      assert.ok(answers.filter((a) => said(a.body) === LAST_ATTEMPT.body.mensagemCritica).length <= 1, 'the last try is spent once');
      // Dead. Only the guesses evaluated against the live code count as failures, however the 50
      // interleaved: never as many as would lock the client.
      assert.deepEqual((await confirm(code)).body, NO_LIVE_CODE);
      clock.tick((SEND_LIMIT.intervalSeconds! + 1) * 1000);
      assert.deepEqual((await confirm(await sendCode())).body, S, 'not locked');
    });
  });
});
