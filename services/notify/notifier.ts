import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { atMostEvery } from '../runtime/throttle';
import type { ClaimedValidation, Company, DeliveryResult, Stores } from '../store/types';
import { attemptDelivery, type AttemptSettings } from './attempt';
import { destinationRules, guardedLookup, type DestinationRules } from './destination';
import { attemptLine, failingLine, workingAgainLine, type LogLine } from './logLines';
import { DEFAULT_RETRY, retryOrFail, type RetryPolicy } from './retry';
import { secretsInUse } from './secret';

/**
 * The background worker that tells each company's system about its validations: each of its lanes
 * leases a client whose next notification is due (services/store: one instance at a time per
 * client, in order), has it POSTed (attempt.ts), judged (judge.ts) and, when not taken, scheduled
 * again (retry.ts), and records what came of it. At least once: a receiver may see the same `id`
 * again after a lost answer, never a validation out of its client's order.
 */

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
  /** `CODE_PEPPER_FALLBACK`, during its rotation: secrets still encrypted under it are read too. */
  fallbackPepper?: string;
  logger: Logger;
  timing?: Partial<NotifierTiming>;
  /** Each attempt's outcome, for the metrics. */
  onAttempt?: (outcome: AttemptOutcome) => void;
  /** Where notifications may go (the service's database, the resolver); none forbidden besides the fixed ones when omitted. */
  destinations?: DestinationRules;
}

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
  /** What every attempt needs besides its claim. */
  private readonly attempts: AttemptSettings;

  constructor(private readonly opts: NotifierOptions) {
    this.timing = { ...DEFAULT_TIMING, ...opts.timing };
    const rules = opts.destinations ?? destinationRules(undefined);
    this.attempts = {
      pepper: opts.pepper,
      fallbackPepper: opts.fallbackPepper,
      database: rules.database,
      lookup: guardedLookup(rules.resolve),
      timeoutMs: this.timing.timeoutMs,
      stopping: this.stopping.signal,
    };
    this.destinations = atMostEvery(this.timing.pollMs, async () => {
      const companies = (await opts.stores.companies.list()).filter((c) => c.notification);
      await this.dropExpiredSecrets(companies, new Date());
      return companies;
    });
  }

  /** A secret kept by `--manter-anterior` leaves the database once its time is over, not only the signatures. */
  private async dropExpiredSecrets(companies: Company[], now: Date): Promise<void> {
    for (const { sigla, notification: n } of companies) {
      if (!n?.previousSecret || secretsInUse(n, now).includes(n.previousSecret)) continue;
      // Compared with what was read: a destination changed meanwhile is left as it is now.
      await this.opts.stores.companies.replaceSecrets(sigla, n, { secret: n.secret, previousSecret: null, previousSecretUntil: null });
    }
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
        if (this.failing) this.log(workingAgainLine());
        this.failing = false;
      } catch (err) {
        // The lease, if one was taken, lapses and the validation is tried again.
        if (!this.failing) this.log(failingLine(err));
        this.failing = true;
      }
      if (!worked) await this.idle();
    }
  }

  /** Waits for a wake; not at all once stopping (a lane that was looking when `stop()` came would wait forever). */
  private idle(): Promise<void> {
    if (this.stopping.signal.aborted) return Promise.resolve();
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
    const verdict = await attemptDelivery(company, claim, this.attempts);
    const result: DeliveryResult =
      verdict.kind === 'retry' ? retryOrFail(this.timing.retry, claim.validation, verdict.error, new Date(), Math.random(), verdict.atLeastMs) : verdict;
    if (result.kind !== 'release') this.opts.onAttempt?.(result.kind);
    const kept = await this.settle(claim, result);
    if (result.kind !== 'release') this.log(attemptLine(company.sigla, claim, result, kept));
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

  private log({ level, fields, message }: LogLine): void {
    this.opts.logger[level](fields, message);
  }
}
