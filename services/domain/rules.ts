import type { DistinctLimit, RollingLimit, WindowLimit } from '../store/types';

/** The numbers of docs/api.md §1 and §3, in one place. */

/** Longest key accepted before any lookup. */
export const MAX_KEY_LENGTH = 128;
/** Wrong tries a single code survives; the next try finds it dead, even if right. */
export const MAX_ATTEMPTS_PER_CODE = 5;
/** Consecutive failed confirmations of one client, across codes, that lock it. */
export const MAX_CONSECUTIVE_FAILURES = 20;
/** How long such a lock lasts; sending again does not lift it (the failures themselves count until a success, or a week: store/limits.ts). */
export const LOCK_SECONDS = 24 * 60 * 60;

/** Sends to one (company, client): at least 60 s apart, at most 5 in any rolling 60 minutes. */
export const SEND_LIMIT: RollingLimit = { name: 'send', max: 5, windowSeconds: 60 * 60, intervalSeconds: 60 };
/** Codes to one address, whichever clients, companies and doors asked: at most 3 in any rolling 60 minutes. */
export const RECIPIENT_LIMIT: RollingLimit = { name: 'recipient', max: 3, windowSeconds: 60 * 60 };
/** Lookups by one channel user (`from.id`) in the conversation: at most 10 in any rolling 60 minutes. */
export const USER_LOOKUP_LIMIT: RollingLimit = { name: 'userLookups', max: 10, windowSeconds: 60 * 60 };
/** Distinct CPF/CNPJ looked up in one conversation. */
export const CONVERSATION_DOCUMENT_LIMIT: DistinctLimit = { name: 'conversationDocuments', max: 3, keepSeconds: 60 * 60 };
/**
 * Lookups per company in any rolling 60 seconds, both doors together (the conversation counts against
 * `BOT_COMPANY`), unless `LOOKUPS_PER_MINUTE` says otherwise.
 */
export const DEFAULT_LOOKUPS_PER_MINUTE = 600;
/** The company's lookups: `max` in any rolling `windowSeconds` (the number is the configuration's). */
export const companyLookupLimit = (max: number): WindowLimit => ({ name: 'companyLookups', max, windowSeconds: 60 });
