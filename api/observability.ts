import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { Request, Response, Server } from 'restify';
import { describeError } from '../services/runtime/logging';
import type { Outcome, OutcomeKind } from '../services/domain/outcome';
import { MailError } from '../services/mail/mailError';
import { BLIND_DNS, UndeliverableDomainError, type DomainAnswer } from '../services/mail/receivable';
import type { CallOrigin, PortReports, UseCase } from '../services/port';
import { withDeadline } from '../services/deadline';
import type { AttemptOutcome } from '../services/notify/notifier';
import type { Backlog } from '../services/store/types';
import { atMostEvery } from '../services/runtime/throttle';
import { READY_CHECK_TIMEOUT_MS } from './ops';
import type { ServerHooks } from './server';

/**
 * Logs and metrics of one app instance: a request id and one JSON log line per request (every
 * route, 404 and 405 included), one per bot turn, unexpected errors once with the request id, and
 * the Prometheus metrics in a registry of this instance (several apps can run in one process).
 *
 * Nothing here logs a value that came in with a request: routes are the registered patterns, the
 * outcome is its `kind`, the request id is either of a safe shape or replaced.
 */

export interface BotTurn {
  /**
   * The turn's activity type when it ran (`message`, `event`, … as Bot Framework defines them; `other`
   * for any other), or `error` when it was refused or failed (bots/; a label of another shape counts as `other`).
   */
  outcome: string;
  durationMs: number;
  /** The HTTP request that carried the turn, for its request id. */
  req?: Request;
}

/**
 * An incoming `X-Request-Id` is kept when it is a UUID, or up to 64 of `[A-Za-z0-9-]` with no run of
 * 11 or more digits (a CPF, a CNPJ, a phone number would be one); otherwise one is generated.
 */
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const PLAIN_REQUEST_ID = /^[A-Za-z0-9-]{1,64}$/;
const LONG_DIGIT_RUN = /[0-9]{11}/;
const isSafeRequestId = (id: unknown): id is string =>
  typeof id === 'string' && (UUID.test(id) || (PLAIN_REQUEST_ID.test(id) && !LONG_DIGIT_RUN.test(id)));
const SANE_LABEL = /^[A-Za-z0-9_.-]{1,40}$/;
/** The route label of a request no route matched (404, 405): never the raw path, which is input. */
export const UNMATCHED_ROUTE = 'unmatched';

const DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 3, 4, 5, 10];

interface RequestContext {
  id: string;
  startedAt: bigint;
  outcome?: OutcomeKind;
}

export class Observability {
  readonly registry = new Registry();
  /** The server's hooks: the outcome of each answer for its log line, unexpected errors, request ids. */
  readonly hooks: Required<ServerHooks>;
  /** The service's reports (services/port.ts): outcomes counted, failures logged once. */
  readonly serviceReports: PortReports;

  /** Where a request of this instance's server keeps its context: a property of its own, not a WeakMap the collector must trace. */
  private readonly context = Symbol('request context');
  private readonly httpRequests: Counter<'route' | 'status'>;
  private readonly httpDuration: Histogram<'route'>;
  private readonly mailsSent: Counter;
  private readonly mailsFailed: Counter;
  private readonly codesConfirmed: Counter;
  private readonly codesRefused: Counter;
  private readonly lookupMisses: Counter<'door'>;
  private readonly botTurns: Counter<'outcome'>;
  private readonly botTurnDuration: Histogram;
  private readonly botRepliesFailed: Counter<'failure'>;
  private readonly notificationAttempts: Counter<'result'>;
  private readonly domainChecks: Counter<'result' | 'cached'>;

