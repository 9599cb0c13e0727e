import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { isIP } from 'node:net';
import { DEFAULT_LOOKUPS_PER_MINUTE } from '../domain/rules';
import { parseEmail } from '../domain/email';
import { readDkim, type DkimSettings } from '../mail/dkim';
import { isLoopback, parseSmtpUrl } from '../mail/smtpUrl';

/**
 * Configuration from the environment, validated once at start. Every variable is listed in
 * `.env.example` and in the README's configuration table.
 */

const optionalText = z
  .string()
  .trim()
  .transform((s) => (s === '' ? undefined : s))
  .optional();

/** A whole number within bounds; unset or empty means the default. Messages in pt-BR, as every operator message. */
const int = (def: number, min: number, max: number) => {
  const range = `deve ser um número inteiro de ${min} a ${max}`;
  return z.preprocess(
    (v) => (typeof v === 'string' && v.trim() === '' ? undefined : v),
    z.coerce.number({ error: range }).int(range).min(min, range).max(max, range).default(def),
  );
};

/** One of `values`, said in pt-BR when it is not. */
const oneOf = <const T extends readonly [string, ...string[]]>(values: T) => z.enum(values, { error: `deve ser um de: ${values.join(', ')}` });

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** A comma-separated list, items trimmed, empty ones dropped. */
const list = (text: string | undefined) => (text ?? '').split(',').map((s) => s.trim()).filter(Boolean);

/** A domain name of at least two labels, and the labels of a DKIM selector. */
const LABEL = '[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?';
const DOMAIN = new RegExp(`^${LABEL}(?:\\.${LABEL})+$`);
const DOMAIN_LABELS = new RegExp(`^${LABEL}(?:\\.${LABEL})*$`);

/** A DNS server as Node's resolver takes it: an IP address, or `ip:port` / `[ipv6]:port`. */
function dnsServer(entry: string): boolean {
  const withPort = /^\[(.+)\]:(\d{1,5})$/.exec(entry) ?? /^([^:]+):(\d{1,5})$/.exec(entry);
  const [host, port] = withPort ? [withPort[1], Number(withPort[2])] : [entry, 53];
  return isIP(host) !== 0 && port >= 1 && port <= 65535;
}

/** A yes or no, in any case (`true`, `TRUE`, `Yes`, `0`…). */
const bool = z
  .string()
  .toLowerCase()
  .pipe(oneOf(['true', 'false', '1', '0', 'yes', 'no']))
  .transform((v) => v === 'true' || v === '1' || v === 'yes');

