import { ForbiddenAddressError } from './destination';

/**
 * What came of one POST of a notification, before the retry policy (retry.ts) says when
 * (docs/notifications.md, "the receiver answers"): `2xx` delivered; `408`, `429`, `5xx`, a timeout
 * and the network failing retried; a redirect and any other `4xx` failed for good. Pure.
 */

export type Verdict =
  | { kind: 'delivered' }
  /** `atLeastMs`: the least wait the receiver asked for (`Retry-After`), else 0. */
  | { kind: 'retry'; error: string; atLeastMs: number }
  | { kind: 'failed'; error: string };

/** The receiver's answer: its status and its `Retry-After` header. */
export function judgeAnswer(status: number, retryAfter: string | null): Verdict {
  if (status >= 200 && status < 300) return { kind: 'delivered' };
  const error = `HTTP ${status}`;
  if (status === 408 || status === 429 || status >= 500) return { kind: 'retry', error, atLeastMs: retryAfterMs(retryAfter) };
  return { kind: 'failed', error: status >= 300 && status < 400 ? `${error} (redirecionamento não seguido)` : error };
}

/** No answer: `err` from the POST, `timedOut` when it was cut by its time bound. */
export function judgeNoAnswer(err: unknown, timedOut: boolean): Verdict {
  // The name now resolves somewhere forbidden: refused, as at configuration.
  if (err instanceof ForbiddenAddressError) return { kind: 'failed', error: `destino inválido: ${err.message}` };
  return { kind: 'retry', error: timedOut ? 'tempo esgotado' : networkError(err), atLeastMs: 0 };
}

/** `Retry-After` in seconds (dates are not worth trusting across clocks); 0 when absent or not a number. */
function retryAfterMs(header: string | null): number {
  const seconds = Number(header);
  return header && Number.isFinite(seconds) && seconds > 0 ? seconds * 1000 : 0;
}

/** What went wrong on the way, in a few words and the system's code: never a response body. */
function networkError(err: unknown): string {
  const cause = (err as { cause?: { code?: string } }).cause;
  const code = cause?.code ?? (err as { code?: string }).code;
  switch (code) {
    case 'ECONNREFUSED':
      return 'conexão recusada';
    case 'ECONNRESET':
    case 'UND_ERR_SOCKET':
      return 'conexão interrompida';
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return 'nome do servidor não encontrado';
    default:
      return code ? `falha de rede (${code})` : 'falha de rede';
  }
}
