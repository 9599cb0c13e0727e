import type { Db } from 'mongodb';
import type { Logger } from 'pino';
import type { Server } from 'restify';
import { Observability } from './api/observability';
import { createMailCheck, failureReason, registerOps } from './api/ops';
import { createServer, listen } from './api/server';
import { gracefulStop } from './api/shutdown';
import { createLazyBotDoor, type LazyBotDoor } from './bots/lazyDoor';
import { BOT_STATE_INDEXES } from './bots/stateCollection';
import { checkServiceConfig, ConfigError, loadConfig, type Config } from './services/runtime/config';
import { withDeadline } from './services/deadline';
import { seedDemo } from './services/runtime/demo';
import { loadEnvFile } from './services/runtime/envFile';
import { requireSupportedNode } from './services/runtime/nodeVersion';
import { StartError } from './services/runtime/startError';
import { EmailValidationService } from './services/emailValidation';
import { createLogger, describeError, exitWhenLogged } from './services/runtime/logging';
import { signsFor } from './services/mail/dkim';
import { MailError } from './services/mail/mailError';
import { smtpAddress } from './services/mail/smtpUrl';
import { createDomainCheck } from './services/mail/receivable';
import { createOutboxMailer, createSmtpMailer, type Mailer } from './services/mail/mailer';
import { createMemoryStores } from './services/store/memory';
import { notificationBacklog } from './services/notify/backlog';
import { destinationRules } from './services/notify/destination';
import { ValidationNotifier, type NotifierTiming } from './services/notify/notifier';
import { boundedPort } from './services/port';
import { describeIndexChange } from './services/store/indexes';
import { createMongoStores, type MongoStores } from './services/store/mongo';
import type { Stores } from './services/store/types';

/**
 * The composition root: read the configuration, build the stores, the mailer, the service and
 * the server, start, and stop cleanly on SIGTERM/SIGINT.
 */

export interface App {
  config: Config;
  port: number;
  server: Server;
  stores: Stores;
  mailer: Mailer;
  service: EmailValidationService;
  /** The Bot Framework door on `/api/messages` and `/manifest/`, built with its first request: its state storage. */
  bot: LazyBotDoor;
  logger: Logger;
  /** Logs and metrics; the bot's wiring reports its turns with `observability.botTurn(...)`. */
  observability: Observability;
  /** The worker that notifies each company's system of its validations. */
  notifier: ValidationNotifier;
  /**
   * Stops accepting, lets the requests in flight finish (cutting them after `graceMs`, by default
   * `SHUTDOWN_GRACE_MS`), stops the notification worker, then closes the SMTP pool and the database
   * client. Resolves `true` when no request had to be cut.
   */
  close(graceMs?: number): Promise<boolean>;
}

export interface AppOverrides {
  /** Stores to use instead of the configuration's (the bot's conversation state then stays in memory, unless `database` is given). */
  stores?: Stores;
  /** With `stores` on MongoDB: their database, where the bot's conversation state then lives too. */
  database?: Db;
  logger?: Logger;
  /** The notification worker's pace (tests retry in milliseconds, not minutes). */
  notifier?: Partial<NotifierTiming>;
  /** When a bot turn still running is answered `202` (tests wait less than Bot Framework's window). */
  botTurnWindowMs?: number;
}

/** Stopping the notification worker and closing the database client are bounded too, so a stop always ends. */
const CLOSE_TIMEOUT_MS = 3000;

