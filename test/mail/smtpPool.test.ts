import { strict as assert } from 'node:assert';
import dns from 'node:dns';
import sinon from 'sinon';
import { createPooledSmtpMailer } from '../../services/mail/smtpPool';
import { startSmtp, type TestSmtp } from '../support/smtp';

/**
 * `SMTP_PLAIN_LOOPBACK` with the name `localhost` (docs/api.md §4): nodemailer asks DNS before
 * /etc/hosts, so a resolver answering `localhost` with another address would get the codes in clear.
 * The system's resolver is the one part a test cannot run on loopback: its answer is stubbed.
 */
describe('a plain loopback relay named localhost (services/mail/smtpPool.ts)', () => {
  let smtp: TestSmtp;
  beforeEach(async () => {
    smtp = await startSmtp('accept');
  });
  afterEach(async () => {
    sinon.restore();
    await smtp.close();
  });

  it('connects to 127.0.0.1 without asking DNS, whatever a resolver says localhost is', async () => {
    // A resolver that answers localhost with an address off 127.0.0.1 (nothing listens at 127.0.0.5).
    const asked: string[] = [];
    for (const family of ['resolve4', 'resolve6'] as const) {
      sinon.stub(dns.Resolver.prototype, family).callsFake(((hostname: string, callback: (err: Error | null, addresses: string[]) => void) => {
        asked.push(hostname);
        process.nextTick(() => callback(null, family === 'resolve4' ? ['127.0.0.5'] : []));
      }) as unknown as typeof dns.Resolver.prototype.resolve4);
    }
    const mailer = createPooledSmtpMailer({ url: `smtp://localhost:${smtp.port}`, timeoutMs: 5000, maxConnections: 1, plainLoopback: true });
    try {
      await mailer.send({ from: { name: 'GSAN', address: 'nao-responda@exemplo.com.br' }, to: 'maria@exemplo.com.br', subject: 's', text: 't', html: '<p>t</p>', headers: {}, messageId: '<1@exemplo.com.br>' });
      await mailer.verify({ login: false });
    } finally {
      mailer.close();
    }
    assert.deepEqual((await smtp.nextMail(0)).envelopeTo, ['maria@exemplo.com.br']);
    assert.deepEqual(asked, [], 'localhost was never looked up');
  });
});
