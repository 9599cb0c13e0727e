import { MongoServerError, type Collection, type Db, type MongoClient } from 'mongodb';
import { RateLimiterMemory, RateLimiterMongo, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import { LOCK_SECONDS, MAX_CONSECUTIVE_FAILURES } from '../rules';
import type { DistinctLimit, LimitStore, RollingLimit, Taken, WindowLimit } from './types';

/**
 * The counters of docs/api.md §3, in this process (the in-memory twin) or in MongoDB, where every
 * instance shares them: rolling windows of single uses (sends, recipients, a channel user's
 * lookups), rolling windows counted per second (a company's lookups), distinct members (a
 * conversation's documents), and the failure lock (on `rate-limiter-flexible`).
 */

const seconds = (ms: number) => Math.max(1, Math.ceil(ms / 1000));

/** How long `uses` (times in ms, ascending) hold the next use back at `now`; `0` when one may be taken. */
export function rollingWaitMs(limit: RollingLimit, uses: readonly number[], now: number): number {
  let wait = 0;
  const last = uses.at(-1);
  if (limit.intervalSeconds && last !== undefined) wait = last + limit.intervalSeconds * 1000 - now;
  const inWindow = uses.filter((at) => at > now - limit.windowSeconds * 1000);
  if (inWindow.length >= limit.max) {
    wait = Math.max(wait, inWindow[inWindow.length - limit.max] + limit.windowSeconds * 1000 - now);
  }
  return Math.max(0, wait);
}

/** Uses counted in one second (`s`: seconds since the epoch) of a window limit, and the time of the latest (ms). */
export interface Bucket {
  s: number;
  n: number;
  last: number;
}

const secondOf = (ms: number) => Math.floor(ms / 1000);

/** The buckets a window limit counts at `now`: each whose latest use is within the window, with all its uses. */
const counted = (limit: WindowLimit, buckets: readonly Bucket[], now: number) => buckets.filter((b) => b.last > now - limit.windowSeconds * 1000);

/**
 * How long `buckets` (ascending) hold the next use back at `now`; `0` when one may be counted. Past the
 * limit, the wait lasts until enough of the oldest buckets have left the window to make room for one.
 */
export function windowWaitMs(limit: WindowLimit, buckets: readonly Bucket[], now: number): number {
  const inWindow = counted(limit, buckets, now);
  let total = inWindow.reduce((sum, b) => sum + b.n, 0);
  for (const bucket of inWindow) {
    if (total < limit.max) break;
    total -= bucket.n;
    if (total < limit.max) return bucket.last + limit.windowSeconds * 1000 - now;
  }
  return 0;
}

/** The failure lock: consecutive failures per client, and the 24 h lock they set. */
class FailureLock {
  private readonly failures: RateLimiterAbstract;
  private readonly lock: RateLimiterAbstract;

  constructor(create: (spec: { keyPrefix: string; points: number; duration: number }) => RateLimiterAbstract) {
    // Consecutive failures count until a success (or for a week): they do not lapse with the lock.
    // (Under 24.8 days: the in-memory limiter keeps each count with a timer, and Node's timers go no further.)
    this.failures = create({ keyPrefix: 'confirm_failures', points: MAX_CONSECUTIVE_FAILURES, duration: 7 * 24 * 60 * 60 });
    // The lock itself: present while the client is locked.
    this.lock = create({ keyPrefix: 'confirm_lock', points: 1, duration: LOCK_SECONDS });
  }

  async lockSeconds(client: string): Promise<number> {
    const res = await this.lock.get(client);
    return res && res.msBeforeNext > 0 ? seconds(res.msBeforeNext) : 0;
  }

  async addFailure(client: string): Promise<number> {
    let consumed: number;
    try {
      consumed = (await this.failures.consume(client)).consumedPoints;
    } catch (err) {
      // A rejection is a `RateLimiterRes` when over the limit, an `Error` when the store failed.
      if (!(err instanceof RateLimiterRes)) throw err;
      consumed = err.consumedPoints;
    }
    if (consumed < MAX_CONSECUTIVE_FAILURES) return 0;
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

/** The counters in this process: each method runs to completion without yielding, so each is atomic. */
class MemoryLimits extends FailureLock implements LimitStore {
  /** Each entry is kept until `keepUntil`, when none of its uses counts any more (the sweep's cue). */
  private readonly rolling = new Map<string, { uses: number[]; keepUntil: number }>();
  private readonly windows = new Map<string, { buckets: Bucket[]; keepUntil: number }>();
  private readonly sets = new Map<string, { members: Set<string>; expiresAt: number }>();

  constructor() {
    super((spec) => new RateLimiterMemory(spec));
  }

  async take(limit: RollingLimit, key: string): Promise<Taken> {
    const id = `${limit.name}:${key}`;
    const now = Date.now();
    const uses = (this.rolling.get(id)?.uses ?? []).filter((at) => at > now - limit.windowSeconds * 1000);
    const wait = rollingWaitMs(limit, uses, now);
    if (wait > 0) return { ok: false, waitSeconds: seconds(wait) };
    uses.push(now);
    this.rolling.set(id, { uses, keepUntil: now + Math.max(limit.windowSeconds, limit.intervalSeconds ?? 0) * 1000 });
    return { ok: true, at: new Date(now) };
  }

  async giveBack(limit: RollingLimit, key: string, at: Date): Promise<void> {
    const uses = this.rolling.get(`${limit.name}:${key}`)?.uses;
    const i = uses?.indexOf(at.getTime()) ?? -1;
    if (uses && i >= 0) uses.splice(i, 1);
  }

  async count(limit: WindowLimit, key: string): Promise<number> {
    const id = `${limit.name}:${key}`;
    const now = Date.now();
    const buckets = counted(limit, this.windows.get(id)?.buckets ?? [], now);
    const wait = windowWaitMs(limit, buckets, now);
    if (wait > 0) return seconds(wait);
    const second = secondOf(now);
    const latest = buckets.at(-1);
    if (latest?.s === second) Object.assign(latest, { n: latest.n + 1, last: now });
    else buckets.push({ s: second, n: 1, last: now });
    this.windows.set(id, { buckets, keepUntil: now + limit.windowSeconds * 1000 });
    return 0;
  }

  async addDistinct(limit: DistinctLimit, key: string, member: string): Promise<number> {
    const id = `${limit.name}:${key}`;
    const now = Date.now();
    const set = this.sets.get(id);
    const live = set && set.expiresAt > now ? set : undefined;
    const members = live?.members ?? new Set<string>();
    if (live && !members.has(member) && members.size >= limit.max) return seconds(live.expiresAt - now);
    members.add(member);
    this.sets.set(id, { members, expiresAt: now + limit.keepSeconds * 1000 });
    return 0;
  }

  /** Forgets what no limit looks at any more, each at its own window's end: the in-memory counterpart of the TTL index. */
  sweep(now: number): void {
    for (const entries of [this.rolling, this.windows]) for (const [id, entry] of entries) if (entry.keepUntil <= now) entries.delete(id);
    for (const [id, set] of this.sets) if (set.expiresAt <= now) this.sets.delete(id);
  }

  /** The counters held, by id (`<limit>:<key>`), for tests: what is kept, and that memory is given back. */
  ids(): string[] {
    return [...this.rolling.keys(), ...this.windows.keys(), ...this.sets.keys()];
  }
}

export function createMemoryLimits(): MemoryLimits {
  return new MemoryLimits();
}

export const LIMITS_COLLECTION = 'limits';
export const COUNTERS_COLLECTION = 'counters';

/** The indexes RateLimiterMongo would create for itself, and the counters' TTL (cleaning up only). */
export const limitIndexes = [
  { collection: LIMITS_COLLECTION, key: { key: 1 }, unique: true },
  { collection: LIMITS_COLLECTION, key: { expire: -1 }, expireAfterSeconds: 0 },
  { collection: COUNTERS_COLLECTION, key: { expiresAt: 1 }, expireAfterSeconds: 0 },
] as const;

interface CounterDoc {
  _id: string;
  /** Rolling limits: the times of the last `max` uses, ascending. */
  uses?: Date[];
  /** Window limits: the uses of each of the last seconds, ascending. */
  buckets?: Bucket[];
  /** Distinct limits: the members so far. */
  members?: string[];
  /** When nothing in the document matters any more; a TTL index removes it then. */
  expiresAt: Date;
}

const DUPLICATE_KEY = 11000;
const isDuplicate = (err: unknown) => err instanceof MongoServerError && err.code === DUPLICATE_KEY;

/**
 * The counters in MongoDB, one document per limit and key, each changed by one atomic update whose
 * filter is the limit itself: when the filter does not match, the upsert collides with the existing
 * document (duplicate key), which is the refusal.
 */
class MongoLimits extends FailureLock implements LimitStore {
  private readonly col: Collection<CounterDoc>;

  constructor(client: MongoClient, db: Db) {
    super(
      (spec) =>
        new RateLimiterMongo({ ...spec, storeClient: client, dbName: db.databaseName, tableName: LIMITS_COLLECTION, disableIndexesCreation: true }),
    );
    this.col = db.collection<CounterDoc>(COUNTERS_COLLECTION);
  }

  async take(limit: RollingLimit, key: string): Promise<Taken> {
    const _id = `${limit.name}:${key}`;
    const now = new Date();
    const ago = (s: number) => new Date(now.getTime() - s * 1000);
    try {
      await this.col.updateOne(
        {
          _id,
          ...(limit.intervalSeconds ? { uses: { $not: { $elemMatch: { $gt: ago(limit.intervalSeconds) } } } } : {}),
          // Fewer than `max` kept, or the oldest of the last `max` already out of the window.
          $or: [{ [`uses.${limit.max - 1}`]: { $exists: false } }, { 'uses.0': { $lte: ago(limit.windowSeconds) } }],
        },
        {
          $push: { uses: { $each: [now], $sort: 1, $slice: -limit.max } },
          $set: { expiresAt: new Date(now.getTime() + limit.windowSeconds * 1000) },
        },
        { upsert: true },
      );
      return { ok: true, at: now };
    } catch (err) {
      if (!isDuplicate(err)) throw err;
    }
    const doc = await this.col.findOne({ _id });
    const uses = (doc?.uses ?? []).map((d) => d.getTime());
    return { ok: false, waitSeconds: seconds(rollingWaitMs(limit, uses, Date.now())) };
  }

  async giveBack(limit: RollingLimit, key: string, at: Date): Promise<void> {
    await this.col.updateOne({ _id: `${limit.name}:${key}` }, { $pull: { uses: at } });
  }

  /**
   * One atomic update counts the use in this second's bucket and answers the buckets as they are after
   * it, which decide: within the limit, it stays; past it, it is taken back. Every use that stays saw
   * every earlier one, so no window ever holds more than `max`; concurrent uses past the limit may
   * each refuse the other, never both stay.
   */
  async count(limit: WindowLimit, key: string): Promise<number> {
    const _id = `${limit.name}:${key}`;
    const now = Date.now();
    const s = secondOf(now);
    const expiresAt = new Date(now + limit.windowSeconds * 1000);
    const options = { returnDocument: 'after', projection: { buckets: 1 } } as const;
    const addToBucket = () =>
      this.col.findOneAndUpdate({ _id, 'buckets.s': s }, { $inc: { 'buckets.$.n': 1 }, $max: { 'buckets.$.last': now }, $set: { expiresAt } }, options);
    let doc = await addToBucket();
    if (!doc) {
      try {
        // This second's first use: a new bucket, and only the seconds a window can still count are kept.
        doc = await this.col.findOneAndUpdate(
          { _id, 'buckets.s': { $ne: s } },
          { $push: { buckets: { $each: [{ s, n: 1, last: now }], $sort: { s: 1 }, $slice: -(limit.windowSeconds + 1) } }, $set: { expiresAt } },
          { ...options, upsert: true },
        );
      } catch (err) {
        // Another instance made this second's bucket meanwhile.
        if (!isDuplicate(err)) throw err;
        doc = await addToBucket();
      }
    }
    const before = (doc?.buckets ?? []).map((b) => (b.s === s ? { ...b, n: b.n - 1 } : b));
    const wait = windowWaitMs(limit, before, now);
    if (wait === 0) return 0;
    await this.col.updateOne({ _id, 'buckets.s': s }, { $inc: { 'buckets.$.n': -1 } });
    return seconds(wait);
  }

  async addDistinct(limit: DistinctLimit, key: string, member: string): Promise<number> {
    const _id = `${limit.name}:${key}`;
    const now = new Date();
    // A set already forgotten (its time past, the TTL monitor not yet by) starts afresh.
    await this.col.deleteOne({ _id, expiresAt: { $lte: now } });
    try {
      await this.col.updateOne(
        { _id, $or: [{ members: member }, { [`members.${limit.max - 1}`]: { $exists: false } }] },
        { $addToSet: { members: member }, $set: { expiresAt: new Date(now.getTime() + limit.keepSeconds * 1000) } },
        { upsert: true },
      );
      return 0;
    } catch (err) {
      if (!isDuplicate(err)) throw err;
    }
    const doc = await this.col.findOne({ _id });
    return seconds((doc?.expiresAt.getTime() ?? Date.now()) - Date.now());
  }
}

export function createMongoLimits(client: MongoClient, db: Db): LimitStore {
  return new MongoLimits(client, db);
}
