import { MongoClient, type Collection, type Db, type MongoClientOptions } from 'mongodb';
import {
  DuplicateError,
  type Backlog,
  type ClaimedValidation,
  type Client,
  type ClientStore,
  type CodeKey,
  type CodeRecord,
  type CodeStore,
  type Company,
  type CompanyStore,
  type DeliveryResult,
  type ExportRow,
  type NotificationSecrets,
  type NotificationTarget,
  type Stores,
  type UpsertCounts,
  type ValidationRecord,
  type ValidationStore,
} from './types';
import { emailKeyOf, keepsValidationExpr, keyOpensFilter, liveFilter, mayMarkValidatedFilter } from './storeRules';
import { BACKLOG_STATES, backlogTotals, pendingInOrder, periodCondition, requeuableConditions, requeueChange, rowsInPeriod, settled, type BacklogCount } from '../validations';
import { databaseStartError } from '../startError';
import { prepareIndexes, STORE_INDEXES, type IndexChange, type IndexSpec } from './indexes';
import { createMongoLimits } from './limits';
import { CachedCompanyStore } from './companyCache';
import { isDuplicateKey } from './duplicateKey';

/**
 * The MongoDB stores, on the official driver. Rules that matter (expiry, attempts, single use)
 * are in the query filters themselves; the TTL index on `expiresAt` only cleans up.
 */

/**
 * A client, with its validations and their delivery: `deliveryDue` is set while some validation's
 * notification is pending (when the next one may be attempted: what the workers look for), and
 * `deliveryLease` while an instance is delivering one.
 */
type ClientDoc = Client & {
  emailKey: string | null;
  validations?: ValidationRecord[];
  deliveryDue?: Date;
  deliveryLease?: { owner: string; until: Date };
  /** Bumped by every write that adds or re-queues validations (see `MongoValidationStore`). */
  deliveryVersion?: number;
};

/** What a client is to the rest of the service: not its validations, nor their delivery. */
const CLIENT_FIELDS = { projection: { _id: 0, companyId: 1, document: 1, nome: 1, email: 1, emailValidatedAt: 1 } } as const;

function rethrowDuplicate(err: unknown, what: string): never {
  if (isDuplicateKey(err)) throw new DuplicateError(what);
  throw err;
}

const NO_ID = { projection: { _id: 0 } } as const;

export class MongoCompanyStore implements CompanyStore {
  constructor(private readonly col: Collection<Company>) {}

  findByKeyHash(keyHash: string): Promise<Company | null> {
    return this.col.findOne(keyOpensFilter(keyHash, new Date()), NO_ID);
  }

  findBySigla(sigla: string): Promise<Company | null> {
    return this.col.findOne({ sigla }, NO_ID);
  }

  async insert(company: Company): Promise<void> {
    try {
      await this.col.insertOne({ ...company });
    } catch (err) {
      rethrowDuplicate(err, `Empresa ${company.sigla}`);
    }
  }

  async setKeyHash(sigla: string, keyHash: string, keepPreviousUntil?: Date): Promise<boolean> {
    try {
      // One update reads the key it replaces: the previous hash is the one stored at that moment.
      const r = await this.col.updateOne({ sigla }, [
        {
          $set: {
            previousKeyHash: keepPreviousUntil ? '$keyHash' : null,
            previousKeyUntil: { $literal: keepPreviousUntil ?? null },
            keyHash: { $literal: keyHash },
          },
        },
      ]);
      return r.matchedCount === 1;
    } catch (err) {
      rethrowDuplicate(err, 'Chave');
    }
  }

