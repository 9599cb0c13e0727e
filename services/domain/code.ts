import { createHash, createHmac, randomInt, timingSafeEqual } from 'node:crypto';

/** Code and key secrets (docs/api.md §3): generated securely, stored only as hashes. */

export const CODE_LENGTH = 6;
const CODE_SHAPE = /^[0-9]{6}$/;

/** Six decimal digits from a cryptographically secure generator. */
export function generateCode(): string {
  return randomInt(0, 10 ** CODE_LENGTH).toString().padStart(CODE_LENGTH, '0');
}

/** The six digits typed by a person, spaces removed, or `null` when it is not six ASCII digits. */
export function parseCode(raw: string): string | null {
  const code = raw.replace(/\s/g, '');
  return CODE_SHAPE.test(code) ? code : null;
}

/**
 * HMAC-SHA-256 (hex) under the server secret: of a code, and of the personal data a limit counts by
 * (a mailbox, a CPF/CNPJ), which a plain digest would give away to anyone trying a dictionary.
 */
export function keyedHash(text: string, pepper: string): string {
  return createHmac('sha256', pepper).update(text).digest('hex');
}

/** What a code is stored as (docs/api.md §3). */
export const hashCode = keyedHash;

/**
 * The server secrets a stored code hash or signing secret is recognized under: `CODE_PEPPER`, and
 * during its rotation `CODE_PEPPER_FALLBACK` (docs/rotation.md). New ones are
 * always made under the first.
 */
export function recognizedPeppers(pepper: string, fallbackPepper?: string): string[] {
  return fallbackPepper ? [pepper, fallbackPepper] : [pepper];
}

/** Whether `code` is the one stored as `codeHash`, under any recognized pepper; in constant time for each. */
export function codeMatches(code: string, codeHash: string, pepper: string, fallbackPepper?: string): boolean {
  return recognizedPeppers(pepper, fallbackPepper).some((candidate) => sameHash(hashCode(code, candidate), codeHash));
}

/** Constant-time comparison of two hex digests. */
export function sameHash(a: string, b: string): boolean {
  const x = Buffer.from(a, 'hex');
  const y = Buffer.from(b, 'hex');
  return x.length === y.length && timingSafeEqual(x, y);
}

/** SHA-256 (hex) of a company key: keys are random and long, so a plain digest suffices. */
export function hashKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}
