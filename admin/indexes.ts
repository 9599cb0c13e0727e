import { BOT_STATE_INDEXES } from '../bots/stateCollection';
import type { Config } from '../services/runtime/config';
import { applyIndexes, indexName, STORE_INDEXES } from '../services/store/indexes';
import { databaseName } from '../services/store/mongo';
import { AdminError, writeJson, writeLine, type AdminIo } from './common';
import { adminTexts as t } from './texts';

/** Every index of the database: the stores' and the bot state's. */
const DATABASE_INDEXES = [...STORE_INDEXES, ...BOT_STATE_INDEXES];

/**
 * `indices aplicar`: the database's indexes brought to this version's (services/store/indexes.ts),
 * the one step that builds over existing documents, changes a TTL or rebuilds an index; the service's
 * start only creates what a new database lacks, and says what else differs (docs/operations.md).
 */
export async function applyDatabaseIndexes(io: AdminIo, mongo: NonNullable<Config['mongo']>): Promise<void> {
  let current = '';
  const changes = await applyIndexes(mongo.uri, databaseName(mongo.uri, mongo.dbName), mongo.timeoutMs, DATABASE_INDEXES, (change) => {
    current = indexName(change.spec);
    writeLine(io.err, t.indexApplying(current, t.indexAction[change.action.kind]));
  }).catch((err: unknown) => {
    // What MongoDB said (a unique index the documents break, a build cut short), naming the index.
    throw new AdminError(t.indexFailed(current, err instanceof Error ? err.message : String(err)));
  });
  if (io.json) writeJson(io.out, changes.map(({ spec, action }) => ({ collection: spec.collection, key: spec.key, action: action.kind })));
  writeLine(io.err, t.indexesApplied(changes.length));
}
