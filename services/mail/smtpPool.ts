import nodemailer from 'nodemailer';
import type { Mailer } from './mailer';

/** nodemailer's pooled SMTP transport with every step bounded. Runs inside the SMTP worker thread. */

export interface SmtpMailerOptions {
  /** `smtp://user:pass@host:port` or `smtps://…`. */
  url: string;
  /** Whole-send bound in ms; connection, greeting and socket timeouts are derived from it. */
  timeoutMs: number;
  maxConnections?: number;
}

export function createPooledSmtpMailer(opts: SmtpMailerOptions): Mailer {
  const step = Math.max(100, Math.floor(opts.timeoutMs * 0.8));
  const transport = nodemailer.createTransport({
    url: opts.url,
    pool: true,
    maxConnections: opts.maxConnections ?? 5,
    maxMessages: Infinity,
    connectionTimeout: step,
    greetingTimeout: step,
    socketTimeout: step,
    dnsTimeout: step,
  });
  return {
    async send(mail) {
      // The signal bounds the whole send, queueing in the pool included. A cleared timer rather
      // than AbortSignal.timeout, which would still fire (and build an error) after every send.
      const abort = new AbortController();
      const timer = setTimeout(() => abort.abort(), opts.timeoutMs);
      try {
        await transport.sendMail({ ...mail, signal: abort.signal });
      } finally {
        clearTimeout(timer);
      }
    },
    async verify() {
      await transport.verify();
    },
    ready: () => Promise.resolve(),
    close() {
      transport.close();
    },
  };
}
