import restify, { type Request, type Response, type Server } from 'restify';
import type { EmailValidationService } from '../services/emailValidation';
import { outcomes } from '../services/outcome';
import { sendEnvelope } from './http';
import { registerOpenApi } from './openapi';
import { registerWebhooks, type WebhookHooks } from './webhooks';

/** The one restify server: GSAN webhooks here; the bot and the operations doors plug in. */

export interface ServerOptions {
  service: EmailValidationService;
  /** The address callers reach the service at, for the OpenAPI document. */
  publicUrl: string;
  hooks?: WebhookHooks;
  /** Further routes (the bot, health, metrics), registered on the same server. */
  extend?: (server: Server) => void;
}

export function createServer(opts: ServerOptions): Server {
  const server = restify.createServer({ name: 'gsan-email-validation', handleUncaughtExceptions: false });
  // Wrong method or unknown path: the envelope as well, never restify's own error body.
  server.on('NotFound', (_req: Request, res: Response, _err: unknown, cb: () => void) => {
    sendEnvelope(res, '', outcomes.notFound());
    cb();
  });
  server.on('MethodNotAllowed', (_req: Request, res: Response, _err: unknown, cb: () => void) => {
    sendEnvelope(res, '', outcomes.methodNotAllowed());
    cb();
  });
  registerWebhooks(server, opts.service, opts.hooks);
  registerOpenApi(server, opts.publicUrl);
  opts.extend?.(server);
  return server;
}

/** Listens on `port` (0 for any free one) and resolves with the bound port. */
export function listen(server: Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.server.once('error', reject);
    server.listen(port, host, () => {
      server.server.removeListener('error', reject);
      const address = server.address();
      resolve(address.port);
    });
  });
}
