import { ConversationState, type Storage } from 'botbuilder';
import type { Db } from 'mongodb';
import type { Logger } from 'pino';
import type { Request, Server } from 'restify';
import { ActivityRouterDialog } from '../dialogs/activityRouterDialog';
import { EmailValidationDialog } from '../dialogs/emailValidationDialog';
import type { Config } from '../services/config';
import type { EmailValidationPort } from '../services/port';
import type { Stores } from '../services/store/types';
import { createAdapter, type ReplyFailure } from './adapter';
import { EmailValidationBot } from './emailValidationBot';
import { loadManifests } from './manifest';
import { botRoutes, TURN_WINDOW_MS, type BotTurnReport } from './routes';
import { createBotStorage } from './storage';

/**
 * The Bot Framework door, put together: the state storage, the dialogs and the bot, the adapter that
 * runs the bot's turns (bots/adapter.ts), the manifests, and the routes that take HTTP requests to the
 * adapter (bots/routes.ts). Outside bots/ and dialogs/, nothing in the service imports the Bot Framework.
 */

export interface BotDoorOptions {
  config: Config;
  service: EmailValidationPort;
  /** The MongoDB database the conversation state lives in, beside the stores; in memory without one. */
  database: Db | undefined;
  /** For the start's check that `BOT_COMPANY` exists. */
  stores: Stores;
  logger: Logger;
  /** Called once per turn, for the turn's log line and metrics. */
  onTurn?(turn: BotTurnReport): void;
  /** The id the request's log line carries, for the log lines of its turn. */
  requestId?(req: Request): string | undefined;
  /** Called once per reply that did not reach the channel or the root bot, for the metrics. */
  onReplyFailed?(failure: ReplyFailure): void;
  /** When a turn still running is answered `202`; `TURN_WINDOW_MS` unless a test shortens it. */
  turnWindowMs?: number;
}

export interface BotDoor {
  /** Where the conversation state lives (MongoDB or memory). */
  storage: Storage;
  /** Registers the bot's routes (`createServer`'s `extend`). */
  register(server: Server): void;
  /** Resolves when every turn answered `202` before it finished has finished too (for a clean stop). */
  settled(): Promise<void>;
}

export async function createBotDoor(opts: BotDoorOptions): Promise<BotDoor> {
  const { config, logger } = opts;
  const anonymous = !config.bot.appId;
  if (anonymous) {
    logger.warn(
      'no bot credentials (MicrosoftAppId): /api/messages answers loopback clients only and replies to a loopback serviceUrl only; for the Agents Playground or the Emulator on this machine',
    );
  }
  if (!(await opts.stores.companies.findBySigla(config.bot.company))) {
    // The service would refuse every conversation ("Chave de autenticação inválida."): say why at start.
    logger.warn({ company: config.bot.company }, 'BOT_COMPANY names no company in the store; the bot cannot send codes');
  }
  const storage = createBotStorage(opts.database);
  const router = new ActivityRouterDialog(new EmailValidationDialog(opts.service, config.bot.company));
  const bot = new EmailValidationBot(new ConversationState(storage), router);
  const adapter = createAdapter({
    bot: config.bot,
    logger,
    onTurnFailed: (context) => bot.recover(context),
    onReplyFailed: (failure) => opts.onReplyFailed?.(failure),
  });
  const routes = botRoutes({
    adapter,
    logic: (context) => bot.run(context),
    manifests: loadManifests({ publicUrl: config.publicUrl, appId: config.bot.appId }),
    anonymous,
    logger,
    turnWindowMs: opts.turnWindowMs ?? TURN_WINDOW_MS,
    onTurn: (turn) => opts.onTurn?.(turn),
    requestId: (req) => opts.requestId?.(req),
  });
  return { storage, ...routes };
}
