import type { Duplex } from 'node:stream';
import pino, { type Logger } from 'pino';
import restify, { type Request, type Response, type Server } from 'restify';
import { outcomes, type Outcome } from '../services/domain/outcome';
import { listenStartError } from '../services/runtime/startError';
import type { EmailValidationPort } from '../services/port';
import { endWithEnvelope, sendEnvelope } from './envelope';
import { registerOpenApi } from './openapi';
import { registerWebhooks, type WebhookHooks } from './webhooks';

/** The one restify server: GSAN webhooks here; the bot and the operations doors plug in. */

/**
 * Node's own bounds on a request, for a service that answers within 5 s (docs/api.md §6): its headers
 * within 5 s and all of it within 10 s (Node's defaults, 60 s and 5 min, let a slow client hold a
 * connection for nothing), checked every second.
 */
export const HEADERS_TIMEOUT_MS = 5000;
export const REQUEST_TIMEOUT_MS = 10_000;
const CONNECTIONS_CHECK_MS = 1000;

/** The server's hooks for logs and metrics: the webhooks', and a handler's unexpected error. */
export interface ServerHooks extends WebhookHooks {
  /** A handler of any route failed unexpectedly, before the 503 answer. */
  onError?(req: Request, err: unknown): void;
}

export interface ServerOptions {
  /** The service, bounded and counted (services/port.ts). */
  service: EmailValidationPort;
  /** The address callers reach the service at, for the OpenAPI document. */
  publicUrl: string;
  hooks?: ServerHooks;
  /** Further routes (the bot, health, metrics), registered on the same server. */
  extend?: (server: Server) => void;
  /** The app's log; restify's own warnings go there. Silent when omitted. */
  logger?: Logger;
}

export function createServer(opts: ServerOptions): Server {
  const server = restify.createServer({
    name: 'gsan-email-validation',
    handleUncaughtExceptions: false,
    log: restifyLog(opts.logger) as unknown as restify.ServerOptions['log'],
  });
  Object.assign(server.server, {
    headersTimeout: HEADERS_TIMEOUT_MS,
    requestTimeout: REQUEST_TIMEOUT_MS,
    connectionsCheckingInterval: CONNECTIONS_CHECK_MS,
  });
  const answer = (req: Request, res: Response, outcome: Outcome) => {
    sendEnvelope(res, '', outcome);
    opts.hooks?.onAnswer?.(req, outcome);
  };
  // Wrong method or unknown path: the envelope as well, never restify's own error body.
  server.on('NotFound', (req: Request, res: Response, _err: unknown, cb: () => void) => {
    answer(req, res, outcomes.notFound());
    cb();
  });
  server.on('MethodNotAllowed', (req: Request, res: Response, _err: unknown, cb: () => void) => {
    answer(req, res, outcomes.methodNotAllowed());
    cb();
  });
  // A handler of any route that failed unexpectedly: logged once, answered with the envelope,
  // never with the error's message. Deliberate HTTP errors under 500 keep restify's answer.
  server.on('restifyError', (req: Request, res: Response, err: unknown, cb: () => void) => {
    if (!isDeliberateClientError(err)) {
      opts.hooks?.onError?.(req, err);
      if (!res.headersSent) answer(req, res, outcomes.unavailable());
    }
    cb();
  });
  // A Host header no URL can hold (`127.0.0.999`) makes restify's router throw outside any handler,
  // which would stop the process: refused before the router.
  server.pre((req: Request, res: Response, next: restify.Next) => {
    try {
      req.getUrl();
    } catch {
      sendEnvelope(res, '', outcomes.invalidRequest());
      return next(false);
    }
    next();
  });
  // Requests Node refuses before any route sees them: in the envelope too, never an empty answer.
  server.server.on('clientError', (err: Error & { code?: string }, socket: Duplex) => {
    if (err.code === 'ECONNRESET' || !socket.writable) return void socket.destroy();
    const outcome =
      err.code === 'HPE_HEADER_OVERFLOW' ? outcomes.headersTooLarge() : err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? outcomes.requestTimeout() : outcomes.invalidRequest();
    endWithEnvelope(socket, outcome);
  });
  registerWebhooks(server, opts.service, opts.hooks);
  registerOpenApi(server, opts.publicUrl);
  opts.extend?.(server);
  return server;
}

/** Listens on `port` (0 for any free one) and resolves with the bound port. */
export function listen(server: Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    // restify re-emits the HTTP server's errors on itself.
    const failed = (err: Error) => reject(listenStartError(host, port, err));
    server.once('error', failed);
    server.listen(port, host, () => {
      server.removeListener('error', failed);
      const address = server.address();
      resolve(address.port);
    });
  });
}

function isDeliberateClientError(err: unknown): boolean {
  const status = (err as { statusCode?: unknown } | null)?.statusCode;
  return typeof status === 'number' && status < 500;
}

/** restify logs a whole request or a handler's return value in some warnings: only the method is kept. */
function restifyLog(logger: Logger | undefined): Logger {
  if (!logger) return pino({ level: 'silent' });
  return logger.child(
    { component: 'restify' },
    {
      // No chattier than the app's own log.
      level: logger.levelVal > pino.levels.values.warn ? logger.level : 'warn',
      serializers: {
        req: (req: { method?: unknown } | undefined) => ({ method: req?.method }),
        value: () => '[discarded]',
      },
    },
  );
}
