import { MongoClient, MongoServerError, type Db, type IndexDescription } from 'mongodb';
import { limitIndexes } from './limits';

/**
 * The indexes the MongoDB stores rely on, and the two ways a database is brought to them.
 *
 * - At every start (`prepareIndexes`), only what costs nothing: an index missing on a collection
 *   that does not exist yet or holds no document is created (a new database gets every index so).
 *   Nothing else is changed: other instances may be serving from the indexes there, and a build over
 *   existing documents takes time and load. What differs is answered, for the start to say it.
 * - On the operator's command (`npx gsan-email-admin indices aplicar`: `applyIndexes`), everything:
 *   missing indexes built, a TTL changed in place (`collMod`), and an index whose other options
 *   changed dropped and built again (MongoDB refuses `createIndex` for a key pattern that already
 *   has an index with other options: IndexOptionsConflict, code 85).
 */

export interface IndexSpec {
  collection: string;
  key: Record<string, 1 | -1>;
  unique?: boolean;
  /** Only the documents this filter matches are indexed. */
  partialFilterExpression?: Record<string, unknown>;
  expireAfterSeconds?: number;
}

/** Every index of the stores (the bot's state has its own: bots/stateCollection.ts). */
export const STORE_INDEXES: readonly IndexSpec[] = [
  { collection: 'companies', key: { sigla: 1 }, unique: true },
  { collection: 'companies', key: { keyHash: 1 }, unique: true },
  { collection: 'companies', key: { previousKeyHash: 1 } },
  { collection: 'clients', key: { companyId: 1, document: 1 }, unique: true },
  // The delivery workers' query: the companies' clients whose next notification is due, longest due
  // first; only those with one are indexed, and a company no longer notified is never scanned.
  { collection: 'clients', key: { companyId: 1, deliveryDue: 1 }, partialFilterExpression: { deliveryDue: { $exists: true } } },
  // The backlog (pending and failed notifications) and the export (a company's validations by date).
  { collection: 'clients', key: { 'validations.delivery': 1 } },
  { collection: 'clients', key: { companyId: 1, 'validations.validatedAt': 1 } },
  { collection: 'codes', key: { companyId: 1, document: 1, email: 1 }, unique: true },
  // Cleans up only: expiry itself is checked in every query.
  { collection: 'codes', key: { expiresAt: 1 }, expireAfterSeconds: 0 },
  ...limitIndexes,
];

/** What `listIndexes` answers for one index, as far as these specs use it. */
export type ExistingIndex = Pick<IndexDescription, 'name' | 'unique' | 'partialFilterExpression' | 'expireAfterSeconds'> & { key: Record<string, unknown> };

export type IndexAction =
  | { kind: 'keep' }
  | { kind: 'create' }
  | { kind: 'setTtl'; name: string }
  | { kind: 'rebuild'; name: string };

/** An index that is not as its spec says, and what bringing it there takes. */
export interface IndexChange {
  spec: IndexSpec;
  action: Exclude<IndexAction, { kind: 'keep' }>;
  /** The index there now, when there is one (a TTL to change, or an index to rebuild). */
  found?: ExistingIndex;
}

const sameKey = (a: Record<string, unknown>, b: Record<string, unknown>) => JSON.stringify(a) === JSON.stringify(b);

/** What to do so that `spec` holds, given the collection's indexes now. */
export function planIndex(spec: IndexSpec, existing: readonly ExistingIndex[]): IndexAction {
  const found = existing.find((index) => sameKey(index.key, spec.key));
  if (!found) return { kind: 'create' };
  const optionsSame =
    Boolean(found.unique) === Boolean(spec.unique) &&
    JSON.stringify(found.partialFilterExpression ?? null) === JSON.stringify(spec.partialFilterExpression ?? null);
  const ttlSame = found.expireAfterSeconds === spec.expireAfterSeconds;
  if (optionsSame && ttlSame) return { kind: 'keep' };
  // collMod changes a TTL in place, but cannot make an index a TTL index or stop it being one.
  if (optionsSame && found.expireAfterSeconds !== undefined && spec.expireAfterSeconds !== undefined) {
    return { kind: 'setTtl', name: found.name! };
  }
  return { kind: 'rebuild', name: found.name! };
}

/** An index as people name it: its collection and key, `clients {"companyId":1,"deliveryDue":1}`. */
export const indexName = (spec: IndexSpec) => `${spec.collection} ${JSON.stringify(spec.key)}`;

