import type { Request, Response, Server } from 'restify';
import { describeError } from '../services/logging';
import { withDeadline } from '../services/deadline';
import type { Mailer } from '../services/mail/mailer';
import type { Stores } from '../services/store/types';
import type { Observability } from './observability';

/**
 * The operations doors: `GET /health` (the process answers), `GET /ready` (its database and, when
 * one is configured, its SMTP server answer too) and `GET /metrics` (Prometheus text format).
 */

export const HEALTH_PATH = '/health';
export const READY_PATH = '/ready';
export const METRICS_PATH = '/metrics';

/** Each readiness check is given this long, so `/ready` answers within about 3 s. */
export const READY_CHECK_TIMEOUT_MS = 2500;

export type CheckResult = 'ok' | 'failed' | 'skipped';

export interface OpsOptions {
  stores: Stores;
  mailer: Mailer;
  /** Whether the mailer talks to an SMTP server (checked by `/ready`) or writes an outbox (skipped). */
  smtp: boolean;
  observability: Observability;
}

export function registerOps(server: Server, opts: OpsOptions): void {
  const { observability } = opts;

  server.get(HEALTH_PATH, async (_req: Request, res: Response) => {
    sendJson(res, 200, { status: 'ok' });
  });

  server.get(READY_PATH, async (req: Request, res: Response) => {
    const check = async (name: string, run: () => Promise<void>): Promise<CheckResult> => {
      try {
        await withDeadline(run(), READY_CHECK_TIMEOUT_MS, `${name} check`);
        return 'ok';
      } catch (err) {
        observability.logger.warn(
          { reqId: observability.requestId(req), check: name, error: describeError(err) },
          'readiness check failed',
        );
        return 'failed';
      }
    };
    const [database, mail] = await Promise.all([
      check('database', () => opts.stores.ping()),
      opts.smtp ? check('mail', () => opts.mailer.verify()) : Promise.resolve<CheckResult>('skipped'),
    ]);
    const ready = database === 'ok' && mail !== 'failed';
    sendJson(res, ready ? 200 : 503, { status: ready ? 'ok' : 'unavailable', checks: { database, mail } });
  });

  server.get(METRICS_PATH, async (_req: Request, res: Response) => {
    const text = await observability.registry.metrics();
    res.sendRaw(200, text, { 'Content-Type': observability.registry.contentType });
  });
}

function sendJson(res: Response, status: number, body: unknown): void {
  res.sendRaw(status, JSON.stringify(body), {
    'Content-Type': 'application/json; charset=utf-8',
    'Cache-Control': 'no-store',
  });
}
