import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/**
 * A company's system on loopback, receiving notifications over real HTTP. It answers as told: 204,
 * any status, or never (`hang`); `refuse()` stops listening (connections refused) and `accept()`
 * listens again on the same port.
 */

export type ReceiverMode = 'hang' | number;

export interface ReceivedNotification {
  headers: IncomingHttpHeaders;
  body: string;
  /** The status it was answered with; `undefined` when it was left hanging. */
  status?: number;
  /** When it arrived. */
  at: Date;
}

export interface TestReceiver {
  url: string;
  mode: ReceiverMode;
  /** Headers of its answers. */
  headers: Record<string, string>;
  received: ReceivedNotification[];
  /** The bodies answered 2xx, parsed. */
  delivered(): { id: string; cpfCnpj: string; email: string; validadoEm: string; origem: string; empresa: string; tipo: string }[];
  /** Resolves once `count` requests have arrived (no deadline of its own: the test's timeout is it). */
  waitFor(count: number): Promise<void>;
  refuse(): Promise<void>;
  accept(): Promise<void>;
  close(): Promise<void>;
}

export async function startReceiver(mode: ReceiverMode = 204): Promise<TestReceiver> {
  const received: ReceivedNotification[] = [];
  const waiters = new Set<() => void>();
  const sockets = new Set<Socket>();
  let port = 0;
  let server: Server;

  const listen = async () => {
    server = createServer((req, res) => {
      let body = '';
      req.setEncoding('utf8');
      req.on('data', (chunk: string) => (body += chunk));
      req.on('end', () => {
        const entry: ReceivedNotification = { headers: req.headers, body, at: new Date() };
        received.push(entry);
        waiters.forEach((w) => w());
        if (receiver.mode === 'hang') return;
        entry.status = receiver.mode;
        // Not `writeHead(...).end()`: restify, loaded in the same process, patches writeHead to return nothing.
        res.statusCode = receiver.mode;
        for (const [name, value] of Object.entries(receiver.headers)) res.setHeader(name, value);
        res.end();
      });
    });
    server.on('connection', (socket) => {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
    });
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  };
  const stop = async () => {
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    for (const socket of sockets) socket.destroy();
    await closed;
  };

  await listen();
  const receiver: TestReceiver = {
    url: `http://127.0.0.1:${port}/gsan/validacoes`,
    mode,
    headers: {},
    received,
    delivered: () => received.filter((r) => r.status !== undefined && r.status < 300).map((r) => JSON.parse(r.body) as ReturnType<TestReceiver['delivered']>[number]),
    waitFor: (count) =>
      new Promise((resolve) => {
        const check = () => {
          if (received.length < count) return;
          waiters.delete(check);
          resolve();
        };
        waiters.add(check);
        check();
      }),
    refuse: stop,
    accept: listen,
    close: stop,
  };
  return receiver;
}
