import { MongoBulkWriteError, type Collection, type Db, type Document, type Filter, type MongoClient, type UpdateFilter, type WriteError } from 'mongodb';
import { RateLimiterMemory, RateLimiterMongo, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import { LOCK_SECONDS, MAX_CONSECUTIVE_FAILURES } from '../domain/rules';
import { isDuplicateKey, isDuplicateKeyWrite } from './duplicateKey';
import type { ClientLock, DistinctLimit, LimitStore, LimitUse, RollingLimit, Taken, WindowLimit } from './types';

/**
 * The counters of docs/api.md §3, in this process (the in-memory twin) or in MongoDB, where every
 * instance shares them: rolling windows of single uses (sends, recipients, a channel user's
 * lookups), rolling windows counted per second (a company's lookups), distinct members (a
 * conversation's documents), and the failure lock (on `rate-limiter-flexible`).
 */

const seconds = (ms: number) => Math.max(1, Math.ceil(ms / 1000));

/** A distinct limit's answer (`0`, or the seconds to wait) as a use taken at `at`, or not. */
const asTaken = (waitSeconds: number, at: Date): Taken => (waitSeconds > 0 ? { ok: false, waitSeconds } : { ok: true, at });

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
function windowWaitMs(limit: WindowLimit, buckets: readonly Bucket[], now: number): number {
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
  protected readonly failures: RateLimiterAbstract;
  protected readonly lock: RateLimiterAbstract;

  constructor(create: (spec: { keyPrefix: string; points: number; duration: number }) => RateLimiterAbstract) {
    // Consecutive failures count until a success (or for a week): they do not lapse with the lock.
    // (Under 24.8 days: the in-memory limiter keeps each count with a timer, and Node's timers go no further.)
    this.failures = create({ keyPrefix: 'confirm_failures', points: MAX_CONSECUTIVE_FAILURES, duration: 7 * 24 * 60 * 60 });
    // The lock itself: present while the client is locked.
    this.lock = create({ keyPrefix: 'confirm_lock', points: 1, duration: LOCK_SECONDS });
  }

  async clientLock(client: string): Promise<ClientLock> {
    const [lock, failures] = await Promise.all([this.lock.get(client), this.failures.get(client)]);
    return { seconds: lock && lock.msBeforeNext > 0 ? seconds(lock.msBeforeNext) : 0, failures: (failures?.consumedPoints ?? 0) > 0 };
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

/** The id of a limit's counter for one key (a client, a mailbox, a conversation…). */
const idOf = (use: { limit: { name: string }; key: string }) => `${use.limit.name}:${use.key}`;

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
    const id = idOf({ limit, key });
    const now = Date.now();
    const uses = (this.rolling.get(id)?.uses ?? []).filter((at) => at > now - limit.windowSeconds * 1000);
    const wait = rollingWaitMs(limit, uses, now);
    if (wait > 0) return { ok: false, waitSeconds: seconds(wait) };
    uses.push(now);
    this.rolling.set(id, { uses, keepUntil: now + Math.max(limit.windowSeconds, limit.intervalSeconds ?? 0) * 1000 });
    return { ok: true, at: new Date(now) };
  }

  async takeAll(uses: readonly LimitUse[]): Promise<Taken[]> {
    const taken: Taken[] = [];
    for (const use of uses) {
      taken.push('member' in use ? asTaken(await this.addDistinct(use.limit, use.key, use.member), new Date()) : await this.take(use.limit, use.key));
    }
    return taken;
  }

  async giveBack(limit: RollingLimit, key: string, at: Date): Promise<void> {
    const uses = this.rolling.get(idOf({ limit, key }))?.uses;
    const i = uses?.indexOf(at.getTime()) ?? -1;
    if (uses && i >= 0) uses.splice(i, 1);
  }

  async count(limit: WindowLimit, key: string): Promise<number> {
    const id = idOf({ limit, key });
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
    const id = idOf({ limit, key });
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

/** Which of the uses one `bulkWrite` refused with a duplicate key (their filter, the limit, did not match): their indexes. */
function refusedUses(err: unknown): Set<number> {
  if (!(err instanceof MongoBulkWriteError)) throw err;
  const errors = ([] as WriteError[]).concat(err.writeErrors);
  if (err.writeConcernError || errors.length === 0 || errors.some((e) => !isDuplicateKeyWrite(e))) throw err;
  return new Set(errors.map((e) => e.index));
}


/**
 * The counters in MongoDB, one document per limit and key, each changed by one atomic update whose
 * filter is the limit itself: when the filter does not match, the upsert collides with the existing
 * document (duplicate key), which is the refusal. Uses counted together go in one `bulkWrite`: one
 * round trip, each update still atomic and decided on its own.
 */
class MongoLimits extends FailureLock implements LimitStore {
  private readonly col: Collection<CounterDoc>;
  private readonly failureCol: Collection<{ key: string; points: number; expire: Date | null }>;

  constructor(client: MongoClient, db: Db) {
    super(
      (spec) =>
        new RateLimiterMongo({ ...spec, storeClient: client, dbName: db.databaseName, tableName: LIMITS_COLLECTION, disableIndexesCreation: true }),
    );
    this.col = db.collection<CounterDoc>(COUNTERS_COLLECTION);
    this.failureCol = db.collection(LIMITS_COLLECTION);
  }

  async take(limit: RollingLimit, key: string): Promise<Taken> {
    return (await this.takeAll([{ limit, key }]))[0];
  }

  async addDistinct(limit: DistinctLimit, key: string, member: string): Promise<number> {
    const [added] = await this.takeAll([{ limit, key, member }]);
    return added.ok ? 0 : added.waitSeconds;
  }

  async takeAll(uses: readonly LimitUse[]): Promise<Taken[]> {
    if (uses.length === 0) return [];
    const now = new Date();
    let refused = new Set<number>();
    try {
      await this.col.bulkWrite(
        uses.map((use) => ({ updateOne: { ...('member' in use ? addMember(use, now) : addUse(use, now)), upsert: true } })),
        { ordered: false },
      );
    } catch (err) {
      refused = refusedUses(err);
    }
    if (refused.size === 0) return uses.map(() => ({ ok: true, at: now }));
    // Only a refusal reads: the uses, or the set's time, that say how long to wait.
    const docs = await this.col.find({ _id: { $in: uses.filter((_, i) => refused.has(i)).map(idOf) } }).toArray();
    const later = Date.now();
    return uses.map((use, i) => {
      if (!refused.has(i)) return { ok: true, at: now };
      const doc = docs.find((d) => d._id === idOf(use));
      const waitMs =
        'member' in use
          ? (doc?.expiresAt.getTime() ?? later) - later
          : rollingWaitMs(use.limit, (doc?.uses ?? []).map((d) => d.getTime()), later);
      return { ok: false, waitSeconds: seconds(waitMs) };
    });
  }

  async giveBack(limit: RollingLimit, key: string, at: Date): Promise<void> {
    await this.col.updateOne({ _id: idOf({ limit, key }) }, { $pull: { uses: at } });
  }

  /**
   * One atomic update counts the use in this second's bucket and answers the buckets as they are after
   * it, which decide: within the limit, it stays; past it, it is taken back. Every use that stays saw
   * every earlier one, so no window ever holds more than `max`; concurrent uses past the limit may
   * each refuse the other, never both stay. A use adds to this second's bucket; the second's first use
   * makes it, and should another use have made it meanwhile, adds to it after all.
   */
  async count(limit: WindowLimit, key: string): Promise<number> {
    const _id = idOf({ limit, key });
    const now = Date.now();
    const s = secondOf(now);
    const expiresAt = new Date(now + limit.windowSeconds * 1000);
    const options = { returnDocument: 'after', projection: { buckets: 1 } } as const;
    const addToBucket = () =>
      this.col.findOneAndUpdate({ _id, 'buckets.s': s }, { $inc: { 'buckets.$.n': 1 }, $max: { 'buckets.$.last': now }, $set: { expiresAt } }, options);
    // A new bucket, and only the seconds a window can still count are kept; `null` when another made it.
    const newBucket = async () => {
      try {
        return await this.col.findOneAndUpdate(
          { _id, 'buckets.s': { $ne: s } },
          { $push: { buckets: { $each: [{ s, n: 1, last: now }], $sort: { s: 1 }, $slice: -(limit.windowSeconds + 1) } }, $set: { expiresAt } },
          { ...options, upsert: true },
        );
      } catch (err) {
        if (!isDuplicateKey(err)) throw err;
        return null;
      }
    };
    const doc = (await addToBucket()) ?? (await newBucket()) ?? (await addToBucket());
    const before = (doc?.buckets ?? []).map((b) => (b.s === s ? { ...b, n: b.n - 1 } : b));
    const wait = windowWaitMs(limit, before, now);
    if (wait === 0) return 0;
    await this.col.updateOne({ _id, 'buckets.s': s }, { $inc: { 'buckets.$.n': -1 } });
    return seconds(wait);
  }

  /** The lock and the failures in one read of their two documents (rate-limiter-flexible's: `key`, `points`, `expire`). */
  override async clientLock(client: string): Promise<ClientLock> {
    const lockKey = this.lock.getKey(client);
    const failuresKey = this.failures.getKey(client);
    const now = Date.now();
    const docs = await this.failureCol.find({ key: { $in: [lockKey, failuresKey] } }, { projection: { _id: 0, key: 1, points: 1, expire: 1 } }).toArray();
    const live = (key: string) => docs.find((d) => d.key === key && (d.expire === null || d.expire.getTime() > now));
    const lock = live(lockKey);
    return {
      seconds: lock?.expire ? seconds(lock.expire.getTime() - now) : 0,
      failures: (live(failuresKey)?.points ?? 0) > 0,
    };
  }
}

/** The update that takes a use of a rolling limit: it matches only while the limit has room. */
function addUse(use: { limit: RollingLimit; key: string }, now: Date): UpdateOp {
  const { limit } = use;
  const ago = (s: number) => new Date(now.getTime() - s * 1000);
  return {
    filter: {
      _id: idOf(use),
      ...(limit.intervalSeconds ? { uses: { $not: { $elemMatch: { $gt: ago(limit.intervalSeconds) } } } } : {}),
      // Fewer than `max` kept, or the oldest of the last `max` already out of the window.
      $or: [{ [`uses.${limit.max - 1}`]: { $exists: false } }, { 'uses.0': { $lte: ago(limit.windowSeconds) } }],
    },
    update: {
      $push: { uses: { $each: [now], $sort: 1, $slice: -limit.max } },
      $set: { expiresAt: new Date(now.getTime() + limit.windowSeconds * 1000) },
    },
  };
}

/**
 * The update that adds a member to a distinct limit's set: it matches while the member is there, the
 * set has room, or the set is forgotten (its time past, the TTL monitor not yet by: it starts afresh).
 * A pipeline, so one update reads the set's time; every value from the caller goes in as a literal.
 */
function addMember(use: { limit: DistinctLimit; key: string; member: string }, now: Date): UpdateOp {
  const { limit, member } = use;
  const kept = { $cond: [{ $gt: ['$expiresAt', { $literal: now }] }, { $ifNull: ['$members', []] }, []] };
  return {
    filter: { _id: idOf(use), $or: [{ expiresAt: { $lte: now } }, { members: member }, { [`members.${limit.max - 1}`]: { $exists: false } }] },
    update: [
      {
        $set: {
          // Not `$setUnion`: the test stand-in stores its result as something array paths do not read.
          members: { $cond: [{ $in: [{ $literal: member }, kept] }, kept, { $concatArrays: [kept, { $literal: [member] }] }] },
          expiresAt: { $literal: new Date(now.getTime() + limit.keepSeconds * 1000) },
        },
      },
    ],
  };
}

/** One counter's update, for `bulkWrite`. */
interface UpdateOp {
  filter: Filter<CounterDoc>;
  update: UpdateFilter<CounterDoc> | Document[];
}
export function createMongoLimits(client: MongoClient, db: Db): LimitStore {
  return new MongoLimits(client, db);
}
