import { MongoClient, type Db, type MongoClientOptions } from 'mongodb';
import type { CodeRecord, Company, Stores } from './types';
import { databaseStartError } from '../runtime/startError';
import { prepareIndexes, STORE_INDEXES, type IndexChange, type IndexSpec } from './indexes';
import { createMongoLimits } from './limits';
import { CachedCompanyStore } from './companyCache';
import { MongoClientStore, MongoCodeStore, MongoCompanyStore, type ClientDoc } from './mongoStores';
import { MongoValidationStore } from './mongoDelivery';

/** The start on MongoDB: the client's options, the database's name, the indexes, and the stores (mongoStores.ts, mongoDelivery.ts). */

/** The database used when neither `MONGODB_DB` nor the URI names one. */
export const DEFAULT_DB_NAME = 'gsan_email_validation';

/** `dbName`, else the database the URI names, else `DEFAULT_DB_NAME`. */
export function databaseName(uri: string, dbName?: string): string {
  if (dbName) return dbName;
  const path = /^mongodb(?:\+srv)?:\/\/[^/]*\/([^?]*)/.exec(uri)?.[1];
  return path ? decodeURIComponent(path) : DEFAULT_DB_NAME;
}

export interface MongoStoreOptions {
  uri: string;
  /** Database name; when omitted, the one in the URI (or `gsan_email_validation`). */
  dbName?: string;
  /** Upper bound, in ms, of each step of an operation: selecting a server, a pooled connection, connecting, a socket read. */
  timeoutMs: number;
  /** A longer bound for pooled-connection waits and socket reads only (the admin commands' batches). */
  operationTimeoutMs?: number;
  /** Indexes of other collections of the database, checked with the stores' own (the bot's state: bots/stateCollection.ts). */
  moreIndexes?: readonly IndexSpec[];
  /** The client emits `commandStarted` for every command (what the bench and the tests count). */
  monitorCommands?: boolean;
  /** How long a company found is kept (`COMPANY_CACHE_MS` unless a test counting commands needs longer). */
  companyCacheMs?: number;
}

export interface MongoStores extends Stores {
  client: MongoClient;
  db: Db;
  /** How the database's indexes differ from this version's, left for `indices aplicar` (services/store/indexes.ts). */
  indexChanges: IndexChange[];
}

/** Connects, creates the indexes a new database lacks (`prepareIndexes`) and returns the stores. */
export async function createMongoStores(opts: MongoStoreOptions): Promise<MongoStores> {
  // This driver ignores `timeoutMS` (deprecated, "has no effect", and it prints a warning), so each
  // step of an operation is bounded on its own: choosing a server, waiting for a pooled connection,
  // opening one, and every read on its socket. The whole answer is bounded at the door (services/deadline.ts).
  const clientOptions: MongoClientOptions = {
    serverSelectionTimeoutMS: opts.timeoutMs,
    waitQueueTimeoutMS: opts.operationTimeoutMs ?? opts.timeoutMs,
    connectTimeoutMS: opts.timeoutMs,
    // Driver 7 dropped client-side operation timeouts (`timeoutMS`): a socket that stays silent this
    // long fails the operation, which bounds every call on a hung server.
    socketTimeoutMS: opts.operationTimeoutMs ?? opts.timeoutMs,
    maxPoolSize: 50,
    appName: 'gsan-email-validation',
    monitorCommands: opts.monitorCommands ?? false,
  };
  const client = new MongoClient(opts.uri, clientOptions);
  const db = client.db(databaseName(opts.uri, opts.dbName));
  let indexChanges: IndexChange[];
  try {
    // Connecting first: a server that cannot be reached fails here, with the reason the driver saw.
    await client.connect();
    indexChanges = await prepareIndexes(db, [...STORE_INDEXES, ...(opts.moreIndexes ?? [])]);
  } catch (err) {
    await client.close().catch(() => {});
    // What the database, the network or MONGODB_URI's options (an SRV name, a CA file) said is the
    // operator's to fix; a programming error is the service's, not to be passed off as one of those.
    if (err instanceof TypeError || err instanceof ReferenceError || err instanceof RangeError || err instanceof SyntaxError) throw err;
    throw databaseStartError(opts.uri, err);
  }
  const companies = db.collection<Company>('companies');
  const clients = db.collection<ClientDoc>('clients');
  const codes = db.collection<CodeRecord>('codes');
  return {
    client,
    db,
    indexChanges,
    companies: new CachedCompanyStore(new MongoCompanyStore(companies), opts.companyCacheMs),
    clients: new MongoClientStore(clients),
    codes: new MongoCodeStore(codes),
    validations: new MongoValidationStore(clients),
    limits: createMongoLimits(client, db),
    ping: async () => {
      await db.command({ ping: 1 });
    },
    close: () => client.close(),
  };
}