const schema = z
  .object({
    PORT: int(8080, 0, 65535),
    HOST: z.string().min(1, 'não pode ser vazio').default('0.0.0.0'),
    LOG_LEVEL: oneOf(LOG_LEVELS).default('info'),
    SHUTDOWN_GRACE_MS: int(10000, 1000, 60000),

    MONGODB_URI: optionalText.pipe(z.string().regex(/^mongodb(\+srv)?:\/\//, 'deve começar com mongodb:// ou mongodb+srv://').optional()),
    MONGODB_DB: optionalText,
    MONGODB_TIMEOUT_MS: int(2000, 100, 4000),

    SMTP_URL: optionalText.pipe(
      z
        .string()
        .superRefine((url, ctx) => {
          const endpoint = parseSmtpUrl(url);
          if ('problem' in endpoint) ctx.addIssue({ code: 'custom', message: endpoint.problem });
        })
        .optional(),
    ),
    SMTP_PLAIN_LOOPBACK: optionalText.pipe(bool.optional()),
    SMTP_BOUNCE_ADDRESS: optionalText.pipe(z.string().refine((v) => parseEmail(v) !== null, 'deve ser um endereço de email válido').optional()),
    // At most 4000: the mail must fail (500) before the whole answer's deadline (503) would.
    SMTP_TIMEOUT_MS: int(4000, 100, 4000),
    SMTP_MAX_CONNECTIONS: int(5, 1, 100),
    OUTBOX_DIR: z.string().min(1, 'não pode ser vazio').default('var/outbox'),
    MAIL_DOMAIN_CHECK: optionalText.pipe(bool.optional()),
    DNS_SERVERS: optionalText.pipe(
      z
        .string()
        .refine((v) => list(v).every(dnsServer), 'deve ser uma lista de endereços IP separados por vírgula, cada um com a porta se não for 53 (ex.: 10.0.0.2, 127.0.0.1:5353, [::1]:53)')
        .optional(),
    ),
    DKIM_DOMAIN: optionalText.pipe(z.string().regex(DOMAIN, 'deve ser um domínio, como caer.com.br').optional()),
    DKIM_SELECTOR: optionalText.pipe(z.string().regex(DOMAIN_LABELS, 'deve ser um seletor DKIM, como gsan2026').optional()),
    DKIM_PRIVATE_KEY: optionalText,
    DKIM_PRIVATE_KEY_FILE: optionalText,

    CODE_PEPPER: optionalText.pipe(z.string().min(32, 'deve ter ao menos 32 caracteres').optional()),
    CODE_PEPPER_FALLBACK: optionalText.pipe(z.string().min(32, 'deve ter ao menos 32 caracteres').optional()),
    CODE_TTL_MINUTES: int(10, 1, 60),
    LOOKUPS_PER_MINUTE: int(DEFAULT_LOOKUPS_PER_MINUTE, 1, 1_000_000),
    SEED_DEMO: optionalText.pipe(bool.optional()),
    NOTIFY_TIMEOUT_MS: int(10000, 1000, 60000),

    PUBLIC_URL: optionalText.pipe(z.url({ error: 'deve ser uma URL, por exemplo https://validacao.exemplo.com.br' }).optional()),
    MicrosoftAppId: optionalText,
    MicrosoftAppPassword: optionalText,
    MicrosoftAppTenantId: optionalText,
    MicrosoftAppType: oneOf(['MultiTenant', 'SingleTenant', 'UserAssignedMSI']).default('MultiTenant'),
    ALLOWED_CALLERS: optionalText,
    ALLOWED_TENANT_IDS: optionalText.pipe(
      z
        .string()
        .regex(/^[0-9a-fA-F-]{36}(\s*,\s*[0-9a-fA-F-]{36})*$/, 'deve ser uma lista de ids de tenant (GUIDs) separados por vírgula')
        .optional(),
    ),
    ALLOW_ANONYMOUS_BOT: optionalText.pipe(bool.optional()),
    BOT_COMPANY: optionalText,
    BOT_REPLY_TIMEOUT_MS: int(10000, 100, 60000),
  })
  .superRefine((env, ctx) => {
    const plain = env.SMTP_PLAIN_LOOPBACK && env.SMTP_URL ? parseSmtpUrl(env.SMTP_URL) : undefined;
    if (plain && !('problem' in plain)) {
      // docs/api.md §4: the password never travels in clear; plain text only to a relay on this machine.
      const problem = plain.secure
        ? 'só vale com smtp:// (smtps:// já usa TLS)'
        : !isLoopback(plain.host)
          ? 'só vale para um servidor SMTP em loopback (127.0.0.1, ::1 ou localhost): em outro host use STARTTLS ou smtps://'
          : plain.auth
            ? 'sem TLS, SMTP_URL não pode ter usuário e senha (a senha nunca viaja em texto claro)'
            : undefined;
      if (problem) ctx.addIssue({ code: 'custom', path: ['SMTP_PLAIN_LOOPBACK'], message: problem });
    }
    if (env.MONGODB_URI && !env.CODE_PEPPER) {
      ctx.addIssue({
        code: 'custom',
        path: ['CODE_PEPPER'],
        message: 'é obrigatório quando MONGODB_URI está definido (todas as instâncias precisam do mesmo segredo)',
      });
    }
    if (env.CODE_PEPPER_FALLBACK && (!env.CODE_PEPPER || env.CODE_PEPPER_FALLBACK === env.CODE_PEPPER)) {
      ctx.addIssue({ code: 'custom', path: ['CODE_PEPPER_FALLBACK'], message: 'só vale durante a troca do CODE_PEPPER, ao lado dele e diferente dele' });
    }
  });

/** Every variable the service reads: each has a row in the README's configuration table and a line in `.env.example`. */
export const CONFIG_VARIABLES: readonly string[] = Object.keys(schema.shape);

export interface Config {
  port: number;
  host: string;
  logLevel: LogLevel;
  /** On SIGTERM/SIGINT, how long requests in flight may take before their connections are cut. */
  shutdownGraceMs: number;
  mongo: { uri: string; dbName: string | undefined; timeoutMs: number } | null;
  smtp: {
    url: string;
    timeoutMs: number;
    maxConnections: number;
    /** A relay on loopback spoken to without STARTTLS (and without credentials). */
    plainLoopback: boolean;
    /** The envelope sender, where bounces go; unset: the company's sender address. */
    bounceAddress: string | undefined;
    dkim: DkimSettings | undefined;
  } | null;
  /**
   * The receivable-domain check of docs/api.md §7 (with SMTP only; off with `MAIL_DOMAIN_CHECK=false`):
   * the DNS servers to ask, none for the system's.
   */
  domainCheck: { servers: string[] } | null;
  outboxDir: string;
  codePepper: string;
  /** During a rotation of `CODE_PEPPER`: the other one, whose codes and signing secrets are still recognized. */
  codePepperFallback: string | undefined;
  codeTtlMinutes: number;
  /** Lookups per company in any rolling 60 s, both doors together (anti-automation, docs/api.md §3). */
  lookupsPerMinute: number;
  /** Bound of one notification POST to a company's system. */
  notifyTimeoutMs: number;
  /** Seed the demo company and clients at start (always on the in-memory store). */
  seedDemo: boolean;
  publicUrl: string;
  bot: {
    appId: string | undefined;
    appPassword: string | undefined;
    tenantId: string | undefined;
    appType: 'MultiTenant' | 'SingleTenant' | 'UserAssignedMSI';
    /** App ids allowed to call the skill; `['*']` for any. */
    allowedCallers: string[];
    /** Entra ID tenants whose tokens the skill accepts besides Bot Framework's (a single-tenant Copilot Studio agent's). */
    allowedTenantIds: string[];
    /** Sigla of the company the conversation acts for. */
    company: string;
    /** Start with MongoDB and no credentials (the bot door then still answers loopback only). */
    allowAnonymous: boolean;
    /** Bound of one reply posted to the channel or the root bot (docs/api.md §6). */
    replyTimeoutMs: number;
  };
}

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

/** Reads and validates the configuration; throws `ConfigError` with one line naming the variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = schema.safeParse(env);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const name = String(issue.path[0] ?? '?');
    // The value itself is not repeated: it may be a secret.
    throw new ConfigError(`Configuração inválida: ${name}: ${issue.message}`);
  }
  const e = parsed.data;
  const port = e.PORT;
  const dkim = readDkim(e);
  if (dkim && 'problem' in dkim) throw new ConfigError(`Configuração inválida: ${dkim.variable}: ${dkim.problem}`);
  return {
    port,
    host: e.HOST,
    logLevel: e.LOG_LEVEL,
    shutdownGraceMs: e.SHUTDOWN_GRACE_MS,
    mongo: e.MONGODB_URI ? { uri: e.MONGODB_URI, dbName: e.MONGODB_DB, timeoutMs: e.MONGODB_TIMEOUT_MS } : null,
    smtp: e.SMTP_URL
      ? {
          url: e.SMTP_URL,
          timeoutMs: e.SMTP_TIMEOUT_MS,
          maxConnections: e.SMTP_MAX_CONNECTIONS,
          plainLoopback: e.SMTP_PLAIN_LOOPBACK ?? false,
          bounceAddress: e.SMTP_BOUNCE_ADDRESS,
          dkim,
        }
      : null,
    domainCheck: e.SMTP_URL && e.MAIL_DOMAIN_CHECK !== false ? { servers: list(e.DNS_SERVERS) } : null,
    outboxDir: e.OUTBOX_DIR,
    // Without a database the codes live in this process only, so a per-process secret is enough.
    codePepper: e.CODE_PEPPER ?? randomBytes(32).toString('hex'),
    codePepperFallback: e.CODE_PEPPER_FALLBACK,
    codeTtlMinutes: e.CODE_TTL_MINUTES,
    lookupsPerMinute: e.LOOKUPS_PER_MINUTE,
    notifyTimeoutMs: e.NOTIFY_TIMEOUT_MS,
    seedDemo: e.SEED_DEMO ?? !e.MONGODB_URI,
    publicUrl: (e.PUBLIC_URL ?? `http://localhost:${port}`).replace(/\/+$/, ''),
    bot: {
      appId: e.MicrosoftAppId,
      appPassword: e.MicrosoftAppPassword,
      tenantId: e.MicrosoftAppTenantId,
      appType: e.MicrosoftAppType,
      allowedCallers: list(e.ALLOWED_CALLERS),
      allowedTenantIds: list(e.ALLOWED_TENANT_IDS).map((id) => id.toLowerCase()),
      company: (e.BOT_COMPANY ?? 'CAER').toUpperCase(),
      allowAnonymous: e.ALLOW_ANONYMOUS_BOT ?? false,
      replyTimeoutMs: e.BOT_REPLY_TIMEOUT_MS,
    },
  };
}

/**
 * The service's own start check, beyond each variable: with MongoDB (production) the bot needs its
 * credentials, unless the operator opts in to an anonymous bot door (loopback only) explicitly.
 */
export function checkServiceConfig(config: Config): void {
  if (config.mongo && !config.bot.appId && !config.bot.allowAnonymous) {
    throw new ConfigError(
      'Configuração inválida: MicrosoftAppId: é obrigatório com MONGODB_URI (produção); para usar o bot sem credenciais, só de loopback, defina ALLOW_ANONYMOUS_BOT=true',
    );
  }
}
