import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { hashKey } from '../services/domain/code';
import { parseEmail } from '../services/domain/email';
import { notificationBacklog } from '../services/notify/backlog';
import { DuplicateError, type Stores } from '../services/store/types';
import { validateArgs, writeJson, writeLine, AdminError, type AdminIo, type Output } from './common';
import { adminTexts as t } from './texts';

/**
 * `empresa criar | nova-chave | listar`. A company's key is shown once, when it is made; only its
 * SHA-256 (`hashKey`) is stored, so a lost key is replaced, never recovered.
 */

/** 32 random bytes, base64url: 256 bits in 43 characters that need no escaping in JSON or a shell. */
export function generateKey(): string {
  return randomBytes(32).toString('base64url');
}

export const siglaSchema = z
  .string({ error: t.missingOption('sigla') })
  .trim()
  .toUpperCase()
  .regex(/^[A-Z0-9]{2,20}$/, t.invalidSigla);

const text = (name: string, max = 200) =>
  z
    .string({ error: t.missingOption(name) })
    .trim()
    .min(1, t.emptyOption(name))
    .max(max, t.tooLong(name, max));

export const createCompanyArgs = z.object({
  sigla: siglaSchema,
  nome: text('nome'),
  assistente: text('assistente'),
  site: text('site'),
  remetente: z
    .string({ error: t.missingOption('remetente') })
    .trim()
    .refine((s) => parseEmail(s) !== null, t.invalidSender),
});

export const siglaArgs = z.object({ sigla: siglaSchema });

/** The longest time a previous key may be kept after a rotation: a week. */
const MAX_KEEP_MINUTES = 7 * 24 * 60;

/** `24h` or `30min`, in minutes. */
const minutesOf = (duration: string) => Number.parseInt(duration, 10) * (duration.endsWith('h') ? 60 : 1);

/** `--manter-anterior`, of a key or a signing secret: `24h`, `30min`; at least a minute, at most a week. */
export const keepSchema = z
  .string()
  .trim()
  .regex(/^\d+(h|min)$/, t.invalidKeep)
  .refine((s) => minutesOf(s) >= 1 && minutesOf(s) <= MAX_KEEP_MINUTES, t.invalidKeep);

export const rotateKeyArgs = z.object({ sigla: siglaSchema, 'manter-anterior': keepSchema.optional() });

/** Until when `--manter-anterior` keeps the previous key or secret, from `now`; `undefined` without it. */
export const keptUntil = (keep: string | undefined, now: Date) =>
  keep === undefined ? undefined : new Date(now.getTime() + minutesOf(keep) * 60_000);

export interface CompanyCommandOptions {
  /** Source of new keys; tests may fix it. */
  generateKey?: () => string;
  now?: () => Date;
}

export async function createCompany(
  stores: Stores,
  io: AdminIo,
  rawArgs: z.input<typeof createCompanyArgs>,
  opts: CompanyCommandOptions = {},
): Promise<void> {
  const args = validateArgs(createCompanyArgs, rawArgs);
  if (await stores.companies.findBySigla(args.sigla)) throw new AdminError(t.companyExists(args.sigla));
  const key = (opts.generateKey ?? generateKey)();
  try {
    await stores.companies.insert({ ...args, keyHash: hashKey(key), createdAt: (opts.now ?? (() => new Date()))() });
  } catch (err) {
    // Another operator created it in the meantime (or, astronomically unlikely, the key repeated).
    if (err instanceof DuplicateError) throw new AdminError(t.companyExists(args.sigla));
    throw err;
  }
  writeLine(io.err, t.companyCreated(args.sigla));
  printKey(io, args.sigla, key);
}

/** The key alone on `out` (or with its sigla, as JSON), the warning on `err`. */
function printKey(io: AdminIo, sigla: string, key: string, previousKeyUntil?: Date): void {
  if (io.json) writeJson(io.out, { sigla, chave: key, ...(previousKeyUntil ? { chaveAnteriorValeAte: previousKeyUntil.toISOString() } : {}) });
  else writeLine(io.out, key);
  writeLine(io.err, t.keyWarning);
}

/**
 * A new key for a company. The previous one stops working at once, or, with `--manter-anterior`,
 * after that long, so the assistant's side can be updated without refused calls.
 */
export async function rotateCompanyKey(
  stores: Stores,
  io: AdminIo,
  rawArgs: z.input<typeof rotateKeyArgs>,
  opts: CompanyCommandOptions = {},
): Promise<void> {
  const { sigla, 'manter-anterior': keep } = validateArgs(rotateKeyArgs, rawArgs);
  const key = (opts.generateKey ?? generateKey)();
  const now = (opts.now ?? (() => new Date()))();
  const until = keptUntil(keep, now);
  if (!(await stores.companies.setKeyHash(sigla, hashKey(key), until))) throw new AdminError(t.companyNotFound(sigla));
  writeLine(io.err, until ? t.keyRotatedKeeping(sigla, until) : t.keyRotated(sigla));
  printKey(io, sigla, key, until);
}

/** Lists the companies field by field, naming each one it shows: never the key hash nor the signing secret. */
export async function listCompanies(stores: Stores, out: Output, opts: { json?: boolean; now?: Date } = {}): Promise<void> {
  const now = opts.now ?? new Date();
  const companies = await stores.companies.list();
  const backlog = await notificationBacklog(stores, companies);
  const backlogOf = (sigla: string) => backlog.find((b) => b.companyId === sigla);
  if (opts.json) {
    writeJson(
      out,
      companies.map(({ sigla, nome, assistente, site, remetente, createdAt, previousKeyUntil, notification }) => {
        const b = backlogOf(sigla);
        return {
          sigla,
          nome,
          assistente,
          site,
          remetente,
          criadaEm: createdAt.toISOString(),
          chaveAnteriorValeAte: previousKeyUntil && previousKeyUntil > now ? previousKeyUntil.toISOString() : null,
          notificacao: notification
            ? {
                url: notification.url,
                configuradaEm: notification.configuredAt.toISOString(),
                segredoAnteriorValeAte: notification.previousSecretUntil && notification.previousSecretUntil > now ? notification.previousSecretUntil.toISOString() : null,
              }
            : null,
          aEntregar: {
            pendentes: b?.pending ?? 0,
            comFalha: b?.failed ?? 0,
            pendenteMaisAntigaDesde: b?.oldestPendingSince?.toISOString() ?? null,
          },
        };
      }),
    );
    return;
  }
  if (companies.length === 0) {
    writeLine(out, t.noCompanies);
    return;
  }
  writeLine(out, companies.map((c) => t.companyBlock(c, now, backlogOf(c.sigla))).join('\n\n'));
}
