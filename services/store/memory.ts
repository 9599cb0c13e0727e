import {
  DuplicateError,
  type Client,
  type ClientStore,
  type CodeKey,
  type CodeRecord,
  type CodeStore,
  type Company,
  type CompanyStore,
  type Stores,
  type UpsertCounts,
} from './types';
import { emailKey } from '../email';
import { createMemoryLimits } from './limits';

/**
 * The in-memory twin of the MongoDB stores: the embedded default of `npm start` and the
 * fast leg of the contract suite. Every method returns copies, as a database would.
 */

const clientId = (companyId: string, document: string) => `${companyId}\u0000${document}`;
const codeId = (k: CodeKey) => `${k.companyId}\u0000${k.document}\u0000${k.email}`;

function isLive(code: CodeRecord, now: Date, maxAttempts: number): boolean {
  return code.expiresAt.getTime() > now.getTime() && code.attempts < maxAttempts;
}

export class MemoryCompanyStore implements CompanyStore {
  private readonly bySigla = new Map<string, Company>();

  async findByKeyHash(keyHash: string): Promise<Company | null> {
    const now = Date.now();
    for (const c of this.bySigla.values()) {
      const previous = c.previousKeyHash === keyHash && (c.previousKeyUntil?.getTime() ?? 0) > now;
      if (c.keyHash === keyHash || previous) return { ...c };
    }
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

  async list(): Promise<Company[]> {
    return [...this.bySigla.values()].map((c) => ({ ...c })).sort((a, b) => a.sigla.localeCompare(b.sigla));
  }
}

export class MemoryClientStore implements ClientStore {
  private readonly clients = new Map<string, Client>();

  async find(companyId: string, document: string): Promise<Client | null> {
    const c = this.clients.get(clientId(companyId, document));
    return c ? { ...c } : null;
  }

  async upsertMany(clients: readonly Omit<Client, 'emailValidatedAt'>[]): Promise<UpsertCounts> {
    const counts = { inserted: 0, updated: 0 };
    for (const c of clients) {
      const id = clientId(c.companyId, c.document);
      const old = this.clients.get(id);
      const keepValidation = old && old.email !== null && c.email !== null && emailKey(old.email) === emailKey(c.email);
      this.clients.set(id, { ...c, emailValidatedAt: keepValidation ? old.emailValidatedAt : null });
      counts[old ? 'updated' : 'inserted']++;
    }
    return counts;
  }

  async markEmailValidated(companyId: string, document: string, email: string, at: Date): Promise<Client | null> {
    const c = this.clients.get(clientId(companyId, document));
    if (!c || (c.email !== null && emailKey(c.email) !== emailKey(email))) return null;
    c.email = email;
    c.emailValidatedAt = at;
    return { ...c };
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
  const sweeper = setInterval(() => {
    codes.sweep(new Date());
    limits.sweep(Date.now());
  }, SWEEP_INTERVAL_MS).unref();
  return {
    companies: new MemoryCompanyStore(),
    clients: new MemoryClientStore(),
    codes,
    limits,
    ping: async () => {},
    close: async () => clearInterval(sweeper),
  };
}
