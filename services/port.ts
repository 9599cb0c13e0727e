import { answerInTime } from './deadline';
import { doorOf, type CompanyRef, type ConfirmCodeInput, type EmailValidationService, type SendCodeInput } from './emailValidation';
import type { Outcome } from './domain/outcome';
import type { ValidationOrigin } from './store/types';

/**
 * The service as every door calls it (the webhooks and the conversation alike): each call bounded
 * by the answer deadline, a failure or a late answer turned into "unavailable" and reported once,
 * and every outcome reported, for the metrics. Built once at wiring time (index.ts).
 */

export type UseCase = 'send' | 'confirm';

/** Where a call came from, for the report of a failure and the metrics. */
export interface CallOrigin {
  requestId?: string;
  route?: string;
  /** The door (set here, from the company reference). */
  door?: ValidationOrigin;
}

export interface EmailValidationPort {
  readonly codeTtlMinutes: number;
  /** docs/api.md §1. */
  sendCode(ref: CompanyRef, input: SendCodeInput, origin?: CallOrigin): Promise<Outcome>;
  /** docs/api.md §2. */
  confirmCode(ref: CompanyRef, input: ConfirmCodeInput, origin?: CallOrigin): Promise<Outcome>;
}

export interface PortReports {
  /** What a use case came to (its outcome; "unavailable" after a failure). */
  outcome(useCase: UseCase, outcome: Outcome, origin: CallOrigin): void;
  /** An unexpected error, or a `DeadlineError`: once, before the "unavailable" answer. */
  failure(useCase: UseCase, err: unknown, origin: CallOrigin): void;
}

export function boundedPort(service: EmailValidationService, reports: PortReports): EmailValidationPort {
  const call = async (useCase: UseCase, origin: CallOrigin, run: () => Promise<Outcome>) => {
    const outcome = await answerInTime(run, (err) => reports.failure(useCase, err, origin));
    reports.outcome(useCase, outcome, origin);
    return outcome;
  };
  return {
    codeTtlMinutes: service.codeTtlMinutes,
    sendCode: (ref, input, origin) => call('send', { ...origin, door: doorOf(ref) }, () => service.sendCode(ref, input)),
    confirmCode: (ref, input, origin) => call('confirm', { ...origin, door: doorOf(ref) }, () => service.confirmCode(ref, input)),
  };
}
