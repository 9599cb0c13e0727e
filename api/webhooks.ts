import type { Request, Response, Server } from 'restify';
import type { z } from 'zod';
import { readJsonBody } from '../services/runtime/httpBody';
import type { CallOrigin, EmailValidationPort } from '../services/port';
import { outcomes, type Outcome } from '../services/domain/outcome';
import { MAX_BODY_BYTES, sendEnvelope } from './envelope';
import { confirmCodeRequest, sendCodeRequest } from './schemas';

/** The GSAN webhooks: parse → service → envelope. No business rule lives here. */

export const SEND_PATH = '/gsan/chatbot/enviarCodigoValidacaoEmailCliente';
export const CONFIRM_PATH = '/gsan/chatbot/confirmarCodigoValidacaoEmailCliente';

export interface WebhookHooks {
  /** Called once per answered request, for its log line. */
  onAnswer?(req: Request, outcome: Outcome): void;
  /** The id the request is logged under, for the report of a failure. */
  requestId?(req: Request): string | undefined;
}

export function registerWebhooks(server: Server, service: EmailValidationPort, hooks: WebhookHooks = {}): void {
  server.post(SEND_PATH, webhook(SEND_PATH, sendCodeRequest, hooks, (b, origin) => service.sendCode({ key: b.key }, b, origin)));
  server.post(
    CONFIRM_PATH,
    webhook(CONFIRM_PATH, confirmCodeRequest, hooks, (b, origin) => service.confirmCode({ key: b.key }, b, origin)),
  );
}

/** The handler of one webhook at `route` (named in the report of a failure). */
function webhook<S extends z.ZodType<{ key: string }>>(
  route: string,
  schema: S,
  hooks: WebhookHooks,
  run: (body: z.infer<S>, origin: CallOrigin) => Promise<Outcome>,
) {
  return async (req: Request, res: Response): Promise<void> => {
    let key = '';
    let outcome: Outcome;
    const read = await readJsonBody(req, res, MAX_BODY_BYTES);
    if (!read.ok) {
      outcome = refusalOutcome(read.refusal);
    } else {
      key = keyOf(read.value);
      const parsed = schema.safeParse(read.value);
      outcome = parsed.success
        ? await run(parsed.data, { requestId: hooks.requestId?.(req), route })
        : outcomes.invalidRequest(fieldOf(read.value, parsed.error));
    }
    sendEnvelope(res, key, outcome);
    hooks.onAnswer?.(req, outcome);
  };
}

/** A body the reader refused, in the envelope's terms. */
function refusalOutcome(refusal: 'notJson' | 'tooLarge' | 'unreadable'): Outcome {
  if (refusal === 'notJson') return outcomes.notJson();
  if (refusal === 'tooLarge') return outcomes.tooLarge();
  return outcomes.invalidRequest();
}

/** The key to echo: the one sent when it is a string, otherwise "". */
function keyOf(body: unknown): string {
  const key = isObject(body) ? body.key : undefined;
  return typeof key === 'string' ? key : '';
}

/** The first field at fault, when the body is an object at all. */
function fieldOf(body: unknown, error: z.ZodError): string | undefined {
  if (!isObject(body)) return undefined;
  const field = error.issues[0]?.path[0];
  return typeof field === 'string' ? field : undefined;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