  async setNotification(sigla: string, notification: NotificationTarget | null, keepPreviousUntil?: Date): Promise<boolean> {
    const target = notification && { url: notification.url, secret: notification.secret, configuredAt: notification.configuredAt };
    if (!target || !keepPreviousUntil) {
      const r = await this.col.updateOne({ sigla }, { $set: { notification: target } });
      return r.matchedCount === 1;
    }
    // One update reads the secret it replaces, as setKeyHash reads the key: the one stored at that moment.
    const kept = { $ifNull: ['$notification.secret', null] };
    const r = await this.col.updateOne({ sigla }, [
      {
        $set: {
          notification: {
            url: { $literal: target.url },
            secret: { $literal: target.secret },
            configuredAt: { $literal: target.configuredAt },
            previousSecret: kept,
            previousSecretUntil: { $cond: [{ $eq: [kept, null] }, null, { $literal: keepPreviousUntil }] },
          },
        },
      },
    ]);
    return r.matchedCount === 1;
  }

  async replaceSecrets(sigla: string, from: NotificationSecrets, to: NotificationSecrets): Promise<boolean> {
    const r = await this.col.updateOne(
      { sigla, 'notification.secret': from.secret, 'notification.previousSecret': from.previousSecret ?? null },
      {
        $set: {
          'notification.secret': to.secret,
          'notification.previousSecret': to.previousSecret ?? null,
          'notification.previousSecretUntil': to.previousSecretUntil ?? null,
        },
      },
    );
    return r.matchedCount === 1;
  }

  list(): Promise<Company[]> {
    return this.col.find({}, NO_ID).sort({ sigla: 1 }).toArray();
  }
}

export class MongoClientStore implements ClientStore {
  constructor(private readonly col: Collection<ClientDoc>) {}

  find(companyId: string, document: string): Promise<Client | null> {
    return this.col.findOne({ companyId, document }, CLIENT_FIELDS);
  }

  async upsertMany(clients: readonly Omit<Client, 'emailValidatedAt'>[]): Promise<UpsertCounts> {
    if (clients.length === 0) return { inserted: 0, updated: 0 };
    const ops = clients.map((c) => {
      const key = emailKeyOf(c.email);
      return {
        updateOne: {
          filter: { companyId: c.companyId, document: c.document },
          // A pipeline update reads a string that starts with `$` as a field path: every value from
          // the caller goes in as a literal.
          update: [
            {
              $set: {
                companyId: { $literal: c.companyId },
                document: { $literal: c.document },
                nome: { $literal: c.nome },
                email: { $literal: c.email },
                emailValidatedAt: { $cond: [keepsValidationExpr(key), '$emailValidatedAt', null] },
                emailKey: { $literal: key },
              },
            },
          ],
          upsert: true,
        },
      };
    });
    const r = await this.col.bulkWrite(ops, { ordered: false });
    return { inserted: r.upsertedCount, updated: r.matchedCount };
  }

  async markEmailValidated(companyId: string, document: string, validation: ValidationRecord): Promise<Client | null> {
    // One update: the email is never validated without its record, nor the record kept without it.
    return this.col.findOneAndUpdate(
      { companyId, document, ...mayMarkValidatedFilter(validation.email) },
      {
        $set: { email: validation.email, emailKey: emailKeyOf(validation.email), emailValidatedAt: validation.validatedAt },
        $push: { validations: validation },
        $inc: { deliveryVersion: 1 },
        ...(validation.nextAttemptAt ? { $min: { deliveryDue: validation.nextAttemptAt } } : {}),
      },
      { returnDocument: 'after', ...CLIENT_FIELDS },
    );
  }

  async forget(companyId: string, document: string): Promise<{ email: string | null; validations: ValidationRecord[] } | null> {
    const before = await this.col.findOneAndUpdate(
      { companyId, document },
      {
        $set: { email: null, emailKey: null, emailValidatedAt: null, validations: [] },
        $unset: { deliveryDue: '', deliveryLease: '' },
        $inc: { deliveryVersion: 1 },
      },
      { returnDocument: 'before', projection: { _id: 0, email: 1, validations: 1 } },
    );
    return before ? { email: before.email, validations: before.validations ?? [] } : null;
  }
}

export class MongoValidationStore implements ValidationStore {
  constructor(private readonly col: Collection<ClientDoc>) {}

  /*
   * `deliveryDue` may be early, never late: moving it earlier (`$min`, or "due now") is always safe,
   * since a claim looks at the validations themselves; moving it later, or removing it, is done only
   * when `deliveryVersion` says the validations are as the claim read them. Every write that adds or
   * re-queues a validation bumps the version.
   */

