import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Response } from 'restify';
import type { Outcome } from '../services/domain/outcome';
import type { Envelope } from './schemas';

/** GSAN's answer: every webhook answer, and the server's 404/405/500, is this envelope. */

/** The largest webhook body accepted (docs/api.md §1). */
export const MAX_BODY_BYTES = 8 * 1024;

const HEADERS = {
  'Content-Type': 'application/json; charset=utf-8',
  'X-Content-Type-Options': 'nosniff',
  'Cache-Control': 'no-store',
} as const;

function envelopeText(key: string, outcome: Outcome): string {
  const envelope: Envelope = { key, body: { validado: outcome.validado, mensagemCritica: outcome.mensagemCritica } };
  return JSON.stringify(envelope);
}

/** Writes `outcome` in the GSAN envelope, `Retry-After` included when it has one. */
export function sendEnvelope(res: Response, key: string, outcome: Outcome): void {
  const headers: Record<string, string> = { ...HEADERS };
  if (outcome.retryAfterSeconds !== undefined) headers['Retry-After'] = String(Math.ceil(outcome.retryAfterSeconds));
  res.sendRaw(outcome.status, envelopeText(key, outcome), headers);
}

/**
 * Writes `outcome` in the envelope straight onto a connection that never became a request (Node's
 * own refusals: headers over the limit, a request it cannot parse), then closes it.
 */
export function endWithEnvelope(socket: Duplex, outcome: Outcome): void {
  const body = envelopeText('', outcome);
  const head = [
    `HTTP/1.1 ${outcome.status} ${STATUS_CODES[outcome.status]}`,
    ...Object.entries(HEADERS).map(([name, value]) => `${name}: ${value}`),
    `Content-Length: ${Buffer.byteLength(body)}`,
    'Connection: close',
  ];
  socket.end(`${head.join('\r\n')}\r\n\r\n${body}`);
}
