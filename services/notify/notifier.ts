import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { describeError } from '../logging';
import { atMostEvery } from '../throttle';
import type { ClaimedValidation, Company, DeliveryResult, Stores } from '../store/types';
import { destinationProblem, destinationRules, ForbiddenAddressError, guardedLookup, type DestinationRules } from './destination';
import { post } from './post';
import { decryptSecret } from './secret';
import { signatureHeaders } from './signature';

/**
 * The background worker that tells each company's system about its validations: it leases a
 * client whose next notification is due (services/store: one instance at a time per client, in
 * order), POSTs it signed, and records what came of it. At least once: a receiver may see the same
 * `id` again after a lost answer, never a validation out of its client's order.
 */

/** What a notification says; the receiver's documentation is the README's "Receiving validations". */
export interface NotificationBody {
  id: string;
  tipo: 'email.validado';
  empresa: string;
  cpfCnpj: string;
  email: string;
  validadoEm: string;
  origem: 'webhook' | 'conversa';
}

export interface RetryPolicy {
  /** The first retry waits about this long; each next one twice as long… */
  baseMs: number;
  /** …up to this. */
  maxMs: number;
  /** Retries stop this long after the validation was queued; it is then `failed`. */
  forMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { baseMs: 30_000, maxMs: 60 * 60_000, forMs: 72 * 60 * 60_000 };

export interface NotifierTiming {
  /** Bound of one POST, from connecting to the status line. */
  timeoutMs: number;
  /** How often an idle worker looks for due notifications. */
  pollMs: number;
  /** Deliveries in flight at once in this instance (each to a different client). */
  concurrency: number;
  retry: RetryPolicy;
}

export const DEFAULT_TIMING: NotifierTiming = { timeoutMs: 10_000, pollMs: 1000, concurrency: 4, retry: DEFAULT_RETRY };

export type AttemptOutcome = 'delivered' | 'retry' | 'failed';

export interface NotifierOptions {
  stores: Stores;
  /** `CODE_PEPPER`: the key the signing secrets are encrypted under. */
  pepper: string;
  logger: Logger;
  timing?: Partial<NotifierTiming>;
  /** Each attempt's outcome, for the metrics. */
  onAttempt?: (outcome: AttemptOutcome) => void;
  /** Where notifications may go (the service's database, the resolver); none forbidden besides the fixed ones when omitted. */
  destinations?: DestinationRules;
}

const USER_AGENT = 'gsan-email-validation';
/** Tries to record one result (0.5 s, then 1 s apart), well within the lease. */
const SETTLE_TRIES = 3;

export class ValidationNotifier {
  /** This instance; each lease it takes is held in the name of `<instance>:<random>`, one per claim. */
  readonly instance = randomUUID();
  private readonly timing: NotifierTiming;
  private readonly stopping = new AbortController();
  private lanes: Promise<void>[] = [];
  /**
   * The lanes waiting for work, first to wake first. One looks at each poll, at a `wake()`, or when a
   * lane found some (more may be due): an idle instance costs the database one look per poll, not one
   * per lane, and a backlog still has every lane at work.
   */
  private readonly waiting: (() => void)[] = [];
  private poll: NodeJS.Timeout | undefined;
  /** Whether the last look for work failed: said once, not at every poll. */
  private failing = false;
  /** The companies and their destinations, read once per poll whatever the number of lanes. */
  private readonly destinations: () => Promise<Company[]>;
  private readonly rules: DestinationRules;
  /** Every connection's address checked, whatever the name resolved to when it was configured. */
  private readonly lookup: ReturnType<typeof guardedLookup>;

  constructor(private readonly opts: NotifierOptions) {
    this.timing = { ...DEFAULT_TIMING, ...opts.timing };
    this.rules = opts.destinations ?? destinationRules(undefined);
    this.lookup = guardedLookup(this.rules.resolve);
    this.destinations = atMostEvery(this.timing.pollMs, async () => (await opts.stores.companies.list()).filter((c) => c.notification));
  }

