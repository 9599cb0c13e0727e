import { type AddressInfo, createServer as createTcpServer, type Server as TcpServer, type Socket } from 'node:net';
import { simpleParser, type ParsedMail } from 'mailparser';
import { SMTPServer } from 'smtp-server';

/**
 * Real SMTP peers on loopback for the tests: one that accepts and keeps every message,
 * one that refuses every recipient, one that accepts the connection and never greets,
 * and one that drops the connection in the middle of DATA. Plain text by default (a relay on
 * loopback, `SMTP_PLAIN_LOOPBACK`); with `tls` it offers STARTTLS with that certificate, and with
 * `auth` it requires a login (over TLS only, as Postfix with Dovecot SASL does).
 */

/**
 * What every test app and service process starts with, unless the test says otherwise: the test
 * SMTP servers are relays on loopback spoken to in plain text (docs/api.md §4), and no domain is
 * looked up in DNS (docs/api.md §7), since a test reaches no DNS server but the one it runs itself.
 */
export const TEST_MAIL_ENV = { SMTP_PLAIN_LOOPBACK: 'true', MAIL_DOMAIN_CHECK: 'false' } as const;

export type SmtpMode = 'accept' | 'reject' | 'silent' | 'dropInData';

export interface SmtpOptions {
  /** The certificate (and key, PEM) STARTTLS is offered with. */
  tls?: { cert: string; key: string };
  /**
   * The only user and password accepted; `hang`: a login is never answered; `inClear`: a login is
   * taken without TLS too (a server configured to accept passwords in clear).
   */
  auth?: { user: string; pass: string; hang?: boolean; inClear?: boolean };
}

export interface ReceivedMail {
  envelopeFrom: string;
  envelopeTo: string[];
  parsed: ParsedMail;
  /** The message as it arrived, for a signature check. */
  raw: Buffer;
  /** It came over TLS. */
  secure: boolean;
  /** The user it logged in as, if it did. */
  user?: string;
}

export interface TestSmtp {
  url: string;
  port: number;
  mails: ReceivedMail[];
  /** Connections opened to it so far. */
  connections(): number;
  /** Login attempts (`AUTH`) so far, and how many of them were refused. */
  logins(): { attempts: number; refused: number };
  /** Resolves with the next mail that arrives (or one already waiting past `seen`). */
  nextMail(seen?: number, timeoutMs?: number): Promise<ReceivedMail>;
  close(): Promise<void>;
}

export async function startSmtp(mode: SmtpMode = 'accept', options: SmtpOptions = {}): Promise<TestSmtp> {
  if (mode === 'silent') return startSilent();
  const mails: ReceivedMail[] = [];
  const waiters: (() => void)[] = [];
  let connections = 0;
  const logins = { attempts: 0, refused: 0 };
  const { tls, auth } = options;
  const server = new SMTPServer({
    authOptional: !auth,
    disabledCommands: [...(tls ? [] : ['STARTTLS']), ...(auth ? [] : ['AUTH'])],
    ...(tls ? { key: tls.key, cert: tls.cert } : {}),
    authMethods: ['PLAIN', 'LOGIN'],
    allowInsecureAuth: auth?.inClear ?? false,
    logger: false,
    disableReverseLookup: true, // no DNS before the greeting: the start's check waits 2 s for it
    onConnect(_session, cb) {
      connections++;
      cb();
    },
    onAuth(login, _session, cb) {
      logins.attempts++;
      if (auth?.hang) return;
      if (auth && login.username === auth.user && login.password === auth.pass) return cb(null, { user: login.username });
      logins.refused++;
      cb(Object.assign(new Error('Authentication failed'), { responseCode: 535 }));
    },
    onRcptTo(_address, _session, cb) {
      if (mode === 'reject') return cb(Object.assign(new Error('Mailbox unavailable'), { responseCode: 550 }));
      cb();
    },
    onData(stream, session, cb) {
      if (mode === 'dropInData') {
        stream.once('data', () => session && (server as unknown as { connections: Set<{ _socket: Socket }> }).connections.forEach((c) => c._socket.destroy()));
        stream.resume();
        return;
      }
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      new Promise((resolve) => stream.once('end', resolve))
        .then(async () => {
          const raw = Buffer.concat(chunks);
          mails.push({
            envelopeFrom: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
            envelopeTo: session.envelope.rcptTo.map((r) => r.address),
            parsed: await simpleParser(raw),
            raw,
            secure: session.secure,
            ...(typeof session.user === 'string' ? { user: session.user } : {}),
          });
          waiters.splice(0).forEach((w) => w());
          cb();
        })
        .catch(cb);
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.server.address() as AddressInfo).port;
  return {
    url: `smtp://127.0.0.1:${port}`,
    port,
    mails,
    connections: () => connections,
    logins: () => ({ ...logins }),
    async nextMail(seen = mails.length, timeoutMs = 5000) {
      // A timer, not Date: tests may fake Date.
      let timedOut = false;
      const timer = setTimeout(() => {
        timedOut = true;
        waiters.splice(0).forEach((w) => w());
      }, timeoutMs);
      try {
        while (mails.length <= seen) {
          if (timedOut) throw new Error('no mail arrived');
          await new Promise<void>((resolve) => waiters.push(resolve));
        }
        return mails[seen];
      } finally {
        clearTimeout(timer);
      }
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** Accepts TCP connections and never says a word. */
async function startSilent(): Promise<TestSmtp> {
  const sockets = new Set<Socket>();
  const server: TcpServer = createTcpServer((s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => {});
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `smtp://127.0.0.1:${port}`,
    port,
    mails: [],
    connections: () => sockets.size,
    logins: () => ({ attempts: 0, refused: 0 }),
    nextMail: () => Promise.reject(new Error('a silent server receives nothing')),
    close: () =>
      new Promise<void>((resolve) => {
        sockets.forEach((s) => s.destroy());
        server.close(() => resolve());
      }),
  };
}

/** The six-digit code in a validation mail's text part. */
export function codeIn(mail: ReceivedMail): string {
  const match = /\b(\d{6})\b/.exec(mail.parsed.text ?? '');
  if (!match) throw new Error('no code in the mail');
  return match[1];
}
