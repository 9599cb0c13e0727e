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
import { emailKeyOf, isLive, keepsValidation, keyOpens, mayMarkValidated } from './storeRules';
import { backlogTotals, inBacklog, isRequeuable, pendingInOrder, requeued, rowsInPeriod, settled } from '../domain/validations';
import { createMemoryLimits } from './limits';

/**
 * The in-memory twin of the MongoDB stores: the embedded default of `npm start` and the
 * fast leg of the contract suite. Every method returns copies, as a database would.
 */

const clientId = (companyId: string, document: string) => `${companyId}\u0000${document}`;
const codeId = (k: CodeKey) => `${k.companyId}\u0000${k.document}\u0000${k.email}`;

export class MemoryCompanyStore implements CompanyStore {
  private readonly bySigla = new Map<string, Company>();

  async findByKeyHash(keyHash: string): Promise<Company | null> {
    const now = Date.now();
    for (const c of this.bySigla.values()) if (keyOpens(c, keyHash, now)) return { ...c };
    return null;
  }

  async findBySigla(sigla: string): Promise<Company | null> {
    const c = this.bySigla.get(sigla);
    return c ? { ...c } : null;
  }

  async insert(company: Company): Promise<void> {
    if (this.bySigla.has(company.sigla)) throw new DuplicateError(`Empresa ${company.sigla}`);
    if (await this.findByKeyHash(company.keyHash)) throw new DuplicateError('Chave');
    this.bySigla.set(company.sigla, { ...company });
  }

  async setKeyHash(sigla: string, keyHash: string, keepPreviousUntil?: Date): Promise<boolean> {
    const c = this.bySigla.get(sigla);
    if (!c) return false;
    c.previousKeyHash = keepPreviousUntil ? c.keyHash : null;
    c.previousKeyUntil = keepPreviousUntil ?? null;
    c.keyHash = keyHash;
    return true;
  }

  async setNotification(sigla: string, notification: NotificationTarget | null, keepPreviousUntil?: Date): Promise<boolean> {
    const c = this.bySigla.get(sigla);
    if (!c) return false;
    if (!notification) {
      c.notification = null;
      return true;
    }
    const { url, secret, configuredAt } = notification;
    const previous = keepPreviousUntil ? c.notification?.secret : undefined;
    c.notification = { url, secret, configuredAt, ...(previous ? { previousSecret: previous, previousSecretUntil: keepPreviousUntil } : {}) };
    return true;
  }

  async replaceSecrets(sigla: string, from: NotificationSecrets, to: NotificationSecrets): Promise<boolean> {
    const c = this.bySigla.get(sigla);
    const n = c?.notification;
    if (!c || !n || n.secret !== from.secret || (n.previousSecret ?? null) !== (from.previousSecret ?? null)) return false;
    // A new object: a company read before keeps what it read.
    c.notification = { ...n, secret: to.secret, previousSecret: to.previousSecret ?? null, previousSecretUntil: to.previousSecretUntil ?? null };
    return true;
  }

  async list(): Promise<Company[]> {
    return [...this.bySigla.values()].map((c) => ({ ...c })).sort((a, b) => a.sigla.localeCompare(b.sigla));
  }
}

/** A client as kept here: with its validations and the lease on their delivery. */
interface StoredClient extends Client {
  validations: ValidationRecord[];
  lease: { owner: string; until: Date } | null;
}

const publicClient = ({ companyId, document, nome, email, emailValidatedAt }: StoredClient): Client => ({
  companyId,
  document,
  nome,
  email,
  emailValidatedAt,
});

export class MemoryClientStore implements ClientStore {
  constructor(private readonly clients: Map<string, StoredClient>) {}

  async find(companyId: string, document: string): Promise<Client | null> {
    const c = this.clients.get(clientId(companyId, document));
    return c ? publicClient(c) : null;
  }

  async upsertMany(clients: readonly Omit<Client, 'emailValidatedAt'>[]): Promise<UpsertCounts> {
    const counts = { inserted: 0, updated: 0 };
    for (const c of clients) {
      const id = clientId(c.companyId, c.document);
      const old = this.clients.get(id);
      const keepValidation = old && keepsValidation(emailKeyOf(old.email), emailKeyOf(c.email));
      this.clients.set(id, {
        ...c,
        emailValidatedAt: keepValidation ? old.emailValidatedAt : null,
        validations: old?.validations ?? [],
        lease: old?.lease ?? null,
      });
      counts[old ? 'updated' : 'inserted']++;
    }
    return counts;
  }

  async markEmailValidated(companyId: string, document: string, validation: ValidationRecord): Promise<Client | null> {
    const c = this.clients.get(clientId(companyId, document));
    if (!c || !mayMarkValidated(c.email, validation.email)) return null;
    c.email = validation.email;
    c.emailValidatedAt = validation.validatedAt;
    c.validations.push({ ...validation });
    return publicClient(c);
  }

  async forget(companyId: string, document: string): Promise<{ email: string | null; validations: ValidationRecord[] } | null> {
    const c = this.clients.get(clientId(companyId, document));
    if (!c) return null;
    const before = { email: c.email, validations: c.validations.map((v) => ({ ...v })) };
    Object.assign(c, { email: null, emailValidatedAt: null, validations: [], lease: null });
    return before;
  }
}

