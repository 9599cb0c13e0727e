import { strict as assert } from 'node:assert';
import sinon from 'sinon';
import { SEND_PATH } from '../../api/webhooks';
import { DEMO_KEY } from '../../services/runtime/demo';
import { BLIND_DNS, createDomainCheck } from '../../services/mail/receivable';
import { texts } from '../../services/domain/texts';
import { request, startMailCheckDone, startTestApp, type TestApp } from '../support/app';
import { startDns, TEST_ZONE, type DnsZone, type TestDns } from '../support/dns';
import { captureLogs, type CapturedLogs } from '../support/logs';
import { startSmtp, type TestSmtp } from '../support/smtp';

/**
 * docs/api.md §7: a code is spent only on an address whose domain can receive mail. The service on
 * the suite's store, the SMTP server and a DNS server on loopback (`DNS_SERVERS`), the check on.
 */

const CPF = '02789078220';
const send = (app: TestApp, email: string) => app.post(SEND_PATH, { key: DEMO_KEY, cpfCnpj: CPF, email });
const mailFailed = (masked: string) => ({ key: DEMO_KEY, body: { validado: 'N', mensagemCritica: texts.mailFailed(masked) } });

async function metric(app: TestApp, labels: string): Promise<number | undefined> {
  const text = String((await request(`${app.baseUrl}/metrics`)).body);
  const line = text.split('\n').find((l) => l.startsWith(`mail_domain_checks_total{${labels}}`));
  return line === undefined ? undefined : Number(line.split(' ').pop());
}

