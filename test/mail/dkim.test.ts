import { strict as assert } from 'node:assert';
import { generateKeyPairSync } from 'node:crypto';
import { cpf } from 'cpf-cnpj-validator';
import { dkimVerify } from 'mailauth/lib/dkim/verify';
import { SEND_PATH } from '../../api/webhooks';
import { hashKey } from '../../services/domain/code';
import { loadConfig } from '../../services/runtime/config';
import { DEMO_KEY, seedDemo } from '../../services/runtime/demo';
import { startTestApp, type TestApp } from '../support/app';
import { captureLogs } from '../support/logs';
import { runToExit } from '../support/service';
import { startSmtp, type ReceivedMail, type TestSmtp } from '../support/smtp';
import { openTestStores } from '../support/stores';

/**
 * docs/api.md §4: the mail signed with DKIM when the operator configures a key, checked by a DKIM
 * verifier (mailauth) that finds the test's public key where a receiver would find it in DNS; its
 * envelope sender (bounces) and its `Auto-Submitted` header.
 */

const DOMAIN = 'caer.com.br';
const SELECTOR = 'gsan2026';
const OTHER_KEY = 'chave-da-outra-empresa-0001';

const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const PRIVATE_PEM = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
/** The TXT record docs/operations.md tells the operator to publish. */
const TXT = `v=DKIM1; k=rsa; p=${publicKey.export({ type: 'spki', format: 'der' }).toString('base64')}`;

/** What a receiver's DKIM check says of a message, the selector's record served from the test. */
async function verify(raw: Buffer | string) {
  const lookups: string[] = [];
  const { results } = await dkimVerify(raw, {
    resolver: async (name: string, type: string) => {
      lookups.push(`${name} ${type}`);
      if (name === `${SELECTOR}._domainkey.${DOMAIN}` && type === 'TXT') return [[TXT]];
      throw Object.assign(new Error('no such record'), { code: 'ENOTFOUND' });
    },
  });
  return { results, lookups };
}