/** One index change in a line, for the start's log: `clients {"companyId":1,"deliveryDue":1}: missing`. */
export function describeIndexChange({ spec, action, found }: IndexChange): string {
  const index = indexName(spec);
  switch (action.kind) {
    case 'create':
      return `${index}: missing`;
    case 'setTtl':
      return `${index}: expireAfterSeconds ${found?.expireAfterSeconds} instead of ${spec.expireAfterSeconds}`;
    case 'rebuild': {
      const differ = (['unique', 'partialFilterExpression', 'expireAfterSeconds'] as const).filter(
        (option) => JSON.stringify(found?.[option] ?? null) !== JSON.stringify(spec[option] ?? null),
      );
      return `${index}: ${differ.join(' and ')} ${differ.length === 1 ? 'differs' : 'differ'} (dropped and built again)`;
    }
  }
}

const NAMESPACE_NOT_FOUND = 26;

/** The collection's indexes; `null` when the collection does not exist. */
async function listIndexes(db: Db, collection: string): Promise<ExistingIndex[] | null> {
  try {
    return (await db.collection(collection).listIndexes().toArray()) as ExistingIndex[];
  } catch (err) {
    if (err instanceof MongoServerError && err.code === NAMESPACE_NOT_FOUND) return null;
    throw err;
  }
}

/** Each collection's specs, with how its indexes differ from them now. */
async function collectionPlans(db: Db, specs: readonly IndexSpec[]) {
  return Promise.all(
    [...Map.groupBy(specs, (spec) => spec.collection)].map(async ([collection, ofCollection]) => {
      const existing = await listIndexes(db, collection);
      const changes: IndexChange[] = [];
      for (const spec of ofCollection) {
        const action = planIndex(spec, existing ?? []);
        if (action.kind !== 'keep') changes.push({ spec, action, found: existing?.find((index) => sameKey(index.key, spec.key)) });
      }
      return { collection, exists: existing !== null, changes };
    }),
  );
}

/** `spec` as `createIndexes` takes it: its key and options, without the collection. */
function indexDescription(spec: IndexSpec): IndexDescription {
  const description: IndexDescription & { collection?: string } = { ...spec };
  delete description.collection;
  return description;
}

/**
 * The start's step: creates the indexes missing on a collection that does not exist or holds no
 * document (a new database, a collection new in this version), in one command per collection, and
 * changes nothing else. Answers what still differs, for `indices aplicar`.
 */
export async function prepareIndexes(db: Db, specs: readonly IndexSpec[]): Promise<IndexChange[]> {
  const plans = await collectionPlans(db, specs);
  const left = await Promise.all(
    plans.map(async ({ collection, exists, changes }) => {
      const missing = changes.filter((change) => change.action.kind === 'create');
      if (missing.length === 0) return changes;
      const empty = !exists || (await db.collection(collection).findOne({}, { projection: { _id: 1 } })) === null;
      if (!empty) return changes;
      await db.collection(collection).createIndexes(missing.map(({ spec }) => indexDescription(spec)));
      return changes.filter((change) => change.action.kind !== 'create');
    }),
  );
  return left.flat();
}

/** Brings one index to its spec, as `change` says. */
async function applyChange(db: Db, { spec, action }: IndexChange): Promise<void> {
  const col = db.collection(spec.collection);
  switch (action.kind) {
    case 'create':
      await col.createIndexes([indexDescription(spec)]);
      break;
    case 'setTtl':
      await db.command({ collMod: spec.collection, index: { name: action.name, expireAfterSeconds: spec.expireAfterSeconds } });
      break;
    case 'rebuild':
      await col.dropIndex(action.name);
      await col.createIndexes([indexDescription(spec)]);
      break;
  }
}

/**
 * `indices aplicar` on `db`: every index brought to its spec, one at a time (a build loads the
 * server the serving instances use), `onChange` told of each before it is made. Answers what was
 * changed.
 */
export async function applyIndexesOn(db: Db, specs: readonly IndexSpec[], onChange?: (change: IndexChange) => void): Promise<IndexChange[]> {
  const changes = (await collectionPlans(db, specs)).flatMap((plan) => plan.changes);
  for (const change of changes) {
    onChange?.(change);
    await applyChange(db, change);
  }
  return changes;
}

/** Bound of an index build: minutes, not the seconds a request gets. */
const INDEX_BUILD_TIMEOUT_MS = 10 * 60_000;

/**
 * `applyIndexesOn` through a client of its own with a long socket timeout: a build on a large
 * collection may take longer than any one request or admin command may.
 */
export async function applyIndexes(
  uri: string,
  dbName: string,
  timeoutMs: number,
  specs: readonly IndexSpec[],
  onChange?: (change: IndexChange) => void,
): Promise<IndexChange[]> {
  const client = new MongoClient(uri, {
    serverSelectionTimeoutMS: timeoutMs,
    connectTimeoutMS: timeoutMs,
    socketTimeoutMS: INDEX_BUILD_TIMEOUT_MS,
    appName: 'gsan-email-validation-indexes',
  });
  try {
    return await applyIndexesOn(client.db(dbName), specs, onChange);
  } finally {
    await client.close();
  }
}
