import { strict as assert } from 'node:assert';
import { DEFAULT_RETRY, periodText, retryOrFail, retryWait, type RetryPolicy } from '../../services/notify/retry';

/** The retry policy of a notification not taken (docs/notifications.md, "the receiver answers"), row by row. */

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;

describe('notification retry policy', () => {
  describe('the wait before the next try: exponential backoff with equal jitter', () => {
    const policy: RetryPolicy = { baseMs: 1000, maxMs: 10_000, forMs: HOUR };
    const rows: { attempts: number; random: number; atLeastMs?: number; wait: number; why: string }[] = [
      { attempts: 0, random: 0, wait: 500, why: 'the first retry: half of baseMs fixed…' },
      { attempts: 0, random: 0.5, wait: 750, why: '…and the other half by the dice' },
      { attempts: 0, random: 0.999, wait: 999.5, why: 'never the whole baseMs' },
      { attempts: 1, random: 0, wait: 1000, why: 'twice as long after each try' },
      { attempts: 3, random: 0.5, wait: 6000, why: '8 s backoff: 4 s fixed, 2 s of 4 s jitter' },
      { attempts: 4, random: 0, wait: 5000, why: 'the backoff reaches maxMs: the jitter is on maxMs' },
      { attempts: 10, random: 0.5, wait: 7500, why: 'no further' },
      { attempts: 1000, random: 0, wait: 5000, why: 'however many tries (no overflow)' },
      { attempts: 0, random: 0, atLeastMs: 4000, wait: 4000, why: 'a Retry-After longer than the backoff is waited' },
      { attempts: 3, random: 0.5, atLeastMs: 1000, wait: 6000, why: 'a shorter one changes nothing' },
      { attempts: 0, random: 0, atLeastMs: 60_000, wait: 10_000, why: 'a Retry-After is waited up to maxMs only' },
    ];
    for (const { attempts, random, atLeastMs, wait, why } of rows) {
      it(`after ${attempts} tries, dice ${random}${atLeastMs ? `, Retry-After ${atLeastMs} ms` : ''}: ${wait} ms (${why})`, () => {
        assert.equal(retryWait(policy, attempts, random, atLeastMs), wait);
      });
    }

    it('by default, as documented: 15–30 s after the first try, 30–60 min between tries at most, for 72 h', () => {
      assert.deepEqual([retryWait(DEFAULT_RETRY, 0, 0), retryWait(DEFAULT_RETRY, 0, 0.999_999)].map((ms) => Math.round(ms / SECOND)), [15, 30]);
      assert.deepEqual([retryWait(DEFAULT_RETRY, 50, 0), retryWait(DEFAULT_RETRY, 50, 0.999_999)].map((ms) => Math.round(ms / MINUTE)), [30, 60]);
      assert.equal(DEFAULT_RETRY.forMs, 72 * HOUR);
    });
  });

  describe('the next try, or failed once it would fall past the retry period', () => {
    const policy: RetryPolicy = { baseMs: 1000, maxMs: 10_000, forMs: 10 * SECOND };
    const now = new Date('2026-11-05T12:00:00Z');
    const ago = (ms: number) => new Date(now.getTime() - ms);
    const after = (ms: number) => new Date(now.getTime() + ms);
    type Row = {
      why: string;
      validation: { attempts: number; validatedAt: Date; queuedAt: Date | null };
      random: number;
      atLeastMs?: number;
      result: ReturnType<typeof retryOrFail>;
    };
    const rows: Row[] = [
      {
        why: 'queued just now: tried again after the wait',
        validation: { attempts: 0, validatedAt: now, queuedAt: now },
        random: 0,
        result: { kind: 'retry', at: after(500), error: 'HTTP 503' },
      },
      {
        why: 'a next try exactly at the end of the period is still made',
        validation: { attempts: 3, validatedAt: ago(6 * SECOND), queuedAt: ago(6 * SECOND) },
        random: 0,
        result: { kind: 'retry', at: after(4 * SECOND), error: 'HTTP 503' },
      },
      {
        why: 'one a millisecond past it is not',
        validation: { attempts: 3, validatedAt: ago(6 * SECOND + 1), queuedAt: ago(6 * SECOND + 1) },
        random: 0,
        result: { kind: 'failed', error: 'HTTP 503; sem sucesso por 1 min' },
      },
      {
        why: 'the period counts from when it was queued again, not from the validation',
        validation: { attempts: 0, validatedAt: ago(30 * 24 * HOUR), queuedAt: ago(SECOND) },
        random: 0.5,
        result: { kind: 'retry', at: after(750), error: 'HTTP 503' },
      },
      {
        why: 'from the validation when it has no queuing time',
        validation: { attempts: 0, validatedAt: ago(10 * SECOND), queuedAt: null },
        random: 0,
        result: { kind: 'failed', error: 'HTTP 503; sem sucesso por 1 min' },
      },
      {
        why: 'a Retry-After that reaches past the period fails it',
        validation: { attempts: 0, validatedAt: ago(SECOND), queuedAt: ago(SECOND) },
        random: 0,
        atLeastMs: 9 * SECOND + 1,
        result: { kind: 'failed', error: 'HTTP 503; sem sucesso por 1 min' },
      },
    ];
    for (const { why, validation, random, atLeastMs, result } of rows) {
      it(why, () => {
        assert.deepEqual(retryOrFail(policy, validation, 'HTTP 503', now, random, atLeastMs), result);
      });
    }
  });

  describe('the retry period in the words of the error', () => {
    const rows: [number, string][] = [
      [72 * HOUR, '72 h'],
      [HOUR, '1 h'],
      [90 * MINUTE, '2 h'],
      [59 * MINUTE, '59 min'],
      [10 * MINUTE, '10 min'],
      [300, '1 min'],
    ];
    for (const [ms, words] of rows) it(`${ms} ms: ${words}`, () => assert.equal(periodText(ms), words));
  });
});
