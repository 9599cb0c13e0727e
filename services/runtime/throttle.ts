/** `run`, or the promise of its last run when that started less than `ms` ago. */
export function atMostEvery<T>(ms: number, run: () => Promise<T>): () => Promise<T> {
  let last: { at: number; result: Promise<T> } | undefined;
  return () => {
    const now = Date.now();
    if (!last || now - last.at >= ms) last = { at: now, result: run() };
    return last.result;
  };
}
