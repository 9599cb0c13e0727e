/**
 * Email address rules (docs/api.md §1 "Inputs" and "Masking").
 */

const MAX_LENGTH = 254;
// One address: a local part and a domain of labels, no spaces, no control characters,
// no second `@`, no display name, no list. Deliberately plain: SMTP will judge deliverability.
const LOCAL = "[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]+";
const LABEL = '[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?';
const ADDRESS = new RegExp(`^${LOCAL}@${LABEL}(?:\\.${LABEL})+$`);

// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/;
/** What a spreadsheet would run as a formula at the start of a cell (`@` is refused anyway: an empty local part). */
const FORMULA_START = /^[=+\-@]/;

/**
 * The trimmed address when it is one well-formed address, otherwise `null`. A control character
 * anywhere (CR/LF included, even at the ends) refuses it: it can only be an injection attempt.
 */
export function parseEmail(raw: string): string | null {
  if (CONTROL.test(raw)) return null;
  const email = raw.trim();
  if (email.length === 0 || email.length > MAX_LENGTH) return null;
  if (!ADDRESS.test(email)) return null;
  const local = email.slice(0, email.indexOf('@'));
  if (local.length > 64 || local.startsWith('.') || local.endsWith('.') || local.includes('..')) return null;
  if (FORMULA_START.test(local)) return null;
  return email;
}

/** Case-insensitive comparison key of an address. */
export function emailKey(email: string): string {
  return email.trim().toLowerCase();
}

export function sameEmail(a: string, b: string): boolean {
  return emailKey(a) === emailKey(b);
}

/** The domain of an address, lower case: what the DNS is asked about, what DKIM and the Message-ID name. */
export function domainOf(email: string): string {
  return email.slice(email.lastIndexOf('@') + 1).toLowerCase();
}

/** Domains whose local parts ignore dots, one mailbox under two names. */
const GMAIL = new Set(['gmail.com', 'googlemail.com']);

/**
 * The mailbox an address delivers to, as the per-recipient limit counts it (docs/api.md §1 "Inputs"):
 * lower case, a `+tag` dropped, and for Gmail the dots of the local part dropped, so
 * `Ana.Silva+x@gmail.com` and `anasilva@gmail.com` are one. Only for counting: mail goes as typed.
 */
export function mailboxKey(email: string): string {
  const key = emailKey(email);
  const at = key.lastIndexOf('@');
  const domain = key.slice(at + 1);
  let local = key.slice(0, at).replace(/\+.*$/, '');
  if (GMAIL.has(domain)) local = local.replace(/\./g, '');
  return `${local}@${GMAIL.has(domain) ? 'gmail.com' : domain}`;
}

/**
 * `mask(email)`: with n the length of the local part and k = min(3, floor(n/3)), keep the
 * first k and last k characters of the local part with exactly five `*` between them.
 */
export function maskEmail(email: string): string {
  const at = email.lastIndexOf('@');
  const local = at < 0 ? email : email.slice(0, at);
  const domain = at < 0 ? '' : email.slice(at + 1);
  const k = Math.min(3, Math.floor(local.length / 3));
  const head = local.slice(0, k);
  const tail = k === 0 ? '' : local.slice(local.length - k);
  return `${head}*****${tail}@${domain}`;
}
