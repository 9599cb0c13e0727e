import { parentPort, workerData } from 'node:worker_threads';
import { createPooledSmtpMailer, type SmtpMailerOptions } from './smtpPool';
import { mailFailureOf } from './mailError';
import type { WorkerReply, WorkerRequest } from './mailer';

/**
 * The SMTP worker thread: composes and delivers the mails on its own core, so the HTTP event loop
 * never waits behind MIME encoding and SMTP round trips. Answers each request by its id.
 */

const port = parentPort!;
const mailer = createPooledSmtpMailer(workerData as SmtpMailerOptions);

port.postMessage({ ready: true } satisfies WorkerReply);

port.on('message', (request: WorkerRequest) => {
  if (request.type === 'close') {
    mailer.close();
    port.close();
    return;
  }
  const work = request.type === 'send' ? mailer.send(request.mail, { spentMs: request.spentMs }) : mailer.verify({ login: request.login });
  work.then(
    () => port.postMessage({ id: request.id, ok: true } satisfies WorkerReply),
    (err: unknown) => {
      // What went wrong, never the message: it may quote the recipient's address.
      port.postMessage({ id: request.id, ok: false, failure: mailFailureOf(err) } satisfies WorkerReply);
    },
  );
});
