import { texts } from './texts';

/**
 * What every use case returns, whichever door called it: the GSAN body (`validado`,
 * `mensagemCritica`), the HTTP status the webhooks answer with, and a `kind` the
 * conversation steers by. Expected outcomes are values, never exceptions.
 */
export type OutcomeKind =
  | 'codeSent'
  | 'similarEmail'
  | 'mailFailed'
  | 'clientNotFound'
  | 'invalidDocument'
  | 'invalidEmail'
  | 'invalidRequest'
  | 'invalidKey'
  | 'tooManySends'
  | 'unavailable'
  | 'confirmed'
  | 'wrongCode'
  | 'lastAttemptSpent'
  | 'noLiveCode'
  | 'locked'
  | 'invalidCode'
  | 'tooLarge'
  | 'notJson'
  | 'methodNotAllowed'
  | 'notFound';

export interface Outcome {
  kind: OutcomeKind;
  status: number;
  validado: 'S' | 'N';
  mensagemCritica: string;
  /** For 429 answers: seconds until a retry can succeed (the `Retry-After` header). */
  retryAfterSeconds?: number;
  /** For `mailFailed`: why, for the log line of the request (never sent to the caller). */
  failure?: unknown;
}

const refusal = (kind: OutcomeKind, status: number, mensagemCritica: string, retryAfterSeconds?: number): Outcome =>
  retryAfterSeconds === undefined
    ? { kind, status, validado: 'N', mensagemCritica }
    : { kind, status, validado: 'N', mensagemCritica, retryAfterSeconds };

/** Every outcome of docs/api.md §1 and §2, one constructor each. */
export const outcomes = {
  codeSent: (): Outcome => ({ kind: 'codeSent', status: 200, validado: 'S', mensagemCritica: texts.ok }),
  confirmed: (): Outcome => ({ kind: 'confirmed', status: 200, validado: 'S', mensagemCritica: texts.ok }),
  similarEmail: (maskedStored: string, assistant: string, site: string) =>
    refusal('similarEmail', 200, texts.similarEmail(maskedStored, assistant, site)),
  mailFailed: (maskedSent: string, failure?: unknown): Outcome => ({ ...refusal('mailFailed', 500, texts.mailFailed(maskedSent)), failure }),
  clientNotFound: () => refusal('clientNotFound', 200, texts.clientNotFound),
  invalidDocument: () => refusal('invalidDocument', 400, texts.invalidDocument),
  invalidEmail: () => refusal('invalidEmail', 400, texts.invalidEmail),
  invalidRequest: (field?: string) =>
    refusal('invalidRequest', 400, field ? texts.invalidRequestDetail(field) : texts.invalidRequest),
  invalidKey: () => refusal('invalidKey', 401, texts.invalidKey),
  tooManySends: (retryAfterSeconds: number) =>
    refusal('tooManySends', 429, texts.tooManySends(Math.max(1, Math.ceil(retryAfterSeconds / 60))), retryAfterSeconds),
  unavailable: () => refusal('unavailable', 503, texts.unavailable),
  wrongCode: (attemptsLeft: number) => refusal('wrongCode', 200, texts.wrongCode(attemptsLeft)),
  lastAttemptSpent: () => refusal('lastAttemptSpent', 200, texts.lastAttemptSpent),
  noLiveCode: () => refusal('noLiveCode', 200, texts.noLiveCode),
  locked: (retryAfterSeconds: number) => refusal('locked', 429, texts.locked, retryAfterSeconds),
  invalidCode: () => refusal('invalidCode', 400, texts.invalidCodeFormat),
  tooLarge: () => refusal('tooLarge', 413, texts.tooLarge),
  /** Request headers past Node's limit (16 KiB): the same text, HTTP's own status for it. */
  headersTooLarge: () => refusal('tooLarge', 431, texts.tooLarge),
  /** A request not received in time (its headers within 5 s, all of it within 10 s): HTTP's status for it. */
  requestTimeout: () => refusal('invalidRequest', 408, texts.invalidRequest),
  notJson: () => refusal('notJson', 415, texts.notJson),
  methodNotAllowed: () => refusal('methodNotAllowed', 405, texts.methodNotAllowed),
  notFound: () => refusal('notFound', 404, texts.notFound),
} as const;
