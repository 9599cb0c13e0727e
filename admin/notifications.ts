import { z } from 'zod';
import { destinationProblem, destinationProblemNow, destinationRules, type DestinationRules } from '../services/notify/destination';
import { encryptSecret, generateSigningSecret } from '../services/notify/secret';
import type { Stores } from '../services/store/types';
import { AdminError, UsageError, validateArgs, writeJson, writeLine, type AdminIo } from './common';
import { siglaSchema } from './companies';
import { adminTexts as t } from './texts';

/**
 * `empresa configurar-notificacao | remover-notificacao`: where a company's validations are sent
 * (services/notify/). The signing secret is shown once, when it is made, and kept only encrypted.
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
});

export async function configureNotification(
  stores: Stores,
  io: AdminIo,
  rawArgs: z.input<typeof configureNotificationArgs>,
  pepper: string,
  rules: DestinationRules = destinationRules(undefined),
  now = new Date(),
): Promise<void> {
  const { sigla, url } = validateArgs(configureNotificationArgs, rawArgs);
  // What the URL alone cannot tell: the service's database, and where the name resolves now.
  const problem = await destinationProblemNow(url, rules);
  if (problem) throw new UsageError(t.invalidUrl(problem));
  const secret = generateSigningSecret();
  const stored = await stores.companies.setNotification(sigla, { url, secret: encryptSecret(secret, pepper), configuredAt: now });
  if (!stored) throw new AdminError(t.companyNotFound(sigla));
  writeLine(io.err, t.notificationConfigured(sigla, url));
  if (io.json) writeJson(io.out, { sigla, url, segredo: secret });
  else writeLine(io.out, secret);
  writeLine(io.err, t.secretWarning);
}

export const removeNotificationArgs = z.object({ sigla: siglaSchema });

export async function removeNotification(stores: Stores, io: AdminIo, rawArgs: z.input<typeof removeNotificationArgs>): Promise<void> {
  const { sigla } = validateArgs(removeNotificationArgs, rawArgs);
  if (!(await stores.companies.setNotification(sigla, null))) throw new AdminError(t.companyNotFound(sigla));
  writeLine(io.err, t.notificationRemoved(sigla));
  if (io.json) writeJson(io.out, { sigla, notificacao: null });
}
