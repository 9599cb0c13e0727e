import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import nodemailer from 'nodemailer';
import type { OutgoingMail } from './message';

/**
 * Delivery of the validation mail through nodemailer: a pooled SMTP transport in production,
 * `.eml` files in an outbox folder on the embedded default. `send` resolves once the SMTP server
 * accepted the message (or the file is written) and rejects on refusal, failure or time-out.
 */
export interface Mailer {
  send(mail: OutgoingMail): Promise<void>;
  /** Resolves when the transport can deliver (SMTP: connects and authenticates). */
  verify(): Promise<void>;
  close(): void;
}

export interface SmtpMailerOptions {
  /** `smtp://user:pass@host:port` or `smtps://…`. */
  url: string;
  /** Whole-send bound in ms; connection, greeting and socket timeouts are derived from it. */
  timeoutMs: number;
  maxConnections?: number;
}

export function createSmtpMailer(opts: SmtpMailerOptions): Mailer {
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
    close() {
      transport.close();
    },
  };
}

/** Writes each message as an `.eml` file under `dir`, for running with no SMTP server. */
export function createOutboxMailer(dir: string): Mailer {
  const transport = nodemailer.createTransport({ streamTransport: true, buffer: true, newline: 'windows' });
  let seq = 0;
  return {
    async send(mail) {
      const info = await transport.sendMail(mail);
      await mkdir(dir, { recursive: true });
      const stamp = new Date().toISOString().replace(/[:.]/g, '-');
      const file = join(dir, `${stamp}-${process.pid}-${++seq}.eml`);
      await writeFile(file, info.message as Buffer);
    },
    async verify() {
      await mkdir(dir, { recursive: true });
    },
    close() {},
  };
}
