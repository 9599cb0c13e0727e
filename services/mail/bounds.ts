/**
 * The time bounds of the SMTP worker's work, apart from nodemailer: the service's thread reads them
 * to bound its wait on the worker, and never loads nodemailer itself (docs/performance.md).
 */

/**
 * The start check and `/ready` (api/ops.ts): connecting and the greeting (with the TLS handshake)
 * get 2 s each, so `/ready` can tell a silent server within its own 2.5 s; the login gets 10 s,
 * since a server may hold a wrong password's answer back for seconds (Dovecot: 2–6 s).
 */
export const CHECK_STEP_MS = 2000;
export const CHECK_LOGIN_MS = 10_000;
/** The longest a check can take. */
export const CHECK_BOUND_MS = 2 * CHECK_STEP_MS + CHECK_LOGIN_MS;

/**
 * The bound of one send: `SMTP_TIMEOUT_MS` less what the request already spent on it (the domain's
 * lookup, docs/api.md §7), so the lookup and the mail together still fail before the answer's deadline.
 */
export function sendBound(timeoutMs: number, spentMs = 0): number {
  return Math.max(100, Math.round(timeoutMs - spentMs));
}
