import type { IndexSpec } from '../services/store/indexes';

/**
 * Where the bot's conversation state lives on MongoDB (`MongoStorage`, bots/storage.ts): its
 * collection and its one index. Kept apart from botbuilder so that the admin CLI can read it when it
 * applies the database's indexes (`indices aplicar`) without loading the Bot Framework.
 */

export const BOT_STATE_COLLECTION = 'botState';
/** Bot state untouched this long is removed (a validation takes minutes); in memory too (`ExpiringMemoryStorage`). */
export const BOT_STATE_TTL_SECONDS = 24 * 60 * 60;

/** The bot state's indexes, beside the stores' own (services/store/indexes.ts). */
export const BOT_STATE_INDEXES: readonly IndexSpec[] = [
  { collection: BOT_STATE_COLLECTION, key: { updatedAt: 1 }, expireAfterSeconds: BOT_STATE_TTL_SECONDS },
];
