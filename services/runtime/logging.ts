import pino, { type DestinationStream, type Logger } from 'pino';
import { parseDocument } from '../domain/document';

/**
 * The structured JSON log (pino) and what may go into it. Log lines carry fields, never a sentence
 * built from input; a full CPF/CNPJ, email, key or code never appears (ARCHITECTURE "Logs").
 */

export const SERVICE_NAME = 'gsan-email-validation';

/** Field names that carry secrets or personal data wherever they appear: censored as a last line of defence. */
const SENSITIVE_FIELDS = new Set(['key', 'cpfCnpj', 'email', 'codigo', 'password', 'authorization']);
/**
 * Ids are whatever their source chose (a channel's `conversation.id` may hold a CPF or an email), so
 * a field named `…Id` passes `redactText` as an error message does; but for the ids this service
 * makes itself: the request id (its shape checked at the door) and a validation's random `eventId`.
 */
const isForeignId = (name: string) => name.endsWith('Id') && name !== 'reqId' && name !== 'eventId';
const CENSORED = '[redacted]';
/** How deep into a logged object sensitive field names are looked for. */
const CENSOR_DEPTH = 3;

export interface LoggerOptions {
  level: string;
  /** Where the JSON lines go; standard output, written asynchronously, when omitted. */
  destination?: DestinationStream;
}

export function createLogger(opts: LoggerOptions): Logger {
  return pino(
    {
      level: opts.level,
      base: { service: SERVICE_NAME },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: {
        level: (label) => ({ level: label }),
        log: (obj) => censor(obj, CENSOR_DEPTH),
        bindings: (bindings) => censor(bindings, CENSOR_DEPTH),
      },
      serializers: { err: describeError },
    },
    // Asynchronous and buffered: lines go out together once 4 KiB have gathered, or every 250 ms,
    // so a busy server does not pay a system call per line (docs/performance.md). `exitWhenLogged`
    // flushes before exiting, and pino writes what is left when the process exits.
    opts.destination ?? pino.destination({ dest: 1, sync: false, minLength: LOG_BUFFER_BYTES, periodicFlush: LOG_FLUSH_MS }),
  );
}

/** Log lines are written once this much has gathered… */
const LOG_BUFFER_BYTES = 4096;
/** …or this often, whichever comes first. */
const LOG_FLUSH_MS = 250;

/**
 * `obj` with the value of every sensitive field name replaced, down to `depth` levels; the same
 * object when there is nothing to censor (the common case costs one pass over a few keys).
 * pino's own `redact` does the same by path, several times slower on every line.
 */
function censor<T extends Record<string, unknown>>(obj: T, depth: number): T {
  let out = obj;
  for (const name of Object.keys(obj)) {
    const value = obj[name];
    let replaced: unknown = value;
    if (SENSITIVE_FIELDS.has(name)) replaced = CENSORED;
    else if (typeof value === 'string' && isForeignId(name)) replaced = redactText(value);
    else if (depth > 1 && isPlainObject(value)) replaced = censor(value, depth - 1);
    if (replaced !== value) {
      if (out === obj) out = { ...obj };
      (out as Record<string, unknown>)[name] = replaced;
    }
  }
  return out;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/**
 * Exits after asking the destination to write what it holds; pino's own exit hook then writes the
 * rest synchronously. The timer only matters should standard output block.
 */
export function exitWhenLogged(logger: Logger, code: number): void {
  setTimeout(() => process.exit(code), 1000).unref();
  logger.flush(() => process.exit(code));
}

export interface LoggedError {
  type: string;
  code?: string | number;
  message?: string;
  stack?: string;
}

/**
 * What of an error goes into a log: its type, code, message with anything that looks like an
 * email, a CPF/CNPJ or a code blotted out (a driver's message may quote a document it was given,
 * e.g. a duplicate-key error), and the stack frames without the message line.
 */
export function describeError(err: unknown): LoggedError {
  if (!(err instanceof Error)) return { type: typeof err };
  const described: LoggedError = { type: err.name, message: redactText(err.message) };
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'number') described.code = code;
  else if (typeof code === 'string') described.code = redactText(code);
  const frames = (err.stack ?? '')
    .split('\n')
    .filter((line) => /^\s+at /.test(line))
    .slice(0, 12)
    .map((line) => line.trim());
  if (frames.length > 0) described.stack = frames.join('\n');
  return described;
}

const EMAIL_LIKE = /[^\s"'`<>()[\]{},;:@]+@[^\s"'`<>()[\]{},;:@]+/g;
const TOKEN = /[0-9A-Za-z./-]+/g;
const DIGIT_RUN = /[0-9]{6,}/g;

/** `text` with emails, valid CPFs/CNPJs and runs of six or more digits (codes, documents) replaced. */
export function redactText(text: string): string {
  return text
    .replace(EMAIL_LIKE, '[email]')
    .replace(TOKEN, (token) => (parseDocument(token) ? '[cpfCnpj]' : token))
    .replace(DIGIT_RUN, '[digits]');
}
