import { emptyBacklog } from '../domain/validations';
import type { Backlog, Company, Stores } from '../store/types';

/**
 * The notifications each company still owes, by sigla: every company with a destination (zeros
 * included, so a quiet backlog shows as one), and any other that has pending or failed ones (a
 * destination removed). `companies` when the caller has read them already.
 */
export async function notificationBacklog(stores: Stores, companies?: readonly Company[]): Promise<Backlog[]> {
  const [all, backlog] = await Promise.all([companies ?? stores.companies.list(), stores.validations.backlog()]);
  const bySigla = new Map(backlog.map((b) => [b.companyId, b]));
  for (const c of all) if (c.notification && !bySigla.has(c.sigla)) bySigla.set(c.sigla, emptyBacklog(c.sigla));
  return [...bySigla.values()].sort((a, b) => a.companyId.localeCompare(b.companyId));
}
