import { isIP } from 'node:net';

/**
 * `SMTP_URL` read once, the same way by the start check (services/runtime/config.ts), the SMTP worker and
 * the logs: nodemailer is given these fields, never the URL, so nothing in a query string can turn
 * TLS off (docs/api.md §4: the password never travels in clear).
 */

export interface SmtpEndpoint {
  host: string;
  port: number;
  /** `smtps://`: TLS from the first byte (port 465); `smtp://`: STARTTLS, required. */
  secure: boolean;
  auth?: { user: string; pass: string };
  /** The name the certificate must carry, when the URL names the server by an IP address (`?tls.servername=`). */
  servername?: string;
}

/** What a URL that cannot be read gets: how to write the password, never the value itself. */
const SMTP_URL_UNREADABLE =
  'não pôde ser lida: escreva smtp://usuario:senha@servidor:587 com os caracteres especiais do usuário e da senha ' +
  'em percent-encoding (@ como %40, # como %23, % como %25, / como %2F, : como %3A)';

/** The only query parameter accepted: for a server named by its IP address. */
const SERVERNAME = 'tls.servername';

/** The endpoint, or why `SMTP_URL` cannot be used (pt-BR, for the start's one line). */
export function parseSmtpUrl(text: string): SmtpEndpoint | { problem: string } {
  if (!/^smtps?:\/\//i.test(text)) return { problem: 'deve começar com smtp:// ou smtps://' };
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return { problem: SMTP_URL_UNREADABLE };
  }
  // A raw `#` or `/` in the password cuts the URL short; a raw `%` does not decode.
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  if (url.hash !== '' || text.includes('#') || (url.pathname !== '' && url.pathname !== '/') || host === '') {
    return { problem: SMTP_URL_UNREADABLE };
  }
  let user: string;
  let pass: string;
  try {
    user = decodeURIComponent(url.username);
    pass = decodeURIComponent(url.password);
  } catch {
    return { problem: SMTP_URL_UNREADABLE };
  }
  for (const name of url.searchParams.keys()) {
    if (name !== SERVERNAME) return { problem: `parâmetro não aceito: ${name.slice(0, 40)} (só ${SERVERNAME})` };
  }
  const secure = url.protocol.toLowerCase() === 'smtps:';
  const servername = url.searchParams.get(SERVERNAME) ?? undefined;
  return {
    host,
    port: url.port === '' ? (secure ? 465 : 587) : Number(url.port),
    secure,
    ...(user !== '' || pass !== '' ? { auth: { user, pass } } : {}),
    ...(servername ? { servername } : {}),
  };
}

/** `host:port` of an SMTP URL, without user or password, for logs. */
export function smtpAddress(text: string): string {
  const endpoint = parseSmtpUrl(text);
  return 'problem' in endpoint ? '?' : `${endpoint.host}:${endpoint.port}`;
}

/** A host on this machine: `localhost`, 127.0.0.0/8 or ::1 (the only place a relay may be spoken to in plain text). */
export function isLoopback(host: string): boolean {
  if (host.toLowerCase() === 'localhost') return true;
  if (isIP(host) === 4) return host.startsWith('127.');
  return host === '::1' || host === '0:0:0:0:0:0:0:1';
}
