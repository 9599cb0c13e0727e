/**
 * The small interfaces every piece of state goes through. Each has a MongoDB
 * implementation (`mongoStores.ts`, `mongoDelivery.ts`, started by `mongo.ts`) and an in-memory
 * twin (`memory.ts`), both applying the rules of `storeRules.ts`; one contract suite (`test/stores/`)
 * holds both to the same behaviour.
 */

/** A utility that owns a key. `sigla` is its identity (e.g. `CAER`). */
export interface Company {
  sigla: string;
  nome: string;
  /** Name of its virtual assistant, e.g. `ED - Assistente virtual da CAER`. */
  assistente: string;
  site: string;
  /** Sender address of the validation mails. */
  remetente: string;
  /** SHA-256 (hex) of the key; the key itself is never stored. */
  keyHash: string;
  /** After a rotation that kept it: the previous key's hash, valid until `previousKeyUntil`. */
  previousKeyHash?: string | null;
  previousKeyUntil?: Date | null;
  createdAt: Date;
  /** Where its validations are notified (services/notify/), when it has set a destination. */
  notification?: NotificationTarget | null;
}

/** A company's notification destination. */
export interface NotificationTarget {
  /** https (http only to loopback), checked by `services/notify/destination.ts`. */
  url: string;
  /** The signing secret, encrypted under a key derived from `CODE_PEPPER` (`services/notify/secret.ts`). */
  secret: string;
  configuredAt: Date;
  /** After a change that kept it (`--manter-anterior`): the secret before, encrypted the same way, also signing until `previousSecretUntil`. */
  previousSecret?: string | null;
  previousSecretUntil?: Date | null;
}

/** The encrypted secrets of a destination, as `CompanyStore.replaceSecrets` compares and writes them. */
export type NotificationSecrets = Pick<NotificationTarget, 'secret' | 'previousSecret' | 'previousSecretUntil'>;

/** A customer of a company, found by normalized CPF/CNPJ. */
export interface Client {
  companyId: string;
  document: string;
  nome: string;
  /** Registered email, or `null` when the client has none. */
  email: string | null;
  /** When `email` was last validated by a code, or `null`. */
  emailValidatedAt: Date | null;
}

/** What identifies one live code: one per (company, client, email). */
export interface CodeKey {
  companyId: string;
  document: string;
  /** Case-insensitive comparison form of the email (see `emailKey`). */
  email: string;
}

export interface CodeRecord extends CodeKey {
  /** HMAC-SHA-256 (hex) of the code under `CODE_PEPPER`. */
  codeHash: string;
  /** Wrong tries spent on this code. */
  attempts: number;
  createdAt: Date;
  expiresAt: Date;
}

/** How a company is looked up: `fresh`, from the database even where a copy is kept a few seconds (store/companyCache.ts). */
export interface CompanyLookup {
  fresh?: boolean;
}

export interface CompanyStore {
  /** The company whose key, or previous key still within its time, has this hash. */
  findByKeyHash(keyHash: string, lookup?: CompanyLookup): Promise<Company | null>;
  findBySigla(sigla: string, lookup?: CompanyLookup): Promise<Company | null>;
  /** Fails with `DuplicateError` when the sigla or key hash is taken. */
  insert(company: Company): Promise<void>;
  /**
   * Replaces the key hash; `false` when no such company. The old key stops working at once, or,
   * with `keepPreviousUntil`, at that time (a key kept from an earlier rotation stops at once).
   */
  setKeyHash(sigla: string, keyHash: string, keepPreviousUntil?: Date): Promise<boolean>;
  /**
   * Sets (or, with `null`, removes) the notification destination; `false` when no such company. The
   * secret it replaces stops signing at once, or, with `keepPreviousUntil`, at that time (a secret
   * kept from an earlier change stops at once): as `setKeyHash` for keys.
   */
  setNotification(sigla: string, notification: NotificationTarget | null, keepPreviousUntil?: Date): Promise<boolean>;
  /**
   * Writes `to` over the destination's secrets when they are still `from` (compared by their
   * encrypted forms, previous one included); `false` when they changed meanwhile or there is none.
   */
  replaceSecrets(sigla: string, from: NotificationSecrets, to: NotificationSecrets): Promise<boolean>;
  list(): Promise<Company[]>;
}

/** Which door a validation came through. */
export type ValidationOrigin = 'webhook' | 'conversa';

/**
 * Where the notification of a validation stands: `none` when the company had no destination,
 * `pending` until the receiver takes it, then `delivered`, or `failed` (refused for good, or
 * still failing after the retry period; `validacoes reenviar` queues it again).
 */