export class MemoryValidationStore implements ValidationStore {
  constructor(private readonly clients: Map<string, StoredClient>) {}

  async claim(companyIds: readonly string[], now: Date, owner: string, leaseUntil: Date): Promise<ClaimedValidation | null> {
    let oldest: { client: StoredClient; validation: ValidationRecord } | undefined;
    for (const client of this.clients.values()) {
      if (!companyIds.includes(client.companyId) || (client.lease && client.lease.until > now)) continue;
      const [validation] = pendingInOrder(client.validations);
      if (!validation?.nextAttemptAt || validation.nextAttemptAt > now) continue;
      if (!oldest || validation.nextAttemptAt < oldest.validation.nextAttemptAt!) oldest = { client, validation };
    }
    if (!oldest) return null;
    oldest.client.lease = { owner, until: leaseUntil };
    // Its result is recorded in one step under the lease: nothing read here is needed then.
    return { companyId: oldest.client.companyId, document: oldest.client.document, owner, validation: { ...oldest.validation }, token: null };
  }

  async settle(claim: ClaimedValidation, result: DeliveryResult, now: Date): Promise<boolean> {
    const c = this.clients.get(clientId(claim.companyId, claim.document));
    const i = c?.validations.findIndex((v) => v.eventId === claim.validation.eventId) ?? -1;
    if (!c || c.lease?.owner !== claim.owner || i < 0) return false;
    c.validations[i] = settled(c.validations[i], result, now);
    c.lease = null;
    return true;
  }

  async backlog(): Promise<Backlog[]> {
    return backlogTotals(
      [...this.clients.values()].flatMap((c) =>
        c.validations.filter(inBacklog).map((v) => ({ companyId: c.companyId, delivery: v.delivery, count: 1, oldest: v.queuedAt })),
      ),
    );
  }

  async requeue(companyId: string, since: Date, until: Date, now: Date): Promise<number> {
    let count = 0;
    for (const c of this.clients.values()) {
      if (c.companyId !== companyId) continue;
      c.validations = c.validations.map((v) => {
        if (!isRequeuable(v, since, until)) return v;
        count++;
        return requeued(v, now);
      });
    }
    return count;
  }

  async list(companyId: string, document: string): Promise<ValidationRecord[]> {
    return (this.clients.get(clientId(companyId, document))?.validations ?? []).map((v) => ({ ...v }));
  }

  async *exportRows(companyId: string, since: Date, until: Date): AsyncIterable<ExportRow> {
    for (const c of this.clients.values()) {
      if (c.companyId === companyId) yield* rowsInPeriod(c.document, c.validations, since, until);
    }
  }
}

export class MemoryCodeStore implements CodeStore {
  private readonly codes = new Map<string, CodeRecord>();

  async replace(record: CodeRecord): Promise<void> {
    this.codes.set(codeId(record), { ...record });
  }

  async findLive(key: CodeKey, now: Date, maxAttempts: number): Promise<CodeRecord | null> {
    const c = this.codes.get(codeId(key));
    return c && isLive(c, now, maxAttempts) ? { ...c } : null;
  }

  async consume(key: CodeKey, codeHash: string, now: Date, maxAttempts: number): Promise<boolean> {
    const id = codeId(key);
    const c = this.codes.get(id);
    if (!c || c.codeHash !== codeHash || !isLive(c, now, maxAttempts)) return false;
    this.codes.delete(id);
    return true;
  }

  async addWrongAttempt(key: CodeKey, codeHash: string, now: Date, maxAttempts: number): Promise<number | null> {
    const c = this.codes.get(codeId(key));
    if (!c || c.codeHash !== codeHash || !isLive(c, now, maxAttempts)) return null;
    c.attempts += 1;
    return c.attempts;
  }

  async liveExpiries(companyId: string, document: string, now: Date, maxAttempts: number): Promise<Date[]> {
    return [...this.codes.values()]
      .filter((c) => c.companyId === companyId && c.document === document && isLive(c, now, maxAttempts))
      .map((c) => c.expiresAt);
  }

  async removeAll(companyId: string, document: string): Promise<number> {
    let removed = 0;
    for (const [id, c] of this.codes) if (c.companyId === companyId && c.document === document && this.codes.delete(id)) removed++;
    return removed;
  }

  /** Removes expired codes: the in-memory counterpart of the TTL index. */
  sweep(now: Date): void {
    for (const [id, code] of this.codes) if (code.expiresAt.getTime() <= now.getTime()) this.codes.delete(id);
  }

  /** Codes not yet cleaned up; for tests that check nothing was left behind. */
  size(): number {
    return this.codes.size;
  }
}

/** How often expired codes are swept from memory. */
const SWEEP_INTERVAL_MS = 60_000;

export function createMemoryStores(): Stores & { codes: MemoryCodeStore; limits: ReturnType<typeof createMemoryLimits> } {
  const codes = new MemoryCodeStore();
  const limits = createMemoryLimits();
  const clients = new Map<string, StoredClient>();
  const sweeper = setInterval(() => {
    codes.sweep(new Date());
    limits.sweep(Date.now());
  }, SWEEP_INTERVAL_MS).unref();
  return {
    companies: new MemoryCompanyStore(),
    clients: new MemoryClientStore(clients),
    codes,
    validations: new MemoryValidationStore(clients),
    limits,
    ping: async () => {},
    close: async () => clearInterval(sweeper),
  };
}