describe('an address that can receive mail (docs/api.md §7), on the send webhook', function () {
  this.timeout(30_000);
  let smtp: TestSmtp;
  let dns: TestDns;
  let app: TestApp;
  let logs: CapturedLogs;

  async function start(env: Record<string, string> = {}, dnsMode: 'answer' | 'silent' = 'answer', zone: DnsZone = TEST_ZONE) {
    smtp = await startSmtp('accept');
    dns = await startDns(zone, dnsMode);
    logs = captureLogs();
    app = await startTestApp(
      { SMTP_URL: smtp.url, SEED_DEMO: 'true', MAIL_DOMAIN_CHECK: 'true', DNS_SERVERS: dns.server, ...env },
      { logger: logs.logger },
    );
  }
  afterEach(async () => {
    sinon.restore();
    await app.close();
    await smtp.close();
    await dns.close();
  });
  /** The SMTP connections once the start's own check of the server is over. */
  async function startCheckDone(): Promise<number> {
    await startMailCheckDone(app);
    return smtp.connections();
  }

  it('answers a domain that does not exist like a refused mail, without an SMTP connection and without using a send', async () => {
    await start();
    const connections = await startCheckDone();
    const res = await send(app, 'maria@inexistente.com.br');
    assert.equal(res.status, 500);
    assert.deepEqual(res.body, mailFailed('m*****a@inexistente.com.br'));
    assert.equal(smtp.connections(), connections, 'no SMTP attempt');
    // A DNS that knows the public name `br` vouches for its "no such domain".
    assert.deepEqual(dns.queries(), ['inexistente.com.br MX', 'br SOA']);
    // The client's one send a minute is still there: the right address gets its code at once.
    const right = await send(app, 'maria@exemplo.com.br');
    assert.equal(right.status, 200);
    assert.equal((await smtp.nextMail(0)).envelopeTo[0], 'maria@exemplo.com.br');
    const line = logs.lines().find((l) => l.msg === 'mail not sent')!;
    assert.equal(line.cause, 'no_domain');
    assert.ok(!logs.text().includes('inexistente'), 'the log names no address or domain');
    assert.equal(await metric(app, 'result="no_domain",cached="false"'), 1);
    assert.equal(await metric(app, 'result="found",cached="false"'), 1);
  });

  it('answers a domain that publishes a null MX, or no MX, A or AAAA, the same way; an A or AAAA record alone is enough', async () => {
    await start();
    const connections = await startCheckDone();
    for (const domain of ['nulo.com.br', 'vazio.com.br']) {
      const res = await send(app, `maria@${domain}`);
      assert.equal(res.status, 500, domain);
      assert.deepEqual(res.body, mailFailed(`m*****a@${domain}`));
    }
    assert.equal(smtp.connections(), connections, 'no SMTP attempt');
    assert.equal(await metric(app, 'result="null_mx",cached="false"'), 1);
    for (const [i, domain] of ['so-endereco.com.br', 'so-ipv6.com.br'].entries()) {
      const res = await app.post(SEND_PATH, { key: DEMO_KEY, cpfCnpj: ['12ABC34501DE35', CPF][i], email: `maria@${domain}` });
      assert.equal(res.status, 200, domain);
    }
    assert.equal(smtp.mails.length, 2);
  });

  it('asks the DNS once: the second send to the domain is answered from the cache, found or not', async () => {
    await start();
    assert.equal((await send(app, 'ana@exemplo.com.br')).status, 200);
    assert.equal((await send(app, 'ana@inexistente.com.br')).status, 500);
    const asked = dns.queries();
    assert.deepEqual(asked, ['exemplo.com.br MX', 'inexistente.com.br MX', 'br SOA']);
    assert.equal((await app.post(SEND_PATH, { key: DEMO_KEY, cpfCnpj: '12ABC34501DE35', email: 'bia@EXEMPLO.com.br' })).status, 200);
    assert.equal((await send(app, 'bia@inexistente.com.br')).status, 500);
    assert.deepEqual(dns.queries(), asked, 'no new question');
    assert.equal(await metric(app, 'result="found",cached="true"'), 1);
    assert.equal(await metric(app, 'result="no_domain",cached="true"'), 1);
  });

  it('sends the mail when the DNS server never answers (fails open), and says so in a warn line', async () => {
    await start({}, 'silent');
    const res = await send(app, 'maria@exemplo.com.br');
    assert.equal(res.status, 200);
    assert.equal(smtp.mails.length, 1);
    assert.deepEqual(dns.queries(), ['exemplo.com.br MX']);
    const line = logs.lines().find((l) => l.msg.startsWith('mail domain lookup failed'))!;
    assert.equal(line.level, 'warn');
    assert.equal(line.dnsError, 'ETIMEOUT');
    assert.equal(await metric(app, 'result="failed",cached="false"'), 1);
  });

  it("sends the mail when the DNS does not know public names (an internal network's resolver, which may well know the utility's own domain), and says why once", async () => {
    const internal = Object.fromEntries(Object.entries(TEST_ZONE).filter(([name]) => name !== 'br'));
    await start({}, 'answer', { ...internal, 'caer.com.br': { mx: [{ preference: 10, exchange: 'mx.caer.com.br' }] } });
    assert.equal((await send(app, 'maria@inexistente.com.br')).status, 200);
    assert.equal((await app.post(SEND_PATH, { key: DEMO_KEY, cpfCnpj: '12ABC34501DE35', email: 'maria@inexistente.com.br' })).status, 200);
    assert.deepEqual(smtp.mails.map((m) => m.envelopeTo), [['maria@inexistente.com.br'], ['maria@inexistente.com.br']]);
    assert.deepEqual(dns.queries(), ['inexistente.com.br MX', 'br SOA'], 'the second from the cache');
    const warned = logs.lines().filter((l) => l.dnsError === BLIND_DNS);
    assert.deepEqual(warned.map((l) => l.level), ['warn'], 'once, when looked up');
    assert.match(warned[0].msg, /DNS_SERVERS, or MAIL_DOMAIN_CHECK=false/);
    assert.equal(await metric(app, 'result="failed",cached="false"'), 1);
    assert.equal(await metric(app, 'result="failed",cached="true"'), 1);
  });

  it('looks nothing up with MAIL_DOMAIN_CHECK=false (a relay that delivers inside a closed network)', async () => {
    await start({ MAIL_DOMAIN_CHECK: 'false' });
    assert.equal((await send(app, 'maria@inexistente.com.br')).status, 200);
    assert.deepEqual(dns.queries(), []);
  });

  it('looks nothing up without SMTP (mails written to the outbox)', async () => {
    await start({ SMTP_URL: '' });
    assert.equal((await send(app, 'maria@inexistente.com.br')).status, 200);
    assert.deepEqual(dns.queries(), []);
  });

  it('answers the conversation the same way: the service, called in-process, spends nothing on such an address', async () => {
    await start();
    const connections = await startCheckDone();
    const conversation = { channelId: 'test', id: 'conversa-1', userId: 'pessoa-1' };
    const outcome = await app.service.sendCode({ sigla: 'CAER' }, { cpfCnpj: CPF, email: 'maria@nulo.com.br', conversation });
    assert.equal(outcome.kind, 'mailFailed');
    assert.equal(outcome.mensagemCritica, texts.mailFailed('m*****a@nulo.com.br'));
    assert.equal(smtp.connections(), connections, 'no SMTP attempt');
    const right = await app.service.sendCode({ sigla: 'CAER' }, { cpfCnpj: CPF, email: 'maria@exemplo.com.br', conversation });
    assert.equal(right.kind, 'codeSent');
  });
});