  start(): void {
    // The first lane looks at once; the others when there is work.
    this.lanes = Array.from({ length: this.timing.concurrency }, (_, i) => this.lane(i === 0));
    this.poll = setInterval(() => this.wake(), this.timing.pollMs);
  }

  /** Has a waiting lane look for work now rather than at the next poll (a validation was just recorded). */
  wake(): void {
    this.waiting.shift()?.();
  }

  /** Stops looking for work; deliveries in flight are cut, and their validations left to be retried. */
  async stop(): Promise<void> {
    this.stopping.abort();
    clearInterval(this.poll);
    for (const resolve of this.waiting.splice(0)) resolve();
    await Promise.all(this.lanes);
  }

  private async lane(looksFirst: boolean): Promise<void> {
    if (!looksFirst) await this.idle();
    while (!this.stopping.signal.aborted) {
      let worked = false;
      try {
        worked = await this.deliverNext();
        if (this.failing) this.opts.logger.info({ event: 'notification' }, 'notification worker: working again');
        this.failing = false;
      } catch (err) {
        // The database failing, most likely (the error says): the lease, if one was taken, lapses and the validation is tried again.
        if (!this.failing) {
          this.opts.logger.warn({ event: 'notification', error: describeError(err) }, 'notification worker failed; trying again at every poll');
        }
        this.failing = true;
      }
      if (!worked) await this.idle();
    }
  }

