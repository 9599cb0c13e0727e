import { randomUUID } from 'node:crypto';
import type { Backlog, DeliveryResult, ExportRow, ValidationOrigin, ValidationRecord } from '../store/types';

/**
 * The life of a validation record (store/types.ts), as pure functions both stores apply: the
 * record a confirmation writes, what a delivery attempt makes of it, and what queuing it again does.
 */

/** The record of an email validated at `at`; its notification pending when the company has a destination. */
export function newValidation(email: string, at: Date, origin: ValidationOrigin, notify: boolean): ValidationRecord {
  return {
    eventId: randomUUID(),
    email,
    validatedAt: at,
    origin,
    delivery: notify ? 'pending' : 'none',
    attempts: 0,
    queuedAt: notify ? at : null,
    nextAttemptAt: notify ? at : null,
    lastError: null,
    deliveredAt: null,
  };
}

/** The record after a delivery attempt (`release`: unchanged, no attempt counted). */
export function settled(record: ValidationRecord, result: DeliveryResult, now: Date): ValidationRecord {
  switch (result.kind) {
    case 'release':
      return record;
    case 'delivered':
      return { ...record, delivery: 'delivered', attempts: record.attempts + 1, nextAttemptAt: null, lastError: null, deliveredAt: now };
    case 'retry':
      return { ...record, attempts: record.attempts + 1, nextAttemptAt: result.at, lastError: result.error };
    case 'failed':
      return { ...record, delivery: 'failed', attempts: record.attempts + 1, nextAttemptAt: null, lastError: result.error };
  }
}

/** The states `validacoes reenviar` queues again. */
export const REQUEUABLE: readonly ValidationRecord['delivery'][] = ['failed', 'none'];

const inPeriod = (record: Pick<ValidationRecord, 'validatedAt'>, since: Date, until: Date) => record.validatedAt >= since && record.validatedAt < until;

/** `[since, until)` as a MongoDB condition on a validation's `validatedAt`. */
export const periodCondition = (since: Date, until: Date) => ({ $gte: since, $lt: until });

/** Whether `record` is one `validacoes reenviar` queues again for `[since, until)`. */
export function isRequeuable(record: ValidationRecord, since: Date, until: Date): boolean {
  return REQUEUABLE.includes(record.delivery) && inPeriod(record, since, until);
}

/** `isRequeuable` as the conditions of a MongoDB filter on a validation's fields. */
export const requeuableConditions = (since: Date, until: Date) => ({ delivery: { $in: [...REQUEUABLE] }, validatedAt: periodCondition(since, until) });

/** The export's rows of one client: its validations of `[since, until)`, in the order they happened. */
export function* rowsInPeriod(
  document: string,
  validations: readonly Pick<ValidationRecord, 'email' | 'validatedAt'>[],
  since: Date,
  until: Date,
): Generator<ExportRow> {
  for (const v of validations) if (inPeriod(v, since, until)) yield { document, email: v.email, validatedAt: v.validatedAt };
}

/** What queuing a record again at `now` changes: a fresh retry period, no attempts yet (`delivery` last, for MongoDB's array filter). */
export const requeueChange = (now: Date) => ({ attempts: 0, queuedAt: now, nextAttemptAt: now, lastError: null, delivery: 'pending' as const });

/** The record queued again at `now`. */
export function requeued(record: ValidationRecord, now: Date): ValidationRecord {
  return { ...record, ...requeueChange(now) };
}

/**
 * A client's validations still to deliver, in the order they go: the order they happened. The first
 * is the one the others wait on; one that failed for good no longer holds them back.
 */
export function pendingInOrder(validations: readonly ValidationRecord[]): ValidationRecord[] {
  return validations.filter((v) => v.delivery === 'pending');
}

/** A company's backlog before anything is counted. */
export const emptyBacklog = (companyId: string): Backlog => ({ companyId, pending: 0, failed: 0, oldestPendingSince: null });

/** The states of the validations a backlog counts. */
export const BACKLOG_STATES = ['pending', 'failed'] as const;

type BacklogState = (typeof BACKLOG_STATES)[number];

/** Whether a record counts in its company's backlog. */
export const inBacklog = (record: ValidationRecord): record is ValidationRecord & { delivery: BacklogState } =>
  (BACKLOG_STATES as readonly string[]).includes(record.delivery);

/** `count` validations of a company in one backlog state; `oldest`, the earliest time one was queued. */
export interface BacklogCount {
  companyId: string;
  delivery: BacklogState;
  count: number;
  oldest: Date | null;
}

/** The backlog of each company from its counts (each validation alone, or counted in groups): the totals, and the oldest pending. */
export function backlogTotals(counts: Iterable<BacklogCount>): Backlog[] {
  const byCompany = new Map<string, Backlog>();
  for (const { companyId, delivery, count, oldest } of counts) {
    const b = byCompany.get(companyId) ?? emptyBacklog(companyId);
    b[delivery] += count;
    if (delivery === 'pending' && oldest && (!b.oldestPendingSince || oldest < b.oldestPendingSince)) b.oldestPendingSince = oldest;
    byCompany.set(companyId, b);
  }
  return [...byCompany.values()];
}
