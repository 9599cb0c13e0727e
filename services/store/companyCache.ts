import { keyOpens } from './storeRules';
import type { Company, CompanyLookup, CompanyStore, NotificationSecrets, NotificationTarget } from './types';

/**
 * The companies a process found, kept a few seconds: a webhook names its company by key on every
 * request, the conversation by sigla on every call to the service, and a company changes only by the
 * admin command. Spares the database one read per request (docs/performance.md).
 */

/**
 * How long a company found is answered from memory. A change made by another process (the admin
 * command: a key replaced or revoked, a notification destination set) reaches every instance within
 * this long; one made through the same stores, at once. A previous key's time is checked at each use.
 */
export const COMPANY_CACHE_MS = 5000;

interface Kept {
  company: Company;
  until: number;
}

/**
 * `store` with its lookups answered from memory for `ttlMs` after each read (only companies found: an
 * unknown key is looked up every time), unless the caller asks for a fresh read. Writes go through and
 * forget everything kept.
 */
export class CachedCompanyStore implements CompanyStore {
  private readonly byKeyHash = new Map<string, Kept>();
  private readonly bySigla = new Map<string, Kept>();

  constructor(
    private readonly store: CompanyStore,
    private readonly ttlMs = COMPANY_CACHE_MS,
  ) {}

  async findByKeyHash(keyHash: string, lookup?: CompanyLookup): Promise<Company | null> {
    const now = Date.now();
    const kept = lookup?.fresh ? undefined : this.byKeyHash.get(keyHash);
    if (kept && kept.until > now && keyOpens(kept.company, keyHash, now)) return kept.company;
    return this.keep(this.byKeyHash, keyHash, await this.store.findByKeyHash(keyHash));
  }

  async findBySigla(sigla: string, lookup?: CompanyLookup): Promise<Company | null> {
    const kept = lookup?.fresh ? undefined : this.bySigla.get(sigla);
    if (kept && kept.until > Date.now()) return kept.company;
    return this.keep(this.bySigla, sigla, await this.store.findBySigla(sigla));
  }

  async insert(company: Company): Promise<void> {
    await this.store.insert(company);
    this.forget();
  }

  async setKeyHash(sigla: string, keyHash: string, keepPreviousUntil?: Date): Promise<boolean> {
    const changed = await this.store.setKeyHash(sigla, keyHash, keepPreviousUntil);
    this.forget();
    return changed;
  }

  async setNotification(sigla: string, notification: NotificationTarget | null, keepPreviousUntil?: Date): Promise<boolean> {
    const changed = await this.store.setNotification(sigla, notification, keepPreviousUntil);
    this.forget();
    return changed;
  }

  async replaceSecrets(sigla: string, from: NotificationSecrets, to: NotificationSecrets): Promise<boolean> {
    const changed = await this.store.replaceSecrets(sigla, from, to);
    this.forget();
    return changed;
  }

  list(): Promise<Company[]> {
    return this.store.list();
  }

  /** Keeps what a read found (frozen: every caller shares it), dropping what has expired meanwhile. */
  private keep(map: Map<string, Kept>, id: string, company: Company | null): Company | null {
    const now = Date.now();
    for (const [other, kept] of map) if (kept.until <= now) map.delete(other);
    if (company) map.set(id, { company: Object.freeze(company), until: now + this.ttlMs });
    else map.delete(id);
    return company;
  }

  private forget(): void {
    this.byKeyHash.clear();
    this.bySigla.clear();
  }
}
