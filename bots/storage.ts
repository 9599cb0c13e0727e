import { randomBytes } from 'node:crypto';
import type { Storage, StoreItem, StoreItems } from 'botbuilder';
import type { Collection, Db } from 'mongodb';
import { isDuplicateKey } from '../services/store/duplicateKey';
import { BOT_STATE_COLLECTION, BOT_STATE_TTL_SECONDS } from './stateCollection';

/**
 * Where botbuilder keeps the conversation state: in MongoDB (bots/stateCollection.ts) when the service
 * has a database, so any instance can serve any turn; otherwise in this process's memory.
 */

interface BotStateDoc {
  _id: string;
  eTag: string;
  /**
   * The item as JSON, the same round trip MemoryStorage makes: dialog state may hold keys with `$`
   * or `.`, which a document field cannot always carry.
   */
  json: string;
  updatedAt: Date;
}

export class StorageConflictError extends Error {
  constructor(key: string) {
    super(`Storage: error writing "${key}" due to eTag conflict.`);
    this.name = 'StorageConflictError';
  }
}

/**
 * botbuilder's `Storage` on the official MongoDB driver, with MemoryStorage's eTag rules: a write
 * without eTag or with `*` always wins; a write with an eTag succeeds only while the stored item
 * still has it (or does not exist); every write gives the item a new eTag.
 */
export class MongoStorage implements Storage {
  constructor(private readonly col: Collection<BotStateDoc>) {}

  /** The storage on `db`; its TTL index (`BOT_STATE_INDEXES`) is checked at start with the stores' (services/store/indexes.ts). */
  static create(db: Db): MongoStorage {
    return new MongoStorage(db.collection<BotStateDoc>(BOT_STATE_COLLECTION));
  }

  async read(keys: string[]): Promise<StoreItems> {
    if (!keys) throw new ReferenceError('Keys are required when reading.');
    const items: StoreItems = {};
    if (keys.length === 0) return items;
    for await (const doc of this.col.find({ _id: { $in: keys } })) {
      items[doc._id] = { ...(JSON.parse(doc.json) as StoreItem), eTag: doc.eTag };
    }
    return items;
  }

  async write(changes: StoreItems): Promise<void> {
    if (!changes) throw new ReferenceError('Changes are required when writing.');
    await Promise.all(Object.entries(changes).map(([key, item]) => this.writeOne(key, item as StoreItem)));
  }

  async delete(keys: string[]): Promise<void> {
    if (!keys) throw new ReferenceError('Keys are required when deleting.');
    if (keys.length === 0) return;
    await this.col.deleteMany({ _id: { $in: keys } });
  }

  private async writeOne(key: string, item: StoreItem): Promise<void> {
    const { eTag, ...state } = item;
    const doc = { eTag: randomBytes(12).toString('hex'), json: JSON.stringify(state), updatedAt: new Date() };
    if (!eTag || eTag === '*') {
      await this.col.replaceOne({ _id: key }, doc, { upsert: true });
      return;
    }
    const updated = await this.col.updateOne({ _id: key, eTag }, { $set: doc });
    if (updated.matchedCount === 1) return;
    // Not there with that eTag: it may not exist at all (then it is created), or another writer won.
    try {
      await this.col.insertOne({ _id: key, ...doc });
    } catch (err) {
      if (isDuplicateKey(err)) throw new StorageConflictError(key);
      throw err;
    }
  }
}

/** How often, at most, the in-memory storage looks for idle items (on a write; no timer of its own). */
const SWEEP_EVERY_MS = 60_000;

/**
 * botbuilder's MemoryStorage with what the TTL index does on MongoDB: an item not written for
 * `ttlSeconds` is removed, so conversations left half-way do not pile up in memory.
 */
export class ExpiringMemoryStorage implements Storage {
  /** botbuilder's MemoryStorage, made at the first use: botbuilder loads with the bot door's first request (bots/lazyDoor.ts). */
  private memory: Storage | undefined;
  /** When each item was last written. */
  private readonly written = new Map<string, number>();
  private lastSweep = Date.now();

  constructor(private readonly ttlSeconds = BOT_STATE_TTL_SECONDS) {}

  async read(keys: string[]): Promise<StoreItems> {
    const expired = keys.filter((key) => this.expired(key, Date.now()));
    if (expired.length > 0) await this.delete(expired);
    return this.storage().read(keys);
  }

  async write(changes: StoreItems): Promise<void> {
    await this.storage().write(changes);
    const now = Date.now();
    for (const key of Object.keys(changes)) this.written.set(key, now);
    if (now - this.lastSweep >= SWEEP_EVERY_MS) await this.sweep(now);
  }

  async delete(keys: string[]): Promise<void> {
    await this.storage().delete(keys);
    for (const key of keys) this.written.delete(key);
  }

  /** Items held, for tests that check memory is given back. */
  size(): number {
    return this.written.size;
  }

  private storage(): Storage {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return (this.memory ??= new (require('botbuilder') as typeof import('botbuilder')).MemoryStorage());
  }

  private expired(key: string, now: number): boolean {
    const at = this.written.get(key);
    return at !== undefined && at <= now - this.ttlSeconds * 1000;
  }

  private async sweep(now: number): Promise<void> {
    this.lastSweep = now;
    await this.delete([...this.written.keys()].filter((key) => this.expired(key, now)));
  }
}

/** MongoDB storage on `database` (the stores' own, on their client), or, without one, memory that forgets idle items. */
export function createBotStorage(database: Db | undefined): Storage {
  return database ? MongoStorage.create(database) : new ExpiringMemoryStorage();
}
