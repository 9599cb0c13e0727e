import { describeError } from '../runtime/logging';
import type { ClaimedValidation, DeliveryResult } from '../store/types';

/**
 * The notification worker's log lines (docs/operations.md, "Logs"): one per attempt, and one when
 * the worker starts or stops failing. The validation is named by its `eventId`, never by the
 * CPF/CNPJ or the email.
 */

export interface LogLine {
  level: 'info' | 'warn';
  fields: Record<string, unknown>;
  message: string;
}

/** An attempt whose result was recorded, or (`kept` false) whose lease was lost before it could be. */
export function attemptLine(sigla: string, claim: ClaimedValidation, result: Exclude<DeliveryResult, { kind: 'release' }>, kept: boolean): LogLine {
  const detail = result.kind === 'delivered' ? {} : { error: result.error, ...(result.kind === 'retry' ? { retryAt: result.at } : {}) };
  const fields = { event: 'notification', company: sigla, eventId: claim.validation.eventId, result: result.kind, attempt: claim.validation.attempts + 1, ...detail };
  if (!kept) return { level: 'warn', fields, message: 'notification: lease lost before its result was recorded (it will be sent again, unless it was erased)' };
  if (result.kind === 'delivered') return { level: 'info', fields, message: 'notification delivered' };
  return { level: 'warn', fields, message: result.kind === 'failed' ? 'notification failed for good' : 'notification not delivered, will retry' };
}

/** The worker could not look for work (the database failing, most likely: the error says); said once, not at every poll. */
export function failingLine(err: unknown): LogLine {
  return { level: 'warn', fields: { event: 'notification', error: describeError(err) }, message: 'notification worker failed; trying again at every poll' };
}

/** The worker looks for work again after `failingLine`. */
export function workingAgainLine(): LogLine {
  return { level: 'info', fields: { event: 'notification' }, message: 'notification worker: working again' };
}
