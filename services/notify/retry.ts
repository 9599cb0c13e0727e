import type { DeliveryResult, ValidationRecord } from '../store/types';

/**
 * When a notification the receiver did not take is tried again (docs/notifications.md, "the
 * receiver answers"): exponential backoff with equal jitter, for a period counted from when the
 * validation was queued. Pure: the clock and the dice are the caller's.
 */

export interface RetryPolicy {
  /** The first retry waits about this long; each next one twice as long… */
  baseMs: number;
  /** …up to this. */
  maxMs: number;
  /** Retries stop this long after the validation was queued; it is then `failed`. */
  forMs: number;
}

/** 15–30 s, then twice as long each time up to 30–60 min between tries, for 72 h. */
export const DEFAULT_RETRY: RetryPolicy = { baseMs: 30_000, maxMs: 60 * 60_000, forMs: 72 * 60 * 60_000 };

/**
 * The wait after the try that made `attempts` of them fail: `baseMs` doubled at each try before,
 * up to `maxMs`, and "equal jitter" on it (half fixed, half `random` in [0, 1), so instances that
 * failed together spread out); no shorter than `atLeastMs` (a `Retry-After`), no longer than `maxMs`.
 */
export function retryWait(policy: RetryPolicy, attempts: number, random: number, atLeastMs = 0): number {
  const { baseMs, maxMs } = policy;
  const backoff = Math.min(maxMs, baseMs * 2 ** Math.min(attempts, 30));
  return Math.min(maxMs, Math.max(atLeastMs, backoff / 2 + random * (backoff / 2)));
}

/** The retry period in the words of a `failed` validation's error: `72 h`, `5 min` (at least `1 min`). */
export function periodText(ms: number): string {
  return ms >= 3_600_000 ? `${Math.round(ms / 3_600_000)} h` : `${Math.max(1, Math.round(ms / 60_000))} min`;
}

/** What a try that failed with `error` at `now` leads to: the next one, or `failed` once that would fall past the retry period. */
export function retryOrFail(
  policy: RetryPolicy,
  validation: Pick<ValidationRecord, 'attempts' | 'queuedAt' | 'validatedAt'>,
  error: string,
  now: Date,
  random: number,
  atLeastMs = 0,
): Extract<DeliveryResult, { kind: 'retry' | 'failed' }> {
  const at = new Date(now.getTime() + retryWait(policy, validation.attempts, random, atLeastMs));
  const queuedAt = validation.queuedAt ?? validation.validatedAt;
  if (at.getTime() > queuedAt.getTime() + policy.forMs) return { kind: 'failed', error: `${error}; sem sucesso por ${periodText(policy.forMs)}` };
  return { kind: 'retry', at, error };
}
