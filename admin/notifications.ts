import { z } from 'zod';
import { destinationProblem, destinationProblemNow, destinationRules, type DestinationRules } from '../services/notify/destination';
import { decryptSecret, encryptSecret, generateSigningSecret, secretsInUse } from '../services/notify/secret';
import type { NotificationSecrets, Stores } from '../services/store/types';
import { AdminError, UsageError, validateArgs, writeJson, writeLine, type AdminIo } from './common';
import { keepSchema, keptUntil, siglaSchema } from './companies';
import { adminTexts as t } from './texts';

/**
 * `empresa configurar-notificacao | remover-notificacao | recifrar-segredos`: where a company's
 * validations are sent (services/notify/). The signing secret is shown once, when it is made, and
 * kept only encrypted.
 */

export const configureNotificationArgs = z.object({
  sigla: siglaSchema,
  url: z
    .string({ error: t.missingOption('url') })
    .trim()
    .superRefine((url, ctx) => {
      const problem = destinationProblem(url);
      if (problem) ctx.addIssue({ code: 'custom', message: t.invalidUrl(problem) });
    }),
  'manter-anterior': keepSchema.optional(),
});

export async function configureNotification(
  stores: Stores,
  io: AdminIo,
  rawArgs: z.input<typeof configureNotificationArgs>,
  pepper: string,
  rules: DestinationRules = destinationRules(undefined),
  now = new Date(),
): Promise<void> {
  const { sigla, url, 'manter-anterior': keep } = validateArgs(configureNotificationArgs, rawArgs);
  // What the URL alone cannot tell: the service's database, and where the name resolves now.
  const problem = await destinationProblemNow(url, rules);
  if (problem) throw new UsageError(t.invalidUrl(problem));
  const secret = generateSigningSecret();
  const target = { url, secret: encryptSecret(secret, pepper), configuredAt: now };
  if (!(await stores.companies.setNotification(sigla, target, keptUntil(keep, now)))) throw new AdminError(t.companyNotFound(sigla));
  // What was kept, as stored: nothing when there was no secret before.
  const until = (await stores.companies.findBySigla(sigla))?.notification?.previousSecretUntil ?? undefined;
  writeLine(io.err, t.notificationConfigured(sigla, url));
  if (io.json) writeJson(io.out, { sigla, url, segredo: secret, ...(until ? { segredoAnteriorValeAte: until.toISOString() } : {}) });
  else writeLine(io.out, secret);
  writeLine(io.err, t.secretWarning(until, keep !== undefined));
}

export const removeNotificationArgs = z.object({ sigla: siglaSchema });

export async function removeNotification(stores: Stores, io: AdminIo, rawArgs: z.input<typeof removeNotificationArgs>): Promise<void> {
  const { sigla } = validateArgs(removeNotificationArgs, rawArgs);
  if (!(await stores.companies.setNotification(sigla, null))) throw new AdminError(t.companyNotFound(sigla));
  writeLine(io.err, t.notificationRemoved(sigla));
  if (io.json) writeJson(io.out, { sigla, notificacao: null });
}

/**
 * A step of changing `CODE_PEPPER` (docs/rotation.md): every destination's signing secrets (and a
 * previous one still kept), read under `CODE_PEPPER` or `CODE_PEPPER_FALLBACK`, are encrypted again
 * under `CODE_PEPPER`. The secrets themselves stay: receivers change nothing. Those already under
 * `CODE_PEPPER` alone are left as they are, so running it again changes nothing and says so.
 */
export async function reencryptSecrets(stores: Stores, io: AdminIo, pepper: string, fallbackPepper?: string, now = new Date()): Promise<void> {
  const result = { recifradas: [] as string[], atuais: [] as string[], ilegiveis: [] as string[], alteradas: [] as string[] };
  const readsUnderPepper = (stored: string) => {
    try {
      decryptSecret(stored, pepper);
      return true;
    } catch {
      return false;
    }
  };
  for (const { sigla, notification } of await stores.companies.list()) {
    if (!notification) continue;
    if (secretsInUse(notification, now).every(readsUnderPepper)) {
      result.atuais.push(sigla);
      continue;
    }
    let to: NotificationSecrets;
    try {
      const [secret, previous] = secretsInUse(notification, now).map((s) => encryptSecret(decryptSecret(s, pepper, fallbackPepper), pepper));
      to = { secret, previousSecret: previous ?? null, previousSecretUntil: previous ? notification.previousSecretUntil : null };
    } catch {
      result.ilegiveis.push(sigla);
      writeLine(io.err, t.secretUnreadable(sigla, fallbackPepper !== undefined));
      continue;
    }
    // Compared with what was read: a destination configured meanwhile is already under CODE_PEPPER.
    if (await stores.companies.replaceSecrets(sigla, notification, to)) result.recifradas.push(sigla);
    else {
      result.alteradas.push(sigla);
      writeLine(io.err, t.secretChangedMeanwhile(sigla));
    }
  }
  writeLine(io.err, t.secretsReencrypted(result.recifradas.length, result.atuais.length));
  if (io.json) writeJson(io.out, result);
  const missed = result.ilegiveis.length + result.alteradas.length;
  if (missed > 0) throw new AdminError(t.secretsNotReencrypted(missed));
}
