import { emailKey } from '../domain/email';
import type { CodeKey, CodeRecord, Company } from './types';

/**
 * The rules of the clients, companies and codes both stores keep, each in one place: the test the
 * in-memory store applies to a record, beside the filter or expression that makes MongoDB apply the
 * same test inside its query (where the query must apply it to stay one atomic step). The rules of
 * the validation records are in services/domain/validations.ts.
 */

/** The key an email is compared by (case aside), or none. */
export const emailKeyOf = (email: string | null): string | null => (email === null ? null : emailKey(email));

/** A re-import keeps the validation of a client only when it brings the same email (`importedKey`: `emailKeyOf`). */
export const keepsValidation = (storedKey: string | null, importedKey: string | null): boolean => importedKey !== null && storedKey === importedKey;

/** `keepsValidation` as a MongoDB expression, on the stored `emailKey`. */
export const keepsValidationExpr = (importedKey: string | null) => ({
  $and: [{ $ne: [{ $literal: importedKey }, null] }, { $eq: ['$emailKey', { $literal: importedKey }] }],
});

/** An email is marked validated only for a client without one, or with the same one (case aside). */
export const mayMarkValidated = (storedEmail: string | null, email: string): boolean => storedEmail === null || emailKey(storedEmail) === emailKey(email);

/** `mayMarkValidated` as a MongoDB filter, on the stored `email` and `emailKey`. */
export const mayMarkValidatedFilter = (email: string) => ({ $or: [{ email: null }, { emailKey: emailKey(email) }] });

/** Whether `keyHash` opens `company` at `now`: its key, or its previous key still within its time. */
export function keyOpens(company: Company, keyHash: string, now: number): boolean {
  if (company.keyHash === keyHash) return true;
  return company.previousKeyHash === keyHash && (company.previousKeyUntil?.getTime() ?? 0) > now;
}

/** `keyOpens` as a MongoDB filter. */
export const keyOpensFilter = (keyHash: string, now: Date) => ({ $or: [{ keyHash }, { previousKeyHash: keyHash, previousKeyUntil: { $gt: now } }] });

/** A code is live until it expires, and while it has tries left. */
export const isLive = (code: CodeRecord, now: Date, maxAttempts: number): boolean => code.expiresAt.getTime() > now.getTime() && code.attempts < maxAttempts;

/** A client's live codes (`isLive`), whatever their email, as a MongoDB filter. */
export const liveOfClientFilter = (companyId: string, document: string, now: Date, maxAttempts: number) => ({
  companyId,
  document,
  expiresAt: { $gt: now },
  attempts: { $lt: maxAttempts },
});

/** The live code of `key` (`isLive`), as a MongoDB filter. */
export const liveFilter = (key: CodeKey, now: Date, maxAttempts: number) => ({
  ...liveOfClientFilter(key.companyId, key.document, now, maxAttempts),
  email: key.email,
});
