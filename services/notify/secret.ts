import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import { recognizedPeppers } from '../domain/code';
import type { NotificationTarget } from '../store/types';

/**
 * A company's signing secret: shown once to the operator, kept encrypted (AES-256-GCM) under a key
 * derived from `CODE_PEPPER`, so the database alone does not give it away. The service needs the
 * secret itself to sign, which is why it is encrypted rather than hashed.
 */

const PREFIX = 'whsec_';
const VERSION = 'v1';

/** A new secret in Standard Webhooks' form: `whsec_` and 32 random bytes in base64. */
export function generateSigningSecret(): string {
  return PREFIX + randomBytes(32).toString('base64');
}

/** The HMAC key a secret stands for (its bytes after `whsec_`). */
export function signingKey(secret: string): Buffer {
  return Buffer.from(secret.startsWith(PREFIX) ? secret.slice(PREFIX.length) : secret, 'base64');
}

function encryptionKey(pepper: string): Buffer {
  return Buffer.from(hkdfSync('sha256', pepper, Buffer.alloc(0), 'gsan-email-validation notification secret', 32));
}

export function encryptSecret(secret: string, pepper: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', encryptionKey(pepper), iv);
  const data = Buffer.concat([cipher.update(secret, 'utf8'), cipher.final()]);
  return [VERSION, iv, cipher.getAuthTag(), data].map((part) => (typeof part === 'string' ? part : part.toString('base64url'))).join('.');
}

/**
 * The secret; throws when `stored` was encrypted under neither `pepper` nor `fallbackPepper`
 * (`CODE_PEPPER_FALLBACK`, during a rotation of `CODE_PEPPER`), or was altered.
 */
export function decryptSecret(stored: string, pepper: string, fallbackPepper?: string): string {
  const [version, iv, tag, data] = stored.split('.');
  if (version !== VERSION || !iv || !tag || !data) throw new Error('unknown secret format');
  for (const candidate of recognizedPeppers(pepper, fallbackPepper)) {
    const decipher = createDecipheriv('aes-256-gcm', encryptionKey(candidate), Buffer.from(iv, 'base64url'));
    decipher.setAuthTag(Buffer.from(tag, 'base64url'));
    try {
      return Buffer.concat([decipher.update(Buffer.from(data, 'base64url')), decipher.final()]).toString('utf8');
    } catch {
      // Not this pepper (or altered): the next one, if any.
    }
  }
  throw new Error('secret not encrypted under CODE_PEPPER nor CODE_PEPPER_FALLBACK, or altered');
}

/**
 * The encrypted secrets a notification is signed with at `now`: the destination's, and the one
 * before it while `--manter-anterior` keeps it (so a receiver holding either verifies).
 */
export function secretsInUse(target: NotificationTarget, now: Date): string[] {
  const kept = target.previousSecret && target.previousSecretUntil && target.previousSecretUntil > now;
  return kept ? [target.secret, target.previousSecret!] : [target.secret];
}