export async function startApp(config: Config, overrides: AppOverrides = {}): Promise<App> {
  const logger = overrides.logger ?? createLogger({ level: config.logLevel });
  const observability = new Observability(logger);
  const mongo = overrides.stores || !config.mongo ? undefined : await openMongo(config.mongo, logger);
  const stores = overrides.stores ?? mongo ?? createMemoryStores();
  const mailer = config.smtp
    ? createSmtpMailer(config.smtp, {
        onWorkerError: (err) => logger.error({ error: describeError(err) }, 'SMTP worker failed'),
      })
    : createOutboxMailer(config.outboxDir);
  let started: Awaited<ReturnType<typeof startServing>>;
  try {
    started = await startServing(config, {
      logger,
      observability,
      stores,
      database: mongo?.db ?? overrides.database,
      mailer,
      notifierTiming: overrides.notifier,
      botTurnWindowMs: overrides.botTurnWindowMs,
    });
  } catch (err) {
    // Nothing half-started stays behind: the SMTP worker and the database client go too.
    mailer.close();
    await stores.close().catch(() => {});
    throw err;
  }
  const { port, server, service, bot, http, notifier } = started;

  let closing: Promise<boolean> | undefined;
  const close = (graceMs = config.shutdownGraceMs) =>
    (closing ??= (async () => {
      const clean = await http.stop(graceMs);
      // A bot turn answered before it finished still saves its state (its replies are bounded).
      await withDeadline(bot.settled(), graceMs, 'bot turns answered before they finished').catch((err: unknown) =>
        logger.warn({ error: describeError(err) }, 'bot turns still running at stop: their state may not be saved'),
      );
      // A notification in flight is cut and left for another instance, or the next start, to retry.
      await withDeadline(notifier.stop(), CLOSE_TIMEOUT_MS, 'stopping the notification worker').catch((err: unknown) =>
        logger.warn({ error: describeError(err) }, 'notification worker still busy at stop: its leases will lapse'),
      );
      // Only now: a send in flight would be cut by closing the pool under it.
      mailer.close();
      await withDeadline(stores.close(), CLOSE_TIMEOUT_MS, 'closing the database client');
      return clean;
    })());

  return { config, port, server, stores, mailer, service, bot, logger, observability, notifier, close };
}

/**
 * The configuration's MongoDB stores, the indexes of a new database created with them; one warn line
 * when the database's indexes differ from this version's, which only `indices aplicar` changes
 * (docs/operations.md).
 */
async function openMongo(options: NonNullable<Config['mongo']>, logger: Logger): Promise<MongoStores> {
  const mongo = await createMongoStores({ ...options, moreIndexes: BOT_STATE_INDEXES });
  if (mongo.indexChanges.length > 0) {
    logger.warn(
      { indexes: mongo.indexChanges.map(describeIndexChange) },
      'MongoDB indexes differ from what this version expects: apply them with `npx gsan-email-admin indices aplicar`',
    );
  }
  return mongo;
}

/** Everything after the stores and the mailer: demo data, service, bot, server, listening. */
async function startServing(
  config: Config,
  parts: {
    logger: Logger;
    observability: Observability;
    stores: Stores;
    /** The database of the stores, when they are MongoDB's: the bot's conversation state lives there too. */
    database: Db | undefined;
    mailer: Mailer;
    notifierTiming?: Partial<NotifierTiming>;
    botTurnWindowMs?: number;
  },
) {
  const { logger, observability, stores, mailer } = parts;
  if (config.seedDemo) await seedDemo(stores);
  const dkim = config.smtp?.dkim;
  if (dkim) {
    for (const company of await stores.companies.list()) {
      if (signsFor(dkim, company.remetente)) continue;
      logger.warn({ company: company.sigla, dkimDomain: dkim.domain }, 'DKIM: this company\'s mails go unsigned: its sender address is not at DKIM_DOMAIN');
    }
  }
  await mailer.ready();
  // The SMTP server is checked at start too, in the background: a wrong password or port shows in
  // the log now, not when the first customer is refused. `/ready` answers from the same check.
  const checkMail = config.smtp ? createMailCheck(mailer) : undefined;
  const smtpServer = config.smtp ? smtpAddress(config.smtp.url) : undefined;
  checkMail?.().then(
    () => logger.info({ smtp: smtpServer, dkim: dkim?.domain ?? null, domainCheck: config.domainCheck !== null }, 'SMTP server usable'),
    (err: unknown) => {
      const smtp = err instanceof MailError ? err.smtp : undefined;
      logger.warn({ smtp, reason: failureReason(err), error: describeError(err) }, 'SMTP server not usable: check SMTP_URL (host, port, user, password, TLS)');
    },
  );
  const service = new EmailValidationService({
    stores,
    mailer,
    domains: config.domainCheck
      ? createDomainCheck({ servers: config.domainCheck.servers, onAnswer: (...answer) => observability.domainAnswer(...answer) })
      : undefined,
    pepper: config.codePepper,
    fallbackPepper: config.codePepperFallback,
    codeTtlMinutes: config.codeTtlMinutes,
    lookupsPerMinute: config.lookupsPerMinute,
  });
  const notifier = new ValidationNotifier({
    stores,
    pepper: config.codePepper,
    fallbackPepper: config.codePepperFallback,
    logger,
    timing: { timeoutMs: config.notifyTimeoutMs, ...parts.notifierTiming },
    onAttempt: (outcome) => observability.notificationAttempt(outcome),
    destinations: destinationRules(config.mongo?.uri),
  });
  observability.watchNotifications(() => notificationBacklog(stores));
  // One bounded, counted service for both doors; a confirmation sets the notifier to work at once.
  const bounded = boundedPort(service, {
    ...observability.serviceReports,
    outcome: (useCase, outcome, origin) => {
      observability.serviceReports.outcome(useCase, outcome, origin);
      if (outcome.kind === 'confirmed') notifier.wake();
    },
  });
  const bot = await createLazyBotDoor({
    config,
    service: bounded,
    database: parts.database,
    stores,
    logger,
    onTurn: (turn) => observability.botTurn(turn),
    onReplyFailed: (failure) => observability.botReplyFailed(failure),
    requestId: (req) => observability.requestId(req),
    turnWindowMs: parts.botTurnWindowMs,
  });
  const server = createServer({
    service: bounded,
    publicUrl: config.publicUrl,
    hooks: observability.hooks,
    logger,
    extend: (s) => {
      observability.attach(s);
      registerOps(s, { stores, checkMail, observability });
      bot.register(s);
    },
  });
  const http = gracefulStop(server.server);
  const port = await listen(server, config.port, config.host);
  notifier.start();

  return { port, server, service, bot, http, notifier };
}