export type DeliveryState = 'none' | 'pending' | 'delivered' | 'failed';

/**
 * One validation, kept in its client's document: written in the same update that marks the email
 * validated, so neither exists without the other. Nothing personal besides the email.
 */
export interface ValidationRecord {
  /** Random UUID: the notification's id, for the receiver's idempotency. */
  eventId: string;
  email: string;
  validatedAt: Date;
  origin: ValidationOrigin;
  delivery: DeliveryState;
  /** Attempts since it was last queued. */
  attempts: number;
  /** When it was last queued (validated, or queued again): the retry period counts from here. */
  queuedAt: Date | null;
  /** When it may be attempted next, while `pending`. */
  nextAttemptAt: Date | null;
  /** Why the last attempt failed (`HTTP 500`, `tempo esgotado`…), never a response body. */
  lastError: string | null;
  deliveredAt: Date | null;
}

export interface UpsertCounts {
  inserted: number;
  updated: number;
}

export interface ClientStore {
  find(companyId: string, document: string): Promise<Client | null>;
  /** Inserts or replaces by (companyId, document). Keeps `emailValidatedAt` of an unchanged email. */
  upsertMany(clients: readonly Omit<Client, 'emailValidatedAt'>[]): Promise<UpsertCounts>;
  /**
   * Records `validation.email` as the client's validated email at `validation.validatedAt`, and
   * the validation itself, in one atomic update, when the client has no email or already has this
   * one (case-insensitive). Returns the client after the change, or `null` when there is no such
   * client or it has another email (and then nothing is recorded).
   */
  markEmailValidated(companyId: string, document: string, validation: ValidationRecord): Promise<Client | null>;
  /**
   * LGPD erasure: removes the client's email, its validations and their pending notifications.
   * Returns what was there before, or `null` when there is no such client.
   */
  forget(companyId: string, document: string): Promise<{ email: string | null; validations: ValidationRecord[] } | null>;
}

/** A pending validation leased to one instance for delivery; handed back to `settle` as it came. */
export interface ClaimedValidation {
  companyId: string;
  document: string;
  /** The instance holding the lease. */
  owner: string;
  validation: ValidationRecord;
  /** What the store read when it claimed, for `settle`; `null` from a store that needs none. */
  token: ClaimToken | null;
}

/** What a claim read of its client, for `settle` to record the result without reading again. */
export interface ClaimToken {
  /** The client's delivery version then: `settle` moves its next due time later only when it is unchanged. */
  version: number;
  /** When the client's pending validation after this one is due, or `null`. */
  following: Date | null;
}

/** What a delivery attempt came to. `release` gives the lease back without counting an attempt. */
export type DeliveryResult =
  | { kind: 'delivered' }
  | { kind: 'retry'; at: Date; error: string }
  | { kind: 'failed'; error: string }
  | { kind: 'release' };

/** Notifications not yet delivered, per company. */
export interface Backlog {
  companyId: string;
  pending: number;
  failed: number;
  /** When the longest-waiting pending one was queued. */
  oldestPendingSince: Date | null;
}

/** One line of the export. */
export interface ExportRow {
  document: string;
  email: string;
  validatedAt: Date;
}

/**
 * The validations and the delivery of their notifications. Each client's validations are delivered
 * in order, by one instance at a time (a lease on the client), at least once.
 */
export interface ValidationStore {
  /**
   * Leases, to `owner` until `leaseUntil`, the client whose next pending validation has waited
   * longest, among those of `companyIds` that are due at `now`; `null` when none is.
   */
  claim(companyIds: readonly string[], now: Date, owner: string, leaseUntil: Date): Promise<ClaimedValidation | null>;
  /** Records the result of delivering a claimed validation and ends the lease; `false` when the lease was lost. */
  settle(claim: ClaimedValidation, result: DeliveryResult, now: Date): Promise<boolean>;
  /** Every company that has pending or failed notifications, in no particular order. */
  backlog(): Promise<Backlog[]>;
  /**
   * Queues again the company's validations of `[since, until)` that are `failed` or `none`; answers
   * how many.
   */
  requeue(companyId: string, since: Date, until: Date, now: Date): Promise<number>;
  /** The client's validations, oldest first. */
  list(companyId: string, document: string): Promise<ValidationRecord[]>;
  /**
   * The company's validations of `[since, until)`, client by client (each client's in the order they
   * happened), read in batches as they are consumed.
   */
  exportRows(companyId: string, since: Date, until: Date): AsyncIterable<ExportRow>;
}

