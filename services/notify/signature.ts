import { createHmac, timingSafeEqual } from 'node:crypto';
import { signingKey } from './secret';

/**
 * Signatures of the notifications, as the Standard Webhooks specification (standardwebhooks.com)
 * defines them, so receivers may use its libraries: HMAC-SHA-256 under the secret, over
 * `{id}.{timestamp}.{body}`, in base64, sent as `webhook-signature: v1,<base64>` with `webhook-id`
 * and `webhook-timestamp` (Unix seconds).
 */

export interface SignatureHeaders {
  'webhook-id': string;
  'webhook-timestamp': string;
  'webhook-signature': string;
}

function sign(secret: string, id: string, timestamp: string, body: string): string {
  return createHmac('sha256', signingKey(secret)).update(`${id}.${timestamp}.${body}`).digest('base64');
}

/** The headers of one attempt, signed under each of `secrets` (several while a change keeps the previous one), space-separated. */
export function signatureHeaders(secrets: readonly string[], id: string, timestampSeconds: number, body: string): SignatureHeaders {
  const timestamp = String(timestampSeconds);
  const signatures = secrets.map((secret) => `v1,${sign(secret, id, timestamp, body)}`);
  return { 'webhook-id': id, 'webhook-timestamp': timestamp, 'webhook-signature': signatures.join(' ') };
}

/** How far a timestamp may be from the receiver's clock, as the specification recommends. */
export const TIMESTAMP_TOLERANCE_SECONDS = 5 * 60;

/**
 * The receiver's check: a `v1` signature of these headers and body under `secret`, with a timestamp
 * within five minutes of `nowSeconds`. What docs/notifications.md's example does, for the tests to hold it to.
 */
export function verifySignature(secret: string, headers: Record<string, string | string[] | undefined>, body: string, nowSeconds: number): boolean {
  const { 'webhook-id': id, 'webhook-timestamp': timestamp, 'webhook-signature': signatures } = headers;
  if (typeof id !== 'string' || typeof timestamp !== 'string' || typeof signatures !== 'string') return false;
  // Written so that a timestamp that is not a number fails too (NaN compares false).
  if (!(Math.abs(nowSeconds - Number(timestamp)) <= TIMESTAMP_TOLERANCE_SECONDS)) return false;
  const expected = Buffer.from(sign(secret, id, timestamp, body));
  // The header may carry several signatures (while a changed secret's previous one is kept), separated by spaces.
  return signatures.split(' ').some((s) => {
    const given = Buffer.from(s.startsWith('v1,') ? s.slice(3) : '');
    return given.length === expected.length && timingSafeEqual(given, expected);
  });
}
