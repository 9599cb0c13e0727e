import type { LookupFunction } from 'node:net';
import type { ClaimedValidation, Company } from '../store/types';
import { destinationProblem, type Endpoint } from './destination';
import { judgeAnswer, judgeNoAnswer, type Verdict } from './judge';
import { post } from './post';
import { decryptSecret, secretsInUse } from './secret';
import { signatureHeaders } from './signature';

/** One POST of a claimed validation to its company's destination, signed, and what it came to (judge.ts). */

/** What a notification says; the receiver's documentation is docs/notifications.md. */
export interface NotificationBody {
  id: string;
  tipo: 'email.validado';
  empresa: string;
  cpfCnpj: string;
  email: string;
  validadoEm: string;
  origem: 'webhook' | 'conversa';
}

export interface AttemptSettings {
  /** `CODE_PEPPER`: the key the signing secrets are encrypted under. */
  pepper: string;
  /** `CODE_PEPPER_FALLBACK`, during its rotation: secrets still encrypted under it are read too. */
  fallbackPepper?: string;
  /** The service's own database, never a destination. */
  database: readonly Endpoint[];
  /** Checks every connection's address, whatever the name resolved to when it was configured (destination.ts). */
  lookup: LookupFunction;
  /** Bound of one POST, from connecting to the status line. */
  timeoutMs: number;
  /** The worker stopping: the POST is cut and the lease given back (`release`), no attempt counted. */
  stopping: AbortSignal;
}

const USER_AGENT = 'gsan-email-validation';

export async function attemptDelivery(company: Company, claim: ClaimedValidation, settings: AttemptSettings): Promise<Verdict | { kind: 'release' }> {
  const target = company.notification!;
  const problem = destinationProblem(target.url, settings.database);
  if (problem) return { kind: 'failed', error: `destino inválido: ${problem}` };
  let secrets: string[];
  try {
    secrets = secretsInUse(target, new Date()).map((secret) => decryptSecret(secret, settings.pepper, settings.fallbackPepper));
  } catch {
    return { kind: 'failed', error: 'segredo de assinatura ilegível (CODE_PEPPER mudou?): configure a notificação de novo' };
  }
  const body = JSON.stringify(notificationBody(company.sigla, claim));
  const eventId = claim.validation.eventId;
  const signal = AbortSignal.any([AbortSignal.timeout(settings.timeoutMs), settings.stopping]);
  try {
    const headers = {
      'content-type': 'application/json',
      'user-agent': USER_AGENT,
      ...signatureHeaders(secrets, eventId, Math.floor(Date.now() / 1000), body),
    };
    // Only the configured address: a redirect is not followed.
    const answer = await post(target.url, body, { headers, signal, lookup: settings.lookup });
    return judgeAnswer(answer.status, answer.retryAfter);
  } catch (err) {
    if (settings.stopping.aborted) return { kind: 'release' };
    return judgeNoAnswer(err, signal.aborted);
  }
}

function notificationBody(sigla: string, claim: ClaimedValidation): NotificationBody {
  const { validation: v } = claim;
  return {
    id: v.eventId,
    tipo: 'email.validado',
    empresa: sigla,
    cpfCnpj: claim.document,
    email: v.email,
    validadoEm: v.validatedAt.toISOString(),
    origem: v.origin,
  };
}
