import type { z } from 'zod';

/** Where a command writes its text: `process.stdout` in the CLI, a buffer in tests. */
export interface Output {
  write(text: string): unknown;
}

/**
 * A command's two outputs: `out` holds only what a script reads (a key, a listing, or JSON with
 * `--json`); `err` holds what a person reads (what was done, warnings, progress, errors).
 */
export interface AdminIo {
  out: Output;
  err: Output;
  /** `--json`: results on `out` as one JSON document. */
  json: boolean;
}

// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/g;

/**
 * `text` with every control character (C0, DEL, C1: ESC, CR, LF…) written out as `\u001b`: a value
 * from the database or a file can neither move the cursor, retitle the terminal nor forge a line.
 */
export function printable(text: string): string {
  return text.replace(CONTROL, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** Writes `text` and a line break; its own line breaks stay, any other control character is escaped (`printable`). */
export function writeLine(out: Output, text: string): void {
  out.write(`${text.split('\n').map(printable).join('\n')}\n`);
}

/** One JSON document on a line; DEL and C1, which JSON leaves raw, escaped as well. */
export function writeJson(out: Output, value: unknown): void {
  out.write(`${printable(JSON.stringify(value))}\n`);
}

/** Whether `text` holds a control character (what `printable` escapes). */
export function hasControlCharacter(text: string): boolean {
  return text.search(CONTROL) >= 0;
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