  private idle(): Promise<void> {
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  /** Delivers one due notification; `false` when none was due. */
  private async deliverNext(): Promise<boolean> {
    const { stores } = this.opts;
    const companies = await this.destinations();
    if (companies.length === 0 || this.stopping.signal.aborted) return false;
    const now = new Date();
    // The lease outlasts the longest attempt, so it only lapses when this instance died mid-way.
    const leaseUntil = new Date(now.getTime() + 2 * this.timing.timeoutMs + 5000);
    const claim = await stores.validations.claim(companies.map((c) => c.sigla), now, `${this.instance}:${randomUUID()}`, leaseUntil);
    if (!claim) return false;
    this.wake();
    const company = companies.find((c) => c.sigla === claim.companyId)!;
    const result = await this.attempt(company, claim);
    if (result.kind !== 'release') this.opts.onAttempt?.(result.kind);
    const kept = await this.settle(claim, result);
    if (result.kind !== 'release') {
      const detail = result.kind === 'delivered' ? {} : { error: result.error, ...(result.kind === 'retry' ? { retryAt: result.at } : {}) };
      const line = { event: 'notification', company: company.sigla, eventId: claim.validation.eventId, result: result.kind, attempt: claim.validation.attempts + 1, ...detail };
      if (!kept) this.opts.logger.warn(line, 'notification: lease lost before its result was recorded (it will be sent again, unless it was erased)');
      else if (result.kind === 'delivered') this.opts.logger.info(line, 'notification delivered');
      else this.opts.logger.warn(line, result.kind === 'failed' ? 'notification failed for good' : 'notification not delivered, will retry');
    }
    return true;
  }

  /**
   * Records a result, trying again a few times over a database hiccup: one lost here means the
   * lease lapses and the validation is sent again.
   */
  private async settle(claim: ClaimedValidation, result: DeliveryResult): Promise<boolean> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.opts.stores.validations.settle(claim, result, new Date());
      } catch (err) {
        if (attempt >= SETTLE_TRIES) throw err;
        await new Promise((resolve) => setTimeout(resolve, attempt * 500));
      }
    }
  }

  /** One POST of `claim` to its company's destination, and what it came to. */
  private async attempt(company: Company, claim: ClaimedValidation): Promise<DeliveryResult> {
    const target = company.notification!;
    const problem = destinationProblem(target.url, this.rules.database);
    if (problem) return { kind: 'failed', error: `destino inválido: ${problem}` };
    let secret: string;
    try {
      secret = decryptSecret(target.secret, this.opts.pepper);
    } catch {
      return { kind: 'failed', error: 'segredo de assinatura ilegível (CODE_PEPPER mudou?): configure a notificação de novo' };
    }
    const { validation: v } = claim;
    const payload: NotificationBody = {
      id: v.eventId,
      tipo: 'email.validado',
      empresa: company.sigla,
      cpfCnpj: claim.document,
      email: v.email,
      validadoEm: v.validatedAt.toISOString(),
      origem: v.origin,
    };
    const body = JSON.stringify(payload);
    const signal = AbortSignal.any([AbortSignal.timeout(this.timing.timeoutMs), this.stopping.signal]);
    try {
      const headers = {
        'content-type': 'application/json',
        'user-agent': USER_AGENT,
        ...signatureHeaders(secret, v.eventId, Math.floor(Date.now() / 1000), body),
      };
      // Only the configured address: a redirect is not followed.
      const answer = await post(target.url, body, { headers, signal, lookup: this.lookup });
      return this.judge(claim, answer.status, answer.retryAfter);
    } catch (err) {
      if (this.stopping.signal.aborted) return { kind: 'release' };
      // The name now resolves somewhere forbidden: refused, as at configuration.
      if (err instanceof ForbiddenAddressError) return { kind: 'failed', error: `destino inválido: ${err.message}` };
      return this.retryOrFail(claim, signal.aborted ? 'tempo esgotado' : networkError(err));
    }
  }

  /** 2xx delivered; 408, 429 and 5xx retried; anything else refused for good. */
  private judge(claim: ClaimedValidation, status: number, retryAfter: string | null): DeliveryResult {
    if (status >= 200 && status < 300) return { kind: 'delivered' };
    const error = `HTTP ${status}`;
    if (status === 408 || status === 429 || status >= 500) return this.retryOrFail(claim, error, retryAfterMs(retryAfter));
    return { kind: 'failed', error: status >= 300 && status < 400 ? `${error} (redirecionamento não seguido)` : error };
  }

  /** The next try, after an exponential, jittered wait (no sooner than `atLeastMs`), or failure once the retry period is over. */
  private retryOrFail(claim: ClaimedValidation, error: string, atLeastMs = 0): DeliveryResult {
    const { baseMs, maxMs, forMs } = this.timing.retry;
    const v = claim.validation;
    const backoff = Math.min(maxMs, baseMs * 2 ** Math.min(v.attempts, 30));
    // "Equal jitter": half the wait fixed, half random, so instances that failed together spread out.
    const wait = Math.min(maxMs, Math.max(atLeastMs, backoff / 2 + Math.random() * (backoff / 2)));
    const at = new Date(Date.now() + wait);
    const queuedAt = v.queuedAt ?? v.validatedAt;
    if (at.getTime() > queuedAt.getTime() + forMs) {
      const period = forMs >= 3_600_000 ? `${Math.round(forMs / 3_600_000)} h` : `${Math.max(1, Math.round(forMs / 60_000))} min`;
      return { kind: 'failed', error: `${error}; sem sucesso por ${period}` };
    }
    return { kind: 'retry', at, error };
  }
}

/** `Retry-After` in seconds (dates are not worth trusting across clocks); 0 when absent or not a number. */
function retryAfterMs(header: string | null): number {
  const seconds = Number(header);
  return header && Number.isFinite(seconds) && seconds > 0 ? seconds * 1000 : 0;
}

/** What went wrong on the way, in a few words and the system's code: never a response body. */
function networkError(err: unknown): string {
  const cause = (err as { cause?: { code?: string } }).cause;
  const code = cause?.code ?? (err as { code?: string }).code;
  switch (code) {
    case 'ECONNREFUSED':
      return 'conexão recusada';
    case 'ECONNRESET':
    case 'UND_ERR_SOCKET':
      return 'conexão interrompida';
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return 'nome do servidor não encontrado';
    default:
      return code ? `falha de rede (${code})` : 'falha de rede';
  }
}
