import pino, { type Logger } from 'pino';
import type { Server } from 'restify';
import { createServer, listen } from './api/server';
import { createBotDoor, type BotDoor } from './bots';
import { ConfigError, loadConfig, type Config } from './services/config';
import { seedDemo } from './services/demo';
import { EmailValidationService } from './services/emailValidation';
import { createOutboxMailer, createSmtpMailer, type Mailer } from './services/mail/mailer';
import { createMemoryStores } from './services/store/memory';
import { createMongoStores } from './services/store/mongo';
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
  /** The Bot Framework door on `/api/messages` and `/manifest/`: its state storage, its adapter. */
  bot: BotDoor;
  logger: Logger;
  close(): Promise<void>;
}

export interface AppOverrides {
  stores?: Stores;
  logger?: Logger;
  now?: () => Date;
}

export async function startApp(config: Config, overrides: AppOverrides = {}): Promise<App> {
  const logger = overrides.logger ?? pino({ level: config.logLevel, base: { service: 'gsan-email-validation' } });
  const stores =
    overrides.stores ?? (config.mongo ? await createMongoStores(config.mongo) : createMemoryStores());
  if (config.seedDemo) await seedDemo(stores);
  const mailer = config.smtp ? createSmtpMailer(config.smtp) : createOutboxMailer(config.outboxDir);
  const service = new EmailValidationService({
    stores,
    mailer,
    pepper: config.codePepper,
    codeTtlMinutes: config.codeTtlMinutes,
    now: overrides.now,
  });
  const bot = await createBotDoor({ config, service, stores, logger });
  const server = createServer({
    service,
    publicUrl: config.publicUrl,
    hooks: {
      onError: (req, err) => logger.error({ err, route: req.getRoute()?.path }, 'unexpected error'),
    },
    extend: (s) => bot.register(s),
  });
  const port = await listen(server, config.port, config.host);

  let closing: Promise<void> | undefined;
  const close = () =>
    (closing ??= (async () => {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      mailer.close();
      await stores.close();
    })());

  return { config, port, server, stores, mailer, service, bot, logger, close };
}

async function main(): Promise<void> {
  let config: Config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      process.exit(1);
    }
    throw err;
  }
  const app = await startApp(config);
  app.logger.info(
    {
      port: app.port,
      store: config.mongo ? 'mongodb' : 'memory',
      mail: config.smtp ? 'smtp' : `outbox (${config.outboxDir})`,
      demo: config.seedDemo,
      bot: {
        company: config.bot.company,
        credentials: Boolean(config.bot.appId),
        manifest: `${config.publicUrl}/manifest/gsan-email-validation-manifest.json`,
      },
    },
    `listening on http://localhost:${app.port}`,
  );
  const stop = (signal: string) => {
    app.logger.info({ signal }, 'stopping');
    app
      .close()
      .then(() => process.exit(0))
      .catch((err) => {
        app.logger.error({ err }, 'unclean stop');
        process.exit(1);
      });
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
}

if (require.main === module) {
  main().catch((err) => {
    process.stderr.write(`Falha ao iniciar: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  });
}
