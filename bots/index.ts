import { ConversationState, type Storage } from 'botbuilder';
import type { Db } from 'mongodb';
import type { Logger } from 'pino';
import type { Request } from 'restify';
import { ActivityRouterDialog } from '../dialogs/activityRouterDialog';
import { EmailValidationDialog } from '../dialogs/emailValidationDialog';
import type { Config } from '../services/runtime/config';
import type { EmailValidationPort } from '../services/port';
import type { Stores } from '../services/store/types';
import { createAdapter, type ReplyFailure } from './adapter';
import { EmailValidationBot } from './emailValidationBot';
import { loadManifests } from './manifest';
import { botRoutes, TURN_WINDOW_MS, type BotRoutes, type BotTurnReport } from './routes';

/**
 * The Bot Framework door, put together: the dialogs and the bot on the state storage, the adapter that
 * runs the bot's turns (bots/adapter.ts), the manifests, and the handlers that take HTTP requests to
 * the adapter (bots/routes.ts). Built with the door's first request (bots/lazyDoor.ts). Outside bots/
 * and dialogs/, nothing in the service imports the Bot Framework.
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

/** The door once built: the handlers of its routes, and its turns answered before they finished. */
export type BotDoor = BotRoutes;

/** Builds the door on `storage` (bots/lazyDoor.ts does, with its first request). */
export async function createBotDoor(opts: BotDoorOptions, storage: Storage): Promise<BotDoor> {
  const { config, logger } = opts;
  const router = new ActivityRouterDialog(new EmailValidationDialog(opts.service, config.bot.company));
  const bot = new EmailValidationBot(new ConversationState(storage), router);
  const adapter = createAdapter({
    bot: config.bot,
    logger,
    onTurnFailed: (context) => bot.recover(context),
    onReplyFailed: (failure) => opts.onReplyFailed?.(failure),
  });
  return botRoutes({
    adapter,
    logic: (context) => bot.run(context),
    manifests: loadManifests({ publicUrl: config.publicUrl, appId: config.bot.appId }),
    anonymous: !config.bot.appId,
    logger,
    turnWindowMs: opts.turnWindowMs ?? TURN_WINDOW_MS,
    onTurn: (turn) => opts.onTurn?.(turn),
    requestId: (req) => opts.requestId?.(req),
  });
}