/** `lateFromEnvFile`: variables `.env` set that Node reads only as it starts (`loadEnvFile`). */
async function main(lateFromEnvFile: string[]): Promise<void> {
  let config: Config;
  try {
    config = loadConfig();
    checkServiceConfig(config);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      process.exit(1);
    }
    throw err;
  }
  const logger = createLogger({ level: config.logLevel });
  if (lateFromEnvFile.length > 0) {
    logger.warn(
      { variables: lateFromEnvFile },
      '.env sets variables Node reads only as the process starts, so they have no effect: set them in the environment of the process instead (for a private CA, NODE_EXTRA_CA_CERTS there, or node --use-system-ca)',
    );
  }
  // Whatever escapes is still logged as JSON, redacted, before the process ends as Node would end it.
  const crash = (what: string) => (err: unknown) => {
    logger.fatal({ error: describeError(err) }, what);
    exitWhenLogged(logger, 1);
  };
  process.on('uncaughtException', crash('uncaught exception'));
  process.on('unhandledRejection', crash('unhandled rejection'));

  let app: App;
  try {
    app = await startApp(config, { logger });
  } catch (err) {
    if (!(err instanceof StartError)) return crash('start failed')(err);
    // Told to the operator in one line, as a configuration error is.
    process.stderr.write(`${err.message}\n`);
    return exitWhenLogged(logger, 1);
  }
  // Before 'listening' is said: what watches the start may stop the service as soon as it reads it,
  // and a signal with no handler yet would end the process at once, without a clean stop.
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) {
      logger.warn({ signal }, 'second signal: exiting at once');
      exitWhenLogged(logger, 1);
      return;
    }
    stopping = true;
    logger.info({ signal, graceMs: config.shutdownGraceMs }, 'stopping');
    app.close().then(
      (clean) => {
        if (clean) logger.info('stopped');
        else logger.warn({ graceMs: config.shutdownGraceMs }, 'stopped: requests still running after the grace period were cut');
        exitWhenLogged(logger, clean ? 0 : 1);
      },
      (err) => {
        logger.error({ error: describeError(err) }, 'unclean stop');
        exitWhenLogged(logger, 1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  logger.info(
    {
      port: app.port,
      store: config.mongo ? 'mongodb' : 'memory',
      mail: config.smtp ? 'smtp' : 'outbox',
      demo: config.seedDemo,
      bot: {
        company: config.bot.company,
        credentials: Boolean(config.bot.appId),
        manifest: `${config.publicUrl}/manifest/gsan-email-validation-manifest.json`,
      },
    },
    'listening',
  );
  // Said at once, not with the next batch of lines: what watches the start waits for it.
  logger.flush();
}

if (require.main === module) {
  requireSupportedNode();
  main(loadEnvFile()).catch((err) => {
    process.stderr.write(`Falha ao iniciar: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  });
}
