import type { Backlog, Stores } from '../store/types';

/**
 * The notifications each company still owes: every company with a destination (zeros included, so
 * a quiet backlog shows as one), and any other that has pending or failed ones (a destination removed).
 */
export async function notificationBacklog(stores: Stores): Promise<Backlog[]> {
  const [companies, backlog] = await Promise.all([stores.companies.list(), stores.validations.backlog()]);
  const bySigla = new Map(backlog.map((b) => [b.companyId, b]));
  for (const c of companies) {
    if (c.notification && !bySigla.has(c.sigla)) bySigla.set(c.sigla, { companyId: c.sigla, pending: 0, failed: 0, oldestPendingSince: null });
  }
  return [...bySigla.values()].sort((a, b) => a.companyId.localeCompare(b.companyId));
}
