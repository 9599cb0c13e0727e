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
  /** The failure was in the TLS handshake (a TLS port spoken to in plain text, a bad certificate…). */
  tls?: boolean;
}

/** What a worker can say about an error nodemailer threw: codes only, never its message, which may quote an address. */
export function mailFailureOf(err: unknown): MailFailure {
  const e = err as { code?: unknown; responseCode?: unknown; command?: unknown; message?: unknown };
  const message = typeof e.message === 'string' ? e.message : '';
  const system = /\b(ECONNREFUSED|ECONNRESET|ETIMEDOUT|ENOTFOUND|EAI_AGAIN|EHOSTUNREACH|ENETUNREACH)\b/.exec(message)?.[1];
  return {
    ...(typeof e.code === 'string' ? { code: e.code } : {}),
    ...(typeof e.responseCode === 'number' ? { responseCode: e.responseCode } : {}),
    ...(typeof e.command === 'string' ? { command: e.command } : {}),
    ...(system ? { system } : {}),
    ...(/\b(ssl|tls|certificate|wrong version number)\b/i.test(message) ? { tls: true } : {}),
  };
}

export type MailCause = 'auth' | 'tls' | 'refused' | 'timeout' | 'rejected' | 'worker' | 'other';

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
export function mailCause({ code, responseCode, system, tls }: MailFailure): MailCause {
  if (code === 'EAUTH' || responseCode === 535 || responseCode === 534) return 'auth';
  if (code === 'ETLS' || tls) return 'tls';
  if (code === 'ETIMEDOUT' || system === 'ETIMEDOUT') return 'timeout';
  if (code === 'ECONNECTION' || code === 'EDNS' || (system !== undefined && system !== 'ECONNRESET')) return 'refused';
  if (code === 'EENVELOPE' || code === 'EMESSAGE' || (responseCode !== undefined && responseCode >= 500)) return 'rejected';
  if (code === 'EWORKER') return 'worker';
  return 'other';
}

/** `host:port` of an SMTP URL, without user or password. */
export function smtpAddress(url: string): string {
  try {
    const { hostname, port, protocol } = new URL(url);
    return `${hostname}:${port || (protocol === 'smtps:' ? '465' : '587')}`;
  } catch {
    return '?';
  }
}
