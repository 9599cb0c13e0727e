import type { Request, Response, Server } from 'restify';
import type { z } from 'zod';
import { answerInTime } from '../services/deadline';
import type { EmailValidationService } from '../services/emailValidation';
import { outcomes, type Outcome } from '../services/outcome';
import { readJsonBody, sendEnvelope } from './http';
import { confirmCodeRequest, sendCodeRequest } from './schemas';

/** The GSAN webhooks: parse → service → envelope. No business rule lives here. */

export const SEND_PATH = '/gsan/chatbot/enviarCodigoValidacaoEmailCliente';
export const CONFIRM_PATH = '/gsan/chatbot/confirmarCodigoValidacaoEmailCliente';

export interface WebhookHooks {
  /** Called once per answered request, for logs and metrics. */
  onAnswer?(req: Request, outcome: Outcome): void;
  /** Called with an unexpected error (or a `DeadlineError`) before the 503 answer. */
  onError?(req: Request, err: unknown): void;
}

export function registerWebhooks(server: Server, service: EmailValidationService, hooks: WebhookHooks = {}): void {
  server.post(
    SEND_PATH,
    webhook(sendCodeRequest, hooks, (b) => service.sendCode({ key: b.key }, b)),
  );
  server.post(
    CONFIRM_PATH,
    webhook(confirmCodeRequest, hooks, (b) => service.confirmCode({ key: b.key }, b)),
  );
}

function webhook<S extends z.ZodType<{ key: string }>>(
  schema: S,
  hooks: WebhookHooks,
  run: (body: z.infer<S>) => Promise<Outcome>,
) {
  return async (req: Request, res: Response): Promise<void> => {
    let key = '';
    let outcome: Outcome;
    const read = await readJsonBody(req, res);
    if (!read.ok) {
      outcome = read.outcome;
    } else {
      key = keyOf(read.value);
      const parsed = schema.safeParse(read.value);
      outcome = parsed.success
        ? await answerInTime(() => run(parsed.data), (err) => hooks.onError?.(req, err))
        : outcomes.invalidRequest(fieldOf(read.value, parsed.error));
    }
    sendEnvelope(res, key, outcome);
    hooks.onAnswer?.(req, outcome);
  };
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
