/**
 * Why a mail was not sent, for logs and `/ready`: the SMTP server (host:port, never credentials),
 * nodemailer's error code, the server's reply code and the command, and a cause an operator can act
 * on. Never the address or the message.
 */

/** What the SMTP worker reports about a failure (structured-clone safe). */
export interface MailFailure {
  code?: string;
  responseCode?: number;
  command?: string;
  /** The network error under nodemailer's own code (`ESOCKET` hides `ECONNREFUSED`, say). */
  system?: string;
  /** The TLS handshake failed: the certificate's chain is not trusted, it names another host, or TLS itself failed. */
  tls?: 'certificate' | 'hostname' | 'other';
  /** Which of nodemailer's timers fired: connecting, waiting for the greeting, or an idle socket. */
  timeout?: 'connect' | 'greeting' | 'socket';
  /** The check was logging in when it failed (a send cannot tell its steps apart). */
  step?: 'login';
}

/** nodemailer's `timeoutType`, as `MailFailure.timeout`. */
const TIMEOUTS: Record<string, MailFailure['timeout']> = {
  CONNECT_TIMEOUT: 'connect',
  GREETING_TIMEOUT: 'greeting',
  SOCKET_TIMEOUT: 'socket',
};

/**
 * What a worker can say about an error nodemailer threw: codes only, never its message, which may
 * quote an address. TLS failures are read from Node's codes, or from the message nodemailer wraps
 * them in (a STARTTLS upgrade keeps only the text); a check's login marks its errors (`smtpPool.ts`).
 */
export function mailFailureOf(err: unknown): MailFailure {
  const e = err as { code?: unknown; originalCode?: unknown; responseCode?: unknown; command?: unknown; message?: unknown; timeoutType?: unknown; smtpStep?: unknown };
  const message = typeof e.message === 'string' ? e.message : '';
  const text = (value: unknown) => (typeof value === 'string' ? value : '');
  const codes = `${text(e.originalCode)} ${text(e.code)} ${message}`;
  const system = /\b(ECONNREFUSED|ECONNRESET|ETIMEDOUT|ENOTFOUND|EAI_AGAIN|EHOSTUNREACH|ENETUNREACH)\b/.exec(codes)?.[1];
  const tls = /ERR_TLS_CERT_ALTNAME_INVALID|does not match certificate's altnames/i.test(codes)
    ? 'hostname'
    : /CERT_|SELF_SIGNED|UNABLE_TO_(VERIFY|GET_ISSUER)|self[- ]signed certificate|unable to (verify|get (local )?issuer)|certificate has expired|certificate is not yet valid/i.test(codes)
      ? 'certificate'
      : /\b(ssl|tls|wrong version number)\b/i.test(message) || e.code === 'ETLS'
        ? 'other'
        : undefined;
  const timeout = typeof e.timeoutType === 'string' ? TIMEOUTS[e.timeoutType] : undefined;
  return {
    ...(typeof e.code === 'string' ? { code: e.code } : {}),
    ...(typeof e.responseCode === 'number' ? { responseCode: e.responseCode } : {}),
    ...(typeof e.command === 'string' ? { command: e.command } : {}),
    ...(system ? { system } : {}),
    ...(tls ? { tls } : {}),
    ...(timeout ? { timeout } : {}),
    ...(e.smtpStep === 'login' ? { step: 'login' as const } : {}),
  };
}

/**
 * Why a mail could not go, in a word an operator can act on (docs/operations.md lists what to do
 * for each): the certificate's chain is not trusted (`certificate`), it does not name the host
 * (`hostname`), TLS could not be set up (`tls`: no STARTTLS offered, smtps:// on a plain port), the
 * login was refused (`auth`) or got no answer (`auth_timeout`), the connection was refused or the
 * host unreachable (`refused`), connecting timed out (`connect_timeout`), the server never greeted
 * (`greeting_timeout`), a later step timed out (`timeout`), the server refused the mail
 * (`rejected`), the SMTP worker thread failed (`worker`).
 */
export type MailCause =
  | 'certificate'
  | 'hostname'
  | 'tls'
  | 'auth'
  | 'auth_timeout'
  | 'refused'
  | 'connect_timeout'
  | 'greeting_timeout'
  | 'timeout'
  | 'rejected'
  | 'worker'
  | 'other';

export class MailError extends Error {
  /** What an operator can act on. */
  readonly category: MailCause;

  constructor(
    readonly smtp: string,
    readonly failure: MailFailure,
  ) {
    const detail = [failure.code, failure.responseCode, failure.command].filter((part) => part !== undefined).join(' ');
    super(`SMTP ${smtp}: ${detail}`);
    this.name = 'MailError';
    this.category = mailCause(failure);
  }
}

/** The cause category of a failure, from nodemailer's codes and the server's reply code. */
export function mailCause({ code, responseCode, system, tls, timeout, step }: MailFailure): MailCause {
  if (code === 'EWORKER') return 'worker';
  if (tls === 'certificate' || tls === 'hostname') return tls;
  if (code === 'EAUTH' || responseCode === 535 || responseCode === 534) return 'auth';
  if (code === 'ETLS' || tls) return 'tls';
  if (code === 'ETIMEDOUT' || system === 'ETIMEDOUT' || timeout) {
    if (step === 'login') return 'auth_timeout';
    if (timeout === 'connect') return 'connect_timeout';
    if (timeout === 'greeting') return 'greeting_timeout';
    return 'timeout';
  }
  if (code === 'ECONNECTION' || code === 'EDNS' || (system !== undefined && system !== 'ECONNRESET')) return 'refused';
  if (code === 'EENVELOPE' || code === 'EMESSAGE' || (responseCode !== undefined && responseCode >= 500)) return 'rejected';
  return 'other';
}
