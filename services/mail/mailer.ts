import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { Transporter } from 'nodemailer';
import type { OutgoingMail } from './message';
import { CHECK_BOUND_MS, sendBound } from './bounds';
import type { SmtpMailerOptions } from './smtpPool';
import { COMPILED } from '../runtime/paths';
import { MailError, type MailFailure } from './mailError';
import { smtpAddress } from './smtpUrl';

/**
 * Delivery of the validation mail through nodemailer: a pooled SMTP transport in production,
 * `.eml` files in an outbox folder on the embedded default. `send` resolves once the SMTP server
 * accepted the message (or the file is written) and rejects on refusal, failure or time-out.
 */
export interface Mailer {
  /** `spentMs`: what the request already spent on this mail (its domain's lookup), taken off the send's bound. */
  send(mail: OutgoingMail, opts?: { spentMs?: number }): Promise<void>;
  /**
   * Resolves when the transport can deliver (SMTP: connects, greets and sets TLS up; with `login`,
   * also logs in). How often it may log in is the caller's (api/ops.ts).
   */
  verify(opts: { login: boolean }): Promise<void>;
  /** Resolves once the mailer is loaded and set up (SMTP: its worker thread), so a first send does not pay for it. */
  ready(): Promise<void>;
  close(): void;
}

export type { SmtpMailerOptions };

/** Messages between the service and its SMTP worker thread. */
export type WorkerRequest =
  | { type: 'send'; id: number; mail: OutgoingMail; spentMs?: number }
  | { type: 'verify'; id: number; login: boolean }
  | { type: 'close' };
export type WorkerReply = { id: number; ok: true } | { id: number; ok: false; failure: MailFailure } | { ready: true };

interface Pending {
  resolve(): void;
  reject(err: Error): void;
  timer: NodeJS.Timeout;
}

/** Extra time the service gives the worker past the send's own bound before it gives up on it. */
const WORKER_MARGIN_MS = 200;

export interface SmtpMailerHooks {
  /** The worker failed or stopped by itself: what it had in hand has failed, the next send starts another. */
  onWorkerError?(err: Error): void;
}

/**
 * SMTP delivery through a worker thread that owns nodemailer's pooled transport (`smtpPool.ts`).
 * A worker that dies fails what it had in hand and is started again on the next send.
 */
export function createSmtpMailer(opts: SmtpMailerOptions, hooks: SmtpMailerHooks = {}): Mailer {
  const smtp = smtpAddress(opts.url);
  let worker: Worker | undefined;
  /** Settles when the current worker is loaded, or failed to be. */
  let loaded = Promise.resolve();
  let closed = false;
  let nextId = 0;
  const pending = new Map<number, Pending>();

  const failAll = (reason: string) => {
    for (const [id, p] of pending) {
      clearTimeout(p.timer);
      pending.delete(id);
      p.reject(new MailError(smtp, { code: 'EWORKER', command: reason }));
    }
  };

  const start = (): Worker => {
    let settle!: () => void;
    loaded = new Promise((resolve) => (settle = resolve));
    // Compiled, the worker is plain JavaScript; as TypeScript (tests, `npm run dev`) tsx loads it.
    const w = COMPILED
      ? new Worker(join(__dirname, 'smtpWorker.js'), { workerData: opts })
      : new Worker(join(__dirname, 'smtpWorker.ts'), { workerData: opts, execArgv: ['--import', 'tsx'] });
    w.on('message', (reply: WorkerReply) => {
      if ('ready' in reply) return settle();
      const p = pending.get(reply.id);
      if (!p) return;
      clearTimeout(p.timer);
      pending.delete(reply.id);
      if (reply.ok) p.resolve();
      else p.reject(new MailError(smtp, reply.failure));
    });
    w.on('error', (err: Error) => {
      settle();
      hooks.onWorkerError?.(err);
      failAll('SMTP worker failed');
    });
    w.on('exit', (code) => {
      settle();
      if (worker === w) worker = undefined;
      if (!closed && code !== 0) hooks.onWorkerError?.(new Error(`SMTP worker exited with code ${code}`));
      failAll('SMTP worker stopped');
    });
    return w;
  };

  const call = (request: { type: 'send'; mail: OutgoingMail; spentMs?: number } | { type: 'verify'; login: boolean }): Promise<void> =>
    new Promise((resolve, reject) => {
      if (closed) return reject(new Error('mailer closed'));
      const id = ++nextId;
      const timer = setTimeout(() => {
        pending.delete(id);
        reject(new MailError(smtp, { code: 'ETIMEDOUT', command: 'no answer in time' }));
      }, (request.type === 'verify' ? CHECK_BOUND_MS : sendBound(opts.timeoutMs, request.spentMs)) + WORKER_MARGIN_MS);
      pending.set(id, { resolve, reject, timer });
      worker ??= start();
      worker.postMessage({ ...request, id });
    });

  // Started now, so its start-up cost is not paid by the first request.
  worker = start();
  return {
    send: (mail, { spentMs } = {}) => call({ type: 'send', mail, spentMs }),
    verify: ({ login }) => call({ type: 'verify', login }),
    ready: () => loaded,
    close() {
      closed = true;
      worker?.postMessage({ type: 'close' } satisfies WorkerRequest);
      worker = undefined;
    },
  };
}

/** Writes each message as an `.eml` file under `dir`, for running with no SMTP server. */
export function createOutboxMailer(dir: string): Mailer {
  // nodemailer is loaded with the first mail: with SMTP it lives on the worker thread only (docs/performance.md).
  let transport: Promise<Transporter> | undefined;
  const transporter = () =>
    (transport ??= import('nodemailer').then((m) => m.default.createTransport({ streamTransport: true, buffer: true, newline: 'windows' })));
  let seq = 0;
  return {
    async send(mail) {
      const info = await (await transporter()).sendMail(mail);
      await mkdir(dir, { recursive: true });
      const stamp = new Date().toISOString().replace(/[:.]/g, '-');
      const file = join(dir, `${stamp}-${process.pid}-${++seq}.eml`);
      await writeFile(file, info.message as Buffer);
    },
    async verify() {
      await mkdir(dir, { recursive: true });
    },
    ready: () => Promise.resolve(),
    close() {},
  };
}
