import type { Request, Response, Server } from 'restify';
import { describeError } from '../services/runtime/logging';
import { DeadlineError, withDeadline } from '../services/deadline';
import { MailError } from '../services/mail/mailError';
import { atMostEvery } from '../services/runtime/throttle';
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
/**
 * The SMTP check connects to the server (greeting, TLS, no login) at most this often, whoever asks:
 * `/ready` is unauthenticated, and its callers must not make the service hammer the server.
 */
export const MAIL_CHECK_INTERVAL_MS = 5000;
/**
 * ...and logs in at most this often: a brute-force jail counts failed logins (fail2ban's
 * postfix-sasl and dovecot jails ban after 5 in 10 minutes by default), so a wrong password costs
 * one failure per 10 minutes per instance. In between, the last login's failure is repeated.
 */
const MAIL_LOGIN_INTERVAL_MS = 10 * 60_000;

export type CheckResult = 'ok' | 'failed' | 'skipped';

export interface OpsOptions {
  stores: Stores;
  /** The SMTP server's check (`createMailCheck`); none when mails go to the outbox (`skipped`). */
  checkMail?: () => Promise<void>;
  observability: Observability;
}

/**
 * The SMTP check `/ready` and the start share: the first run logs in; then a connection at most
 * every 5 s and a login at most every 10 minutes (see above). A login that failed before it began
 * (the server down) does not count as one: the next check logs in again. Until a login has been
 * answered, the checks wait for the one under way (a server may delay its answer to a wrong
 * password); once one has, a login again runs beside the checks, which answer as between logins.
 */
export function createMailCheck(mailer: Mailer): () => Promise<void> {
  let lastLoginAt = -Infinity;
  let loginAnswered = false;
  let loginRefusal: MailError | undefined;
  let login: Promise<void> | undefined;
  const logIn = async () => {
    try {
      await mailer.verify({ login: true });
      loginRefusal = undefined;
      loginAnswered = true;
    } catch (err) {
      const atLogin = err instanceof MailError && err.failure.step === 'login';
      loginRefusal = atLogin ? err : undefined;
      if (atLogin) loginAnswered = true;
      else lastLoginAt = -Infinity;
      throw err;
    }
  };
  /** Between logins: a connection without one, and the last login's answer. */
  const connect = async () => {
    await mailer.verify({ login: false });
    if (loginRefusal) throw loginRefusal;
  };
  return atMostEvery(MAIL_CHECK_INTERVAL_MS, async () => {
    if (!login && Date.now() - lastLoginAt >= MAIL_LOGIN_INTERVAL_MS) {
      lastLoginAt = Date.now();
      login = logIn().finally(() => (login = undefined));
      // Its answer is kept above; a login again that nobody awaits must not be an unhandled rejection.
      login.catch(() => {});
    }
    return login && !loginAnswered ? login : connect();
  });
}

/** Why a check failed, in a word an operator can act on (never a message, which may carry input). */
export function failureReason(err: unknown): string {
  if (err instanceof MailError) return err.category;
  if (err instanceof DeadlineError) return 'timeout';
  return 'unreachable';
}

export function registerOps(server: Server, opts: OpsOptions): void {
  const { observability, checkMail } = opts;

  server.get(HEALTH_PATH, async (_req: Request, res: Response) => {
    sendJson(res, 200, { status: 'ok' });
  });

  /** Each failing check's reason as last logged: a probe asking every few seconds logs a change, not every answer. */
  const failing = new Map<string, string>();
  server.get(READY_PATH, async (req: Request, res: Response) => {
    const reasons: Record<string, string> = {};
    const check = async (name: string, run: () => Promise<void>): Promise<CheckResult> => {
      try {
        await withDeadline(run(), READY_CHECK_TIMEOUT_MS, `${name} check`);
        if (failing.delete(name)) observability.logger.info({ reqId: observability.requestId(req), check: name }, 'readiness check passes again');
        return 'ok';
      } catch (err) {
        reasons[name] = failureReason(err);
        if (failing.get(name) !== reasons[name]) {
          failing.set(name, reasons[name]);
          observability.logger.warn(
            { reqId: observability.requestId(req), check: name, reason: reasons[name], error: describeError(err) },
            'readiness check failed',
          );
        }
        return 'failed';
      }
    };
    const [database, mail] = await Promise.all([
      check('database', () => opts.stores.ping()),
      checkMail ? check('mail', checkMail) : Promise.resolve<CheckResult>('skipped'),
    ]);
    const ready = database === 'ok' && mail !== 'failed';
    const body = { status: ready ? 'ok' : 'unavailable', checks: { database, mail } };
    sendJson(res, ready ? 200 : 503, Object.keys(reasons).length > 0 ? { ...body, reasons } : body);
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
