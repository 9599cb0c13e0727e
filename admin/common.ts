import type { z } from 'zod';

/** Where a command writes its text: `process.stdout` in the CLI, a buffer in tests. */
export interface Output {
  write(text: string): unknown;
}

export function writeLine(out: Output, text: string): void {
  out.write(`${text}\n`);
}

/** An expected failure, told to the operator as is. Nothing was changed when it is thrown before a write. */
export class AdminError extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
    this.name = 'AdminError';
  }
}

/** Bad command line: wrong command, option or value. Exit code 2, like most command-line tools. */
export class UsageError extends AdminError {
  constructor(message: string) {
    super(message, 2);
    this.name = 'UsageError';
  }
}

/** Validates command arguments; the first problem becomes a `UsageError` (schemas carry pt-BR messages). */
export function validateArgs<S extends z.ZodType>(schema: S, input: unknown): z.output<S> {
  const result = schema.safeParse(input);
  if (!result.success) throw new UsageError(result.error.issues[0].message);
  return result.data;
}
