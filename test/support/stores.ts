import { randomBytes } from 'node:crypto';
import { MongoClient } from 'mongodb';
import { createMemoryStores } from '../../services/store/memory';
import { createMongoStores, type MongoStores } from '../../services/store/mongo';
import type { Stores } from '../../services/store/types';

/**
 * Which stores the suites run on. `STORE=mongo` (with `MONGODB_URI`) runs the webhook, confirm,
 * conversation, skill and ops suites on MongoDB; otherwise they run on the in-memory twin. The
 * store contract suite runs on every store that is available (see test/stores/harness.ts).
 */
export const STORE: 'memory' | 'mongo' = process.env.STORE === 'mongo' ? 'mongo' : 'memory';

if (STORE === 'mongo' && !process.env.MONGODB_URI) {
  throw new Error('STORE=mongo needs MONGODB_URI: any MongoDB, in which each test makes and drops a database of its own');
}

/** A database of its own for each app or store a test opens, dropped when it closes. */
export function testDatabaseName(): string {
  return `gsan_test_${randomBytes(6).toString('hex')}`;
}

/** The same pepper on every instance of a test that shares a database. */
export const TEST_PEPPER = 'test-pepper-test-pepper-test-pepper-0123';

/**
 * The environment that points an app at MongoDB (a fresh database) when the suite runs on it,
 * or nothing on the in-memory store. Variables the test sets itself win.
 */
export function storeEnv(): Record<string, string> {
  if (STORE === 'memory') return {};
  return {
    MONGODB_URI: process.env.MONGODB_URI!,
    MONGODB_DB: testDatabaseName(),
    CODE_PEPPER: TEST_PEPPER,
    SEED_DEMO: 'true',
    // The suites play the channel on loopback, without credentials.
    ALLOW_ANONYMOUS_BOT: 'true',
  };
}

/** Drops a database that processes of a test used (each service drops nothing itself). */
export async function dropTestDatabase(name: string, uri = process.env.MONGODB_URI!): Promise<void> {
  const client = new MongoClient(uri);
  try {
    await client.db(name).dropDatabase();
  } finally {
    await client.close();
  }
}

/** Fresh, empty stores of the suite's kind; `close()` drops a MongoDB database too. */
export async function openTestStores(): Promise<Stores> {
  if (STORE === 'memory') return createMemoryStores();
  return dropOnClose(await createMongoStores({ uri: process.env.MONGODB_URI!, dbName: testDatabaseName(), timeoutMs: 4000 }));
}

/** Makes `close()` drop the test database before closing the client. */
export function dropOnClose(stores: Stores): Stores {
  const mongo = asMongo(stores);
  if (!mongo) return stores;
  const close = mongo.close.bind(mongo);
  mongo.close = async () => {
    await mongo.db.dropDatabase();
    await close();
  };
  return mongo;
}

/** How many codes are stored, live or not: what a test checks to prove nothing was left behind. */
export async function storedCodes(stores: Stores): Promise<number> {
  const mongo = asMongo(stores);
  if (mongo) return mongo.db.collection('codes').countDocuments();
  return (stores as ReturnType<typeof createMemoryStores>).codes.size();
}

/** The ids of every limit counter held (`<limit>:<key>`): what a test checks to prove what a counter keeps. */
export async function limitCounterIds(stores: Stores): Promise<string[]> {
  const mongo = asMongo(stores);
  if (!mongo) return (stores as ReturnType<typeof createMemoryStores>).limits.ids();
  const counters = await mongo.db.collection<{ _id: string }>('counters').find({}, { projection: { _id: 1 } }).toArray();
  const limits = await mongo.db.collection<{ key: string }>('limits').find({}, { projection: { key: 1 } }).toArray();
  return [...counters.map((d) => d._id), ...limits.map((d) => d.key)];
}

function asMongo(stores: Stores): MongoStores | undefined {
  return 'db' in stores ? (stores as MongoStores) : undefined;
}

/**
 * One store for several app instances, as behind a load balancer: `open()` gives each instance its
 * own handle (its own MongoDB client on one database; on the in-memory store, the one instance all
 * share), which the instance closes; `dispose()` drops the database once every instance is done.
 */
export async function sharedStore(): Promise<{ open(): Promise<Stores>; dispose(): Promise<void> }> {
  if (STORE === 'memory') {
    const stores = createMemoryStores();
    return { open: async () => stores, dispose: () => stores.close() };
  }
  const dbName = testDatabaseName();
  return {
    open: () => createMongoStores({ uri: process.env.MONGODB_URI!, dbName, timeoutMs: 4000 }),
    dispose: () => dropTestDatabase(dbName),
  };
}
