import { type AddressInfo, createServer as createTcpServer, type Server as TcpServer, type Socket } from 'node:net';
import { simpleParser, type ParsedMail } from 'mailparser';
import { SMTPServer } from 'smtp-server';

/**
 * Real SMTP peers on loopback for the tests: one that accepts and keeps every message,
 * one that refuses every recipient, one that accepts the connection and never greets,
 * and one that drops the connection in the middle of DATA.
 */

export type SmtpMode = 'accept' | 'reject' | 'silent' | 'dropInData';

export interface ReceivedMail {
  envelopeFrom: string;
  envelopeTo: string[];
  parsed: ParsedMail;
}

export interface TestSmtp {
  url: string;
  port: number;
  mails: ReceivedMail[];
  /** Connections opened to it so far. */
  connections(): number;
  /** Resolves with the next mail that arrives (or one already waiting past `seen`). */
  nextMail(seen?: number, timeoutMs?: number): Promise<ReceivedMail>;
  close(): Promise<void>;
}

export async function startSmtp(mode: SmtpMode = 'accept'): Promise<TestSmtp> {
  if (mode === 'silent') return startSilent();
  const mails: ReceivedMail[] = [];
  const waiters: (() => void)[] = [];
  let connections = 0;
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    onConnect(_session, cb) {
      connections++;
      cb();
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
      simpleParser(stream)
        .then((parsed) => {
          mails.push({
            envelopeFrom: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
            envelopeTo: session.envelope.rcptTo.map((r) => r.address),
            parsed,
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