  async claim(companyIds: readonly string[], now: Date, owner: string, leaseUntil: Date): Promise<ClaimedValidation | null> {
    // A client whose next validation is not yet due (or with none) has its `deliveryDue` set right and
    // the claim tries the next one, as the in-memory store looks past it: each try takes one client out
    // of the running (set right, or skipped when a write changed it meanwhile), so the loop ends.
    const skipped: { companyId: string; document: string }[] = [];
    for (;;) {
      const doc = await this.col.findOneAndUpdate(
        {
          companyId: { $in: [...companyIds] },
          deliveryDue: { $lte: now },
          'deliveryLease.until': { $not: { $gt: now } },
          ...(skipped.length ? { $nor: skipped } : {}),
        },
        { $set: { deliveryLease: { owner, until: leaseUntil } } },
        { sort: { deliveryDue: 1 }, returnDocument: 'after', projection: { _id: 0, companyId: 1, document: 1, validations: 1, deliveryVersion: 1 } },
      );
      if (!doc) return null;
      const { companyId, document } = doc;
      // Always set where there are validations; a document without one only ever takes the safe paths below.
      const version = doc.deliveryVersion ?? -1;
      const [next, following] = pendingInOrder(doc.validations ?? []);
      if (next?.nextAttemptAt && next.nextAttemptAt <= now) {
        // The token lets the result set `deliveryDue` right (`settle`).
        return { companyId, document, owner, validation: next, token: { version, following: following?.nextAttemptAt ?? null } };
      }
      // Due too early (a newer validation was queued while the next one waits for its retry), or
      // nothing pending: set it right, unless something changed since the read.
      const leased = { companyId, document, 'deliveryLease.owner': owner };
      const corrected = await this.col.updateOne(
        { ...leased, deliveryVersion: version },
        next?.nextAttemptAt
          ? { $set: { deliveryDue: next.nextAttemptAt }, $unset: { deliveryLease: '' } }
          : { $unset: { deliveryDue: '', deliveryLease: '' } },
      );
      if (corrected.matchedCount === 0) {
        await this.col.updateOne(leased, { $unset: { deliveryLease: '' } });
        skipped.push({ companyId, document });
      }
    }
  }

  async settle(claim: ClaimedValidation, result: DeliveryResult, now: Date): Promise<boolean> {
    const read = claim.token ?? { version: -1, following: null };
    const record = settled(claim.validation, result, now);
    const leased = { companyId: claim.companyId, document: claim.document, 'deliveryLease.owner': claim.owner, 'validations.eventId': record.eventId };
    if (result.kind === 'release') return (await this.col.updateOne(leased, { $unset: { deliveryLease: '' } })).matchedCount === 1;
    // This one waits for its retry and holds the others back; or the next one is due; or none is left.
    const due = record.delivery === 'pending' ? record.nextAttemptAt : read.following;
    const exact = await this.col.updateOne(
      { ...leased, deliveryVersion: read.version },
      due
        ? { $set: { 'validations.$': record, deliveryDue: due }, $unset: { deliveryLease: '' } }
        : { $set: { 'validations.$': record }, $unset: { deliveryDue: '', deliveryLease: '' } },
    );
    if (exact.matchedCount === 1) return true;
    // Validations were added or re-queued meanwhile (or the lease was lost): due now, for the next claim to look.
    const r = await this.col.updateOne(leased, { $set: { 'validations.$': record, deliveryDue: now }, $unset: { deliveryLease: '' } });
    return r.matchedCount === 1;
  }

  async backlog(): Promise<Backlog[]> {
    const groups = await this.col
      .aggregate<{ _id: Pick<BacklogCount, 'companyId' | 'delivery'>; count: number; oldest: Date | null }>([
        { $match: { 'validations.delivery': { $in: [...BACKLOG_STATES] } } },
        { $unwind: '$validations' },
        { $match: { 'validations.delivery': { $in: [...BACKLOG_STATES] } } },
        {
          $group: {
            _id: { companyId: '$companyId', delivery: '$validations.delivery' },
            count: { $sum: 1 },
            oldest: { $min: '$validations.queuedAt' },
          },
        },
      ])
      .toArray();
    return backlogTotals(groups.map((g) => ({ ...g._id, count: g.count, oldest: g.oldest })));
  }

