import nodemailer from 'nodemailer';
import SMTPConnection from 'nodemailer/lib/smtp-connection';
import type { Mailer } from './mailer';
import { signsFor, type DkimSettings } from './dkim';
import { parseSmtpUrl, type SmtpEndpoint } from './smtpUrl';
import { CHECK_LOGIN_MS, CHECK_STEP_MS, sendBound } from './bounds';

/** nodemailer's pooled SMTP transport with every step bounded. Runs inside the SMTP worker thread. */

export interface SmtpMailerOptions {
  /** `smtp://user:pass@host:port` or `smtps://…`, already checked at start (services/runtime/config.ts). */
  url: string;
  /** Whole-send bound in ms; connection, greeting and socket timeouts are derived from it. */
  timeoutMs: number;
  maxConnections?: number;
  /** `smtp://` without STARTTLS, for a relay on loopback and without credentials (checked at start). */
  plainLoopback?: boolean;
  /** The envelope sender (where bounces go); the mail's sender when unset. */
  bounceAddress?: string;
  /** Signs the mails whose sender is at its domain. */
  dkim?: DkimSettings;
}

/**
 * How nodemailer reaches the server: from the checked URL's fields, never the URL itself (whose
 * query could turn TLS off), `smtp://` with STARTTLS required unless it is a plain loopback relay,
 * which a name never leads off this machine: `localhost` is 127.0.0.1 there.
 */
function connectionOptions(endpoint: SmtpEndpoint, plainLoopback: boolean) {
  return {
    // nodemailer asks DNS before /etc/hosts: in clear, the name `localhost` is never resolved.
    host: plainLoopback && endpoint.host.toLowerCase() === 'localhost' ? '127.0.0.1' : endpoint.host,
    port: endpoint.port,
    secure: endpoint.secure,
    requireTLS: !endpoint.secure && !plainLoopback,
    ignoreTLS: plainLoopback,
    ...(endpoint.servername ? { tls: { servername: endpoint.servername } } : {}),
  };
}

function endpointOf(url: string): SmtpEndpoint {
  const endpoint = parseSmtpUrl(url);
  if ('problem' in endpoint) throw new Error('SMTP_URL not usable');
  return endpoint;
}


/** The step a check failed in, for the cause of its failure (services/mail/mailError.ts). */
function loginFailure(err: unknown): Error {
  return Object.assign(err instanceof Error ? err : new Error(String(err)), { smtpStep: 'login' });
}

export function createPooledSmtpMailer(opts: SmtpMailerOptions): Mailer {
  const endpoint = endpointOf(opts.url);
  const connection = connectionOptions(endpoint, opts.plainLoopback ?? false);
  const step = Math.max(100, Math.floor(opts.timeoutMs * 0.8));
  const transport = nodemailer.createTransport({
    ...connection,
    ...(endpoint.auth ? { auth: endpoint.auth } : {}),
    pool: true,
    maxConnections: opts.maxConnections ?? 5,
    maxMessages: Infinity,
    connectionTimeout: step,
    greetingTimeout: step,
    socketTimeout: step,
    dnsTimeout: step,
  });
  const { dkim, bounceAddress } = opts;
  return {
    async send(mail, { spentMs } = {}) {
      // The signal bounds the whole send, queueing in the pool included. A cleared timer rather
      // than AbortSignal.timeout, which would still fire (and build an error) after every send.
      const abort = new AbortController();
      const timer = setTimeout(() => abort.abort(), sendBound(opts.timeoutMs, spentMs));
      try {
        await transport.sendMail({
          ...mail,
          signal: abort.signal,
          ...(bounceAddress ? { envelope: { from: bounceAddress, to: mail.to } } : {}),
          ...(dkim && signsFor(dkim, mail.from.address)
            ? { dkim: { domainName: dkim.domain, keySelector: dkim.selector, privateKey: dkim.privateKey } }
            : {}),
        });
      } finally {
        clearTimeout(timer);
      }
    },
    /** Connects, greets, sets TLS up and, with `login`, logs in; then quits. A failed login is marked as such. */
    verify: ({ login }) =>
      new Promise<void>((resolve, reject) => {
        const probe = new SMTPConnection({
          ...connection,
          connectionTimeout: CHECK_STEP_MS,
          greetingTimeout: CHECK_STEP_MS,
          socketTimeout: CHECK_LOGIN_MS,
          dnsTimeout: CHECK_STEP_MS,
        });
        let loggingIn = false;
        const done = (err?: Error | null) => {
          probe.removeAllListeners('error');
          probe.on('error', () => {});
          if (err) {
            probe.close();
            reject(loggingIn ? loginFailure(err) : err);
          } else {
            probe.quit();
            resolve();
          }
        };
        probe.on('error', done);
        probe.connect(() => {
          if (!login || !endpoint.auth) return done();
          loggingIn = true;
          probe.login(endpoint.auth, (err) => done(err));
        });
      }),
    ready: () => Promise.resolve(),
    close() {
      transport.close();
    },
  };
}
