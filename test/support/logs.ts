import type { Logger } from 'pino';
import { createLogger } from '../../services/runtime/logging';

/**
 * A parsed log line: any field, typed where tests read into it (`msg` and `reqId` as strings,
 * `error` as the serialized error of the lines that log one).
 */
export interface LogLine {
  [field: string]: unknown;
  msg: string;
  reqId: string;
  error: { type: string; message: string; stack: string };
}

/** The production logger, writing to memory: every line a run logged, raw and parsed. */
export interface CapturedLogs {
  logger: Logger;
  /** Everything written, exactly as it would reach standard output. */
  text(): string;
  /** Each line parsed as JSON (throws on a line that is not). */
  lines(): LogLine[];
}

export function captureLogs(level = 'info'): CapturedLogs {
  let text = '';
  const logger = createLogger({ level, destination: { write: (chunk: string) => void (text += chunk) } });
  return {
    logger,
    text: () => text,
    lines: () =>
      text
        .split('\n')
        .filter((line) => line !== '')
        .map((line) => JSON.parse(line) as LogLine),
  };
}
