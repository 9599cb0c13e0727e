import type { Response } from 'restify';
import type { Outcome } from '../services/outcome';
import type { Envelope } from './schemas';

/** GSAN's answer: every webhook answer, and the server's 404/405/500, is this envelope. */

/** The largest webhook body accepted (CONTRACT §1). */
export const MAX_BODY_BYTES = 8 * 1024;

/** Writes `outcome` in the GSAN envelope, `Retry-After` included when it has one. */
export function sendEnvelope(res: Response, key: string, outcome: Outcome): void {
  const envelope: Envelope = { key, body: { validado: outcome.validado, mensagemCritica: outcome.mensagemCritica } };
  const headers: Record<string, string> = { 'Content-Type': 'application/json; charset=utf-8' };
  if (outcome.retryAfterSeconds !== undefined) headers['Retry-After'] = String(Math.ceil(outcome.retryAfterSeconds));
  res.sendRaw(outcome.status, JSON.stringify(envelope), headers);
}
