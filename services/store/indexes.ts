import { MongoServerError, type Db, type IndexDescription } from 'mongodb';

/**
 * Every index the MongoDB stores rely on, and how an existing database is brought to them at start.
 * MongoDB refuses `createIndex` for a key pattern that already has an index with other options
 * (IndexOptionsConflict, code 85), so a changed option is applied the way its documentation says:
 * a TTL through `collMod`, anything else by dropping and building the index again.
 */

export interface IndexSpec {
  collection: string;
  key: Record<string, 1 | -1>;
  unique?: boolean;
  /** Only the documents this filter matches are indexed. */
  partialFilterExpression?: Record<string, unknown>;
  expireAfterSeconds?: number;
}

/** What `listIndexes` answers for one index, as far as these specs use it. */
export type ExistingIndex = Pick<IndexDescription, 'name' | 'unique' | 'partialFilterExpression' | 'expireAfterSeconds'> & { key: Record<string, unknown> };

export type IndexAction =
  | { kind: 'keep' }
  | { kind: 'create' }
  | { kind: 'setTtl'; name: string }
  | { kind: 'rebuild'; name: string };

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

const NAMESPACE_NOT_FOUND = 26;

async function listIndexes(db: Db, collection: string): Promise<ExistingIndex[]> {
  try {
    return (await db.collection(collection).listIndexes().toArray()) as ExistingIndex[];
  } catch (err) {
    // A collection that does not exist yet has no indexes.
    if (err instanceof MongoServerError && err.code === NAMESPACE_NOT_FOUND) return [];
    throw err;
  }
}

/** Brings one index to `spec`; answers what it did. */
export async function ensureIndex(db: Db, spec: IndexSpec): Promise<IndexAction['kind']> {
  const { collection, key, ...options } = spec;
  const col = db.collection(collection);
  const action = planIndex(spec, await listIndexes(db, collection));
  switch (action.kind) {
    case 'keep':
      break;
    case 'create':
      await col.createIndex(key, options);
      break;
    case 'setTtl':
      await db.command({ collMod: collection, index: { name: action.name, expireAfterSeconds: spec.expireAfterSeconds } });
      break;
    case 'rebuild':
      await col.dropIndex(action.name);
      await col.createIndex(key, options);
      break;
  }
  return action.kind;
}