describe('the validation mail, signed with DKIM (docs/api.md §4)', () => {
  let smtp: TestSmtp;
  let app: TestApp;
  const logs = captureLogs();
  /** A client without email for each send (a client gets one send a minute). */
  const documents = Array.from({ length: 4 }, () => cpf.generate());
  let next = 0;

  before(async () => {
    smtp = await startSmtp('accept');
    // A second company whose sender is at another domain: its mails cannot be signed.
    const stores = await openTestStores();
    await seedDemo(stores);
    await stores.companies.insert({
      sigla: 'OUTRA',
      nome: 'Outra Companhia de Águas',
      assistente: 'Assistente da Outra',
      site: 'www.outra.com.br',
      remetente: 'nao-responda@outra.com.br',
      keyHash: hashKey(OTHER_KEY),
      createdAt: new Date(),
    });
    await stores.clients.upsertMany(
      ['CAER', 'OUTRA'].flatMap((companyId) => documents.map((document) => ({ companyId, document, nome: 'Cliente', email: null }))),
    );
    app = await startTestApp(
      {
        SMTP_URL: smtp.url,
        DKIM_DOMAIN: DOMAIN,
        DKIM_SELECTOR: SELECTOR,
        DKIM_PRIVATE_KEY: PRIVATE_PEM,
        SMTP_BOUNCE_ADDRESS: 'devolucoes@retorno.exemplo.net',
      },
      { stores, logger: logs.logger },
    );
  });
  after(async () => {
    await app.close();
    await smtp.close();
  });

  async function mailFor(key: string, email: string): Promise<ReceivedMail> {
    const seen = smtp.mails.length;
    const res = await app.post(SEND_PATH, { key, cpfCnpj: documents[next++], email });
    assert.equal(res.status, 200);
    return smtp.nextMail(seen);
  }

  it('is signed for the company whose sender is at DKIM_DOMAIN, and the signature verifies', async () => {
    const mail = await mailFor(DEMO_KEY, 'maria@exemplo.com.br');
    const { results, lookups } = await verify(mail.raw);
    assert.deepEqual(lookups, [`${SELECTOR}._domainkey.${DOMAIN} TXT`]);
    assert.equal(results.length, 1);
    assert.equal(results[0].signingDomain, DOMAIN);
    assert.equal(results[0].status.result, 'pass', results[0].status.comment);
  });

  it('fails the check once the code in the body, or the subject, is changed on the way', async () => {
    const raw = (await mailFor(DEMO_KEY, 'joana@exemplo.com.br')).raw.toString('latin1');
    const code = /\b(\d{6})\b/.exec(raw)![1];
    const otherCode = code === '000000' ? '111111' : '000000';
    const body = await verify(raw.split(code).join(otherCode));
    assert.notEqual(body.results[0].status.result, 'pass');
    assert.match(String(body.results[0].status.comment), /body hash/);
    const subject = await verify(raw.replace(/^Subject: .*$/m, 'Subject: CAER: outro assunto'));
    assert.equal(subject.results[0].status.result, 'fail');
  });

  it("carries Auto-Submitted: auto-generated, and bounces go to SMTP_BOUNCE_ADDRESS while the From and the Message-ID stay the sender's", async () => {
    const mail = await mailFor(DEMO_KEY, 'paula@exemplo.com.br');
    assert.equal(mail.parsed.headers.get('auto-submitted'), 'auto-generated');
    assert.equal(mail.envelopeFrom, 'devolucoes@retorno.exemplo.net');
    assert.equal(mail.parsed.from?.value[0].address, 'nao-responda@caer.com.br');
    assert.match(mail.parsed.messageId ?? '', /^<[0-9a-f-]{36}@caer\.com\.br>$/);
  });

  it('goes unsigned for a company whose sender is at another domain, which the start named in one warn line', async () => {
    const mail = await mailFor(OTHER_KEY, 'ana@exemplo.com.br');
    assert.equal(mail.parsed.headers.get('dkim-signature'), undefined);
    const warned = logs.lines().filter((l) => l.msg.startsWith('DKIM:'));
    assert.deepEqual(
      warned.map((l) => [l.level, l.company, l.dkimDomain]),
      [['warn', 'OUTRA', DOMAIN]],
    );
  });
});

describe('a DKIM key that cannot be used', function () {
  this.timeout(20_000);
  it('stops the start in one pt-BR line naming the variable, never the key', async () => {
    const run = await runToExit({
      SMTP_URL: 'smtp://127.0.0.1:2525',
      DKIM_DOMAIN: DOMAIN,
      DKIM_SELECTOR: SELECTOR,
      DKIM_PRIVATE_KEY: '-----BEGIN PRIVATE KEY-----\nsegredo-que-nao-e-chave\n-----END PRIVATE KEY-----',
    });
    assert.equal(run.code, 1);
    const lines = run.stderr.trim().split('\n');
    assert.equal(lines.length, 1, run.stderr);
    assert.match(lines[0], /^Configuração inválida: DKIM_PRIVATE_KEY: não é uma chave privada PEM válida/);
    assert.ok(!run.stderr.includes('segredo'));
  });

  it('is refused when the domain or selector comes without a key, or a key without them', () => {
    for (const [env, variable] of [
      [{ DKIM_DOMAIN: DOMAIN, DKIM_SELECTOR: SELECTOR }, 'DKIM_PRIVATE_KEY'],
      [{ DKIM_PRIVATE_KEY: PRIVATE_PEM }, 'DKIM_DOMAIN'],
      [{ DKIM_DOMAIN: DOMAIN, DKIM_PRIVATE_KEY_FILE: '/nonexistent/dkim.pem', DKIM_SELECTOR: SELECTOR }, 'DKIM_PRIVATE_KEY_FILE'],
    ] as const) {
      assert.throws(() => loadConfig({ SMTP_URL: 'smtp://127.0.0.1:2525', ...env }), new RegExp(`^ConfigError: Configuração inválida: ${variable}: `));
    }
  });
});