  constructor(readonly logger: Logger) {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry });
    this.httpRequests = new Counter({
      name: 'http_requests_total',
      help: 'HTTP requests answered, by route pattern and status.',
      labelNames: ['route', 'status'],
      registers,
    });
    this.httpDuration = new Histogram({
      name: 'http_request_duration_seconds',
      help: 'Time from receiving a request to finishing its answer, by route pattern.',
      labelNames: ['route'],
      buckets: DURATION_BUCKETS,
      registers,
    });
    this.mailsSent = new Counter({ name: 'mails_sent_total', help: 'Validation mails accepted by the SMTP server.', registers });
    this.mailsFailed = new Counter({ name: 'mails_failed_total', help: 'Validation mails refused, failed or timed out.', registers });
    this.codesConfirmed = new Counter({ name: 'codes_confirmed_total', help: 'Confirmations answered S.', registers });
    this.codesRefused = new Counter({ name: 'codes_refused_total', help: 'Confirmations answered N.', registers });
    this.lookupMisses = new Counter({
      name: 'client_lookups_not_found_total',
      help: 'Sends whose CPF/CNPJ found no client of the company, by door (webhook, conversa): enumeration shows up here.',
      labelNames: ['door'],
      registers,
    });
    // Both doors from the start, at zero: an alert on the rate has a series to look at.
    for (const door of ['webhook', 'conversa'] as const) this.lookupMisses.inc({ door }, 0);
    this.botTurns = new Counter({
      name: 'bot_turns_total',
      help: 'Bot Framework turns handled, by outcome.',
      labelNames: ['outcome'],
      registers,
    });
    this.botTurnDuration = new Histogram({
      name: 'bot_turn_duration_seconds',
      help: 'Time a bot turn took.',
      buckets: DURATION_BUCKETS,
      registers,
    });
    this.botRepliesFailed = new Counter({
      name: 'bot_replies_failed_total',
      help: 'Bot replies not delivered to the channel or the root bot, by failure: timeout (BOT_REPLY_TIMEOUT_MS) or failed.',
      labelNames: ['failure'],
      registers,
    });

    this.notificationAttempts = new Counter({
      name: 'validation_notifications_total',
      help: 'Notification attempts made by this instance, by result: delivered, retry (will be tried again), failed (for good).',
      labelNames: ['result'],
      registers,
    });

    this.domainChecks = new Counter({
      name: 'mail_domain_checks_total',
      help: 'Answers on whether an address\'s domain can receive mail (docs/api.md §7): found, no_domain, null_mx, failed (the mail is tried); cached: from this process\'s cache.',
      labelNames: ['result', 'cached'],
      registers,
    });

    this.hooks = {
      onAnswer: (req, outcome) => {
        const context = this.contextOf(req);
        if (context) context.outcome = outcome.kind;
      },
      onError: (req, err) => {
        this.logger.error({ reqId: this.requestId(req), route: routeOf(req), error: describeError(err) }, 'unexpected error');
      },
      requestId: (req) => this.requestId(req),
    };
    this.serviceReports = {
      outcome: (useCase, outcome, origin) => {
        this.useCase(useCase, outcome, origin);
        if (outcome.kind === 'mailFailed') this.mailNotSent(outcome.failure, origin);
      },
      failure: (useCase, err, origin) => {
        this.logger.error({ reqId: origin.requestId, route: origin.route, useCase, error: describeError(err) }, 'unexpected error');
      },
    };
  }

  /** An answer of the receivable-domain check; a failed lookup also logs a warn line (the mail is tried). */
  domainAnswer(answer: DomainAnswer, cached: boolean, errorCode?: string): void {
    this.domainChecks.inc({ result: answer, cached: String(cached) });
    if (errorCode === BLIND_DNS) {
      // Said when it was looked up, not at every send answered from the cache.
      if (!cached) {
        this.logger.warn(
          { dnsError: errorCode },
          'mail domain lookup: the DNS does not know public names (not even br), so its "no such domain" is no answer (set DNS_SERVERS, or MAIL_DOMAIN_CHECK=false): the mail is tried',
        );
      }
    } else if (answer === 'failed') this.logger.warn({ dnsError: errorCode }, 'mail domain lookup failed: the mail is tried anyway');
  }

  /** A notification attempt of this instance's worker. */
  notificationAttempt(outcome: AttemptOutcome): void {
    this.notificationAttempts.inc({ result: outcome });
  }

  /**
   * The notification backlog as gauges per company, read from the database when scraped (at most
   * once a second, within the readiness checks' bound): pending, failed, and the oldest pending's age.
   */
  watchNotifications(read: () => Promise<Backlog[]>): void {
    // prom-client asks each metric in turn; the three share one read.
    const refresh = atMostEvery(1000, async () => {
      try {
        const backlog = await withDeadline(read(), READY_CHECK_TIMEOUT_MS, 'notification backlog');
        for (const gauge of [pending, failed, oldest]) gauge.reset();
        const now = Date.now();
        for (const b of backlog) {
          const labels = { company: b.companyId };
          pending.set(labels, b.pending);
          failed.set(labels, b.failed);
          oldest.set(labels, b.oldestPendingSince ? Math.max(0, (now - b.oldestPendingSince.getTime()) / 1000) : 0);
        }
      } catch (err) {
        // The scrape still answers, with the figures last read.
        this.logger.warn({ error: describeError(err) }, 'notification backlog not readable for /metrics');
      }
    });
    const gauge = (name: string, help: string) =>
      new Gauge({ name, help, labelNames: ['company'], registers: [this.registry], collect: refresh });
    const pending = gauge('validation_notifications_pending', 'Validations whose notification is pending (to be tried, or being retried), by company.');
    const failed = gauge('validation_notifications_failed', 'Validations whose notification failed for good (validacoes reenviar queues them again).');
    const oldest = gauge('validation_notifications_oldest_pending_age_seconds', 'How long the longest-waiting pending notification has waited.');
  }

  /**
   * Gives every request of `server` its id and, when it is answered, its log line and metrics. On the
   * HTTP server's own event, ahead of restify, rather than as a restify `pre` handler: a step fewer
   * in every request's chain (docs/performance.md).
   */
  attach(server: Server): void {
    server.server.prependListener('request', (req: IncomingMessage, res: ServerResponse) => this.begin(req as Request, res as Response));
  }

  /** The id of a request, as logged and echoed in `X-Request-Id`. */
  requestId(req: Request): string | undefined {
    return this.contextOf(req)?.id;
  }

  private contextOf(req: Request): RequestContext | undefined {
    return (req as Request & Record<symbol, RequestContext | undefined>)[this.context];
  }

  /** Counts what a use case came to: the one place the mail, lookup and code counters are derived from an outcome. */
  private useCase(useCase: UseCase, outcome: Outcome, origin: CallOrigin): void {
    if (useCase === 'send') {
      if (outcome.kind === 'codeSent') this.mailsSent.inc();
      else if (outcome.kind === 'mailFailed') this.mailsFailed.inc();
      else if (outcome.kind === 'clientNotFound' && origin.door) this.lookupMisses.inc({ door: origin.door });
    } else if (outcome.validado === 'S') {
      this.codesConfirmed.inc();
    } else {
      this.codesRefused.inc();
    }
  }

  /** One warn line per mail the SMTP server did not take: the request, the server, the reply code, the cause. */
  private mailNotSent(failure: unknown, origin: CallOrigin): void {
    const mail =
      failure instanceof MailError
        ? { smtp: failure.smtp, replyCode: failure.failure.responseCode, cause: failure.category }
        : failure instanceof UndeliverableDomainError
          ? { cause: failure.answer }
          : {};
    this.logger.warn({ reqId: origin.requestId, route: origin.route, ...mail, error: describeError(failure) }, 'mail not sent');
  }

  /** A bot turn happened: one log line and the bot metrics. For the bot's wiring to call. */
  botTurn(turn: BotTurn): void {
    const outcome = SANE_LABEL.test(turn.outcome) ? turn.outcome : 'other';
    this.botTurns.inc({ outcome });
    this.botTurnDuration.observe(turn.durationMs / 1000);
    this.logger.info(
      { reqId: turn.req && this.requestId(turn.req), event: 'botTurn', outcome, durationMs: roundMs(turn.durationMs) },
      'bot turn',
    );
  }

  /** A bot reply that did not reach the channel or the root bot (the bot's adapter logs its line). */
  botReplyFailed(failure: 'timeout' | 'failed'): void {
    this.botRepliesFailed.inc({ failure });
  }

  private begin(req: Request, res: Response): void {
    const incoming = req.headers['x-request-id'];
    const id = isSafeRequestId(incoming) ? incoming : randomUUID();
    const context: RequestContext = { id, startedAt: process.hrtime.bigint() };
    (req as Request & Record<symbol, RequestContext>)[this.context] = context;
    res.setHeader('X-Request-Id', id);
    // `close` comes once the answer is complete, or when the connection went away before it was.
    res.once('close', () => this.end(req, res, context, !res.writableFinished));
  }

  private end(req: Request, res: Response, context: RequestContext, aborted: boolean): void {
    const durationMs = Number(process.hrtime.bigint() - context.startedAt) / 1e6;
    const route = routeOf(req);
    const status = res.statusCode;
    this.httpRequests.inc({ route, status: String(status) });
    this.httpDuration.observe({ route }, durationMs / 1000);
    const line = {
      reqId: context.id,
      method: req.method,
      route,
      status,
      outcome: context.outcome,
      durationMs: roundMs(durationMs),
      ...(aborted ? { aborted: true } : {}),
    };
    if (status >= 500) this.logger.warn(line, 'request');
    else this.logger.info(line, 'request');
  }
}

/** The registered route pattern a request matched, or `unmatched`. */
function routeOf(req: Request): string {
  const path = req.getRoute()?.path;
  return path === undefined ? UNMATCHED_ROUTE : String(path);
}

/** Milliseconds to a tenth: enough for a log, and no long digit runs. */
function roundMs(ms: number): number {
  return Math.round(ms * 10) / 10;
}
