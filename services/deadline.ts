import { outcomes, type Outcome } from './domain/outcome';

/**
 * Time bounds (docs/api.md §6: the chatbot platform gives a service 5 seconds). The database driver
 * and the SMTP transport bound each of their own steps; a deadline bounds a whole answer, however
 * many steps it took.
 */

/** How long a use case may run before the door answers "unavailable" (docs/api.md §6). */
export const ANSWER_DEADLINE_MS = 4700;

export class DeadlineError extends Error {
  constructor(what: string, ms: number) {
    super(`${what} did not finish within ${ms} ms`);
    this.name = 'DeadlineError';
  }
}

/**
 * Settles like `work` when it settles within `ms`, otherwise rejects with a `DeadlineError`.
 * `work` is not cancelled: it runs on, bounded by its own time-outs, and its late result is ignored.
 */
export function withDeadline<T>(work: Promise<T>, ms: number, what = 'operation'): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new DeadlineError(what, ms)), ms);
  });
  // Promise.race subscribes to `work`, so a late rejection is handled, never "unhandled".
  return Promise.race([work, deadline]).finally(() => clearTimeout(timer));
}

/**
 * A use case as every door answers it: within `ANSWER_DEADLINE_MS`, and "unavailable" (503) when it
 * fails or runs late, the error handed to `onError` once. The doors call the service through
 * `boundedPort` (services/port.ts), which answers through here.
 */
export async function answerInTime(run: () => Promise<Outcome>, onError: (err: unknown) => void): Promise<Outcome> {
  try {
    return await withDeadline(run(), ANSWER_DEADLINE_MS, 'use case');
  } catch (err) {
    onError(err);
    return outcomes.unavailable();
  }
}