  async requeue(companyId: string, since: Date, until: Date, now: Date): Promise<number> {
    const match = requeuableConditions(since, until);
    const [counted] = await this.col
      .aggregate<{ count: number }>([
        { $match: { companyId, validations: { $elemMatch: match } } },
        { $unwind: '$validations' },
        { $match: { 'validations.delivery': match.delivery, 'validations.validatedAt': match.validatedAt } },
        { $count: 'count' },
      ])
      .toArray();
    if (!counted) return 0;
    // The change of `requeued()`, made in the database on every element that matches. The field the
    // array filter reads goes last, so the update holds even where the filter is re-read per field.
    const change = Object.entries(requeueChange(now)).map(([field, value]) => [`validations.$[v].${field}`, value] as const);
    await this.col.updateMany(
      { companyId, validations: { $elemMatch: match } },
      {
        $set: Object.fromEntries(change),
        $min: { deliveryDue: now },
        $inc: { deliveryVersion: 1 },
      },
      { arrayFilters: [{ 'v.delivery': match.delivery, 'v.validatedAt': match.validatedAt }] },
    );
    return counted.count;
  }

  async list(companyId: string, document: string): Promise<ValidationRecord[]> {
    const doc = await this.col.findOne({ companyId, document }, { projection: { _id: 0, validations: 1 } });
    return doc?.validations ?? [];
  }

  async *exportRows(companyId: string, since: Date, until: Date): AsyncIterable<ExportRow> {
    // A plain cursor, fetched a batch at a time as the rows are consumed: no server-side sort to
    // buffer, and no more than one batch of clients held here.
    const cursor = this.col.find(
      { companyId, 'validations.validatedAt': periodCondition(since, until) },
      { projection: { _id: 0, document: 1, 'validations.email': 1, 'validations.validatedAt': 1 }, batchSize: EXPORT_BATCH },
    );
    for await (const doc of cursor) yield* rowsInPeriod(doc.document, doc.validations ?? [], since, until);
  }
}

/** Clients fetched per round trip of an export. */
const EXPORT_BATCH = 1000;

export class MongoCodeStore implements CodeStore {
  constructor(private readonly col: Collection<CodeRecord>) {}

  async replace(record: CodeRecord): Promise<void> {
    const { companyId, document, email } = record;
    await this.col.replaceOne({ companyId, document, email }, { ...record }, { upsert: true });
  }

  findLive(key: CodeKey, now: Date, maxAttempts: number): Promise<CodeRecord | null> {
    return this.col.findOne(liveFilter(key, now, maxAttempts), NO_ID);
  }

  async consume(key: CodeKey, codeHash: string, now: Date, maxAttempts: number): Promise<boolean> {
    const r = await this.col.deleteOne({ ...liveFilter(key, now, maxAttempts), codeHash });
    return r.deletedCount === 1;
  }

  async addWrongAttempt(key: CodeKey, codeHash: string, now: Date, maxAttempts: number): Promise<number | null> {
    const doc = await this.col.findOneAndUpdate(
      { ...liveFilter(key, now, maxAttempts), codeHash },
      { $inc: { attempts: 1 } },
      { returnDocument: 'after', projection: { attempts: 1 } },
    );
    return doc ? doc.attempts : null;
  }

  async expiries(companyId: string, document: string): Promise<Date[]> {
    const docs = await this.col.find({ companyId, document }, { projection: { _id: 0, expiresAt: 1 } }).toArray();
    return docs.map((d) => d.expiresAt);
  }

  async removeAll(companyId: string, document: string): Promise<number> {
    return (await this.col.deleteMany({ companyId, document })).deletedCount;
  }
}

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
