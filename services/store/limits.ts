import type { Db, MongoClient } from 'mongodb';
import { RateLimiterMemory, RateLimiterMongo, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import { LOCK_SECONDS, MAX_CONSECUTIVE_FAILURES, MAX_SENDS_PER_HOUR, SEND_INTERVAL_SECONDS } from '../rules';
import type { LimitStore } from './types';

/**
 * The send limits and the failure lock of CONTRACT §3, on `rate-limiter-flexible`: the same
 * counters in this process (in-memory twin) or in MongoDB, where every instance shares them.
 */

interface LimiterSpec {
  keyPrefix: string;
  points: number;
  duration: number;
}

/**
 * How long failures are remembered, from the first of them, when no success clears them. (Under
 * 24.8 days: the in-memory limiter keeps each count with a timer, and Node's timers go no further.)
 */
const FAILURE_MEMORY_SECONDS = 7 * 24 * 60 * 60;

const SPECS = {
  interval: { keyPrefix: 'send_interval', points: 1, duration: SEND_INTERVAL_SECONDS },
  hourly: { keyPrefix: 'send_hourly', points: MAX_SENDS_PER_HOUR, duration: 60 * 60 },
  // Consecutive failures count until a success (or for a week): they do not lapse with the lock.
  failures: { keyPrefix: 'confirm_failures', points: MAX_CONSECUTIVE_FAILURES, duration: FAILURE_MEMORY_SECONDS },
  // The lock itself: present while the client is locked.
  lock: { keyPrefix: 'confirm_lock', points: 1, duration: LOCK_SECONDS },
} satisfies Record<string, LimiterSpec>;

const seconds = (ms: number) => Math.max(1, Math.ceil(ms / 1000));

/** Rejections of `consume` are `RateLimiterRes` when over the limit, `Error` when the store failed. */
async function consume(limiter: RateLimiterAbstract, key: string): Promise<{ allowed: boolean; res: RateLimiterRes }> {
  try {
    return { allowed: true, res: await limiter.consume(key) };
  } catch (err) {
    if (err instanceof RateLimiterRes) return { allowed: false, res: err };
    throw err;
  }
}

export class RateLimits implements LimitStore {
  private readonly interval: RateLimiterAbstract;
  private readonly hourly: RateLimiterAbstract;
  private readonly failures: RateLimiterAbstract;
  private readonly lock: RateLimiterAbstract;

  constructor(create: (spec: LimiterSpec) => RateLimiterAbstract) {
    this.interval = create(SPECS.interval);
    this.hourly = create(SPECS.hourly);
    this.failures = create(SPECS.failures);
    this.lock = create(SPECS.lock);
  }

  async takeSend(client: string): Promise<number> {
    const interval = await consume(this.interval, client);
    if (!interval.allowed) {
      // Too soon; and the hour's sends may be spent too, which is then the longer wait.
      const hourly = await this.hourly.get(client);
      const hourlyWait = hourly && hourly.remainingPoints <= 0 ? hourly.msBeforeNext : 0;
      return seconds(Math.max(interval.res.msBeforeNext, hourlyWait));
    }
    let hourly: Awaited<ReturnType<typeof consume>>;
    try {
      hourly = await consume(this.hourly, client);
    } catch (err) {
      await this.interval.reward(client, 1).catch(() => {});
      throw err;
    }
    if (!hourly.allowed) {
      // This send does not happen, so it does not hold the next one back a minute either.
      await this.interval.reward(client, 1);
      return seconds(hourly.res.msBeforeNext);
    }
    return 0;
  }

  async returnSend(client: string): Promise<void> {
    await Promise.all([this.interval.reward(client, 1), this.hourly.reward(client, 1)]);
  }

  async lockSeconds(client: string): Promise<number> {
    const res = await this.lock.get(client);
    return res && res.msBeforeNext > 0 ? seconds(res.msBeforeNext) : 0;
  }

  async addFailure(client: string): Promise<number> {
    const { res } = await consume(this.failures, client);
    if (res.consumedPoints < MAX_CONSECUTIVE_FAILURES) return 0;
    // The lock first: should anything fail after it, the client is locked all the same, and should
    // setting it fail, the count stays reached and the next failure tries again.
    await this.lock.set(client, 1, LOCK_SECONDS);
    await this.failures.delete(client);
    return LOCK_SECONDS;
  }

  async clearFailures(client: string): Promise<void> {
    await this.failures.delete(client);
  }
}

export function createMemoryLimits(): LimitStore {
  return new RateLimits((spec) => new RateLimiterMemory(spec));
}

export const LIMITS_COLLECTION = 'limits';

/** The indexes RateLimiterMongo would create for itself, created with the others at start instead. */
export const limitIndexes: [Record<string, 1 | -1>, { unique?: boolean; expireAfterSeconds?: number }][] = [
  [{ key: 1 }, { unique: true }],
  [{ expire: -1 }, { expireAfterSeconds: 0 }],
];

export function createMongoLimits(client: MongoClient, db: Db): LimitStore {
  return new RateLimits(
    (spec) =>
      new RateLimiterMongo({
        ...spec,
        storeClient: client,
        dbName: db.databaseName,
        tableName: LIMITS_COLLECTION,
        disableIndexesCreation: true,
      }),
  );
}