export interface CodeStore {
  /** Stores `record` as the one live code of its key, replacing any earlier one. */
  replace(record: CodeRecord): Promise<void>;
  /** The code of `key` when it is not expired at `now` and has fewer than `maxAttempts` wrong tries. */
  findLive(key: CodeKey, now: Date, maxAttempts: number): Promise<CodeRecord | null>;
  /**
   * Atomically deletes the code of `key` if it still has `codeHash` and is live. `true` for the
   * one caller that used it; every concurrent caller after it gets `false`.
   */
  consume(key: CodeKey, codeHash: string, now: Date, maxAttempts: number): Promise<boolean>;
  /**
   * Atomically counts one wrong try on the live code of `key` that has `codeHash`.
   * Returns the tries spent after this one, or `null` when that code is no longer live.
   */
  addWrongAttempt(key: CodeKey, codeHash: string, now: Date, maxAttempts: number): Promise<number | null>;
  /** When the client's live codes (one per email, `isLive`) expire; never the codes or their hashes. */
  liveExpiries(companyId: string, document: string, now: Date, maxAttempts: number): Promise<Date[]>;
  /** Removes every code of the client; answers how many. */
  removeAll(companyId: string, document: string): Promise<number>;
}

/**
 * A rolling-window limit (docs/api.md §3): at most `max` uses in any `windowSeconds`, and, with
 * `intervalSeconds`, at least that long between two uses. A window that rolls, not a fixed hour.
 */
export interface RollingLimit {
  name: string;
  max: number;
  windowSeconds: number;
  intervalSeconds?: number;
}

/**
 * A ceiling over a rolling window counted in one-second buckets: at most `max` uses in any
 * `windowSeconds` (a bucket counts, whole, while its latest use is in the window, so never more),
 * cheap at high rates and with a large `max` (e.g. a company's lookups).
 */
export interface WindowLimit {
  name: string;
  max: number;
  windowSeconds: number;
}

/** At most `max` distinct members per key, remembered `keepSeconds` after the last one was added. */
export interface DistinctLimit {
  name: string;
  max: number;
  keepSeconds: number;
}

/** A use taken (`at`, to give it back), or the seconds to wait before one can be. */
export type Taken = { ok: true; at: Date } | { ok: false; waitSeconds: number };

/** One use of a limit, as `take` (a rolling limit) or `addDistinct` (a member of a distinct limit) counts it. */
export type LimitUse = { limit: RollingLimit; key: string } | { limit: DistinctLimit; key: string; member: string };

/** A client's failure lock as one read finds it: the seconds left (`0`: not locked), and whether failures are counted. */
export interface ClientLock {
  seconds: number;
  failures: boolean;
}

/**
 * The counters of docs/api.md §3. Kept in the database when there is one, so several instances share
 * them. Every method is atomic on its own. Keys are built by the service (e.g. `CAER:02789078220`).
 */
export interface LimitStore {
  /** Takes one use of `limit` for `key` now, when the limit allows it. */
  take(limit: RollingLimit, key: string): Promise<Taken>;
  /**
   * Counts every use at once (one round trip on MongoDB), each decided on its own as `take` or
   * `addDistinct` would; answers each one's result, in order. A use taken while another was refused
   * stays taken: giving it back is the caller's. Each limit and key at most once in a call.
   */
  takeAll(uses: readonly LimitUse[]): Promise<Taken[]>;
  /** Gives back a use taken `at` whose purpose failed (a mail that never went out). */
  giveBack(limit: RollingLimit, key: string, at: Date): Promise<void>;
  /** Counts one use when the rolling window has room for it: `0`; otherwise nothing is counted and the answer is the seconds until there is room. */
  count(limit: WindowLimit, key: string): Promise<number>;
  /** Adds `member` to the set of `key`: `0`; when it is new and the set is full, nothing is added and the answer is the seconds until the set is forgotten. */
  addDistinct(limit: DistinctLimit, key: string, member: string): Promise<number>;
  /** The client's lock and whether failures are counted against it, read together (one round trip on MongoDB). */
  clientLock(client: string): Promise<ClientLock>;
  /** Counts a failed confirmation; the seconds of the lock when the client is now locked, else `0`. */
  addFailure(client: string): Promise<number>;
  /** A successful confirmation: the failures so far no longer count. */
  clearFailures(client: string): Promise<void>;
}

export interface Stores {
  companies: CompanyStore;
  clients: ClientStore;
  codes: CodeStore;
  validations: ValidationStore;
  limits: LimitStore;
  /** Answers when the database answers; throws otherwise. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

/** A unique constraint refused the write. */
export class DuplicateError extends Error {
  constructor(what: string) {
    super(`${what} já existe`);
    this.name = 'DuplicateError';
  }
}
