/** The numbers of CONTRACT §1 and §3, in one place. */

/** Longest key accepted before any lookup. */
export const MAX_KEY_LENGTH = 128;
/** Wrong tries a single code survives; the next try finds it dead, even if right. */
export const MAX_ATTEMPTS_PER_CODE = 5;
/** Consecutive failed confirmations of one client, across codes, that lock it. */
export const MAX_CONSECUTIVE_FAILURES = 20;
/** How long such a lock lasts; sending again does not lift it (the failures themselves count until a success, or a week: store/limits.ts). */
export const LOCK_SECONDS = 24 * 60 * 60;
/** Least time between two sends to one client. */
export const SEND_INTERVAL_SECONDS = 60;
/** Most sends to one client within an hour. */
export const MAX_SENDS_PER_HOUR = 5;