describe('the receivable-domain cache', () => {
  let dns: TestDns;
  beforeEach(async () => {
    dns = await startDns(TEST_ZONE);
  });
  afterEach(async () => {
    sinon.restore();
    await dns.close();
  });

  it('keeps a found domain for an hour and a missing one for five minutes', async () => {
    const clock = sinon.useFakeTimers({ now: Date.now(), toFake: ['Date'] });
    const check = createDomainCheck({ servers: [dns.server] });
    const ask = async () => [await check.check('exemplo.com.br'), await check.check('inexistente.com.br')];
    assert.deepEqual(await ask(), ['found', 'no_domain']);
    assert.deepEqual(dns.queries(), ['exemplo.com.br MX', 'inexistente.com.br MX', 'br SOA'], 'the public name asked with the first not found');
    clock.tick(5 * 60_000 - 1);
    await ask();
    assert.equal(dns.queries().length, 3, 'all from the cache');
    clock.tick(1);
    await ask();
    assert.deepEqual(dns.queries().slice(3), ['inexistente.com.br MX'], 'the missing one asked again (the public name, found, kept)');
    clock.tick(60 * 60_000 - 5 * 60_000 - 1);
    await check.check('exemplo.com.br');
    assert.equal(dns.queries().length, 4, 'found: still from the cache');
    clock.tick(1);
    await check.check('exemplo.com.br');
    assert.deepEqual(dns.queries().slice(4), ['exemplo.com.br MX'], 'found: asked again after an hour');
  });

  it('holds at most maxEntries domains, dropping the oldest', async () => {
    const check = createDomainCheck({ servers: [dns.server], maxEntries: 2 });
    for (const domain of ['exemplo.com.br', 'so-endereco.com.br', 'nulo.com.br', 'nulo.com.br', 'so-endereco.com.br']) await check.check(domain);
    assert.equal(dns.queries().filter((q) => q.endsWith(' MX')).length, 3, 'the last two from the cache');
    await check.check('exemplo.com.br');
    assert.equal(dns.queries().filter((q) => q.endsWith(' MX')).length, 4, 'the first one was dropped');
  });

  it('asks once for concurrent checks of one domain', async () => {
    const check = createDomainCheck({ servers: [dns.server] });
    const answers = await Promise.all(Array.from({ length: 10 }, () => check.check('exemplo.com.br')));
    assert.deepEqual(new Set(answers), new Set(['found']));
    assert.deepEqual(dns.queries(), ['exemplo.com.br MX']);
  });
});
