import type { Storage } from 'botbuilder';
import type { Server } from 'restify';
import type { BotDoor, BotDoorOptions } from './index';
import { createBotStorage } from './storage';

/**
 * The Bot Framework door as the service starts it: its routes are there from the start, and what the
 * operator must hear about the bot is said at start, but botbuilder, the dialogs and the adapter are
 * loaded and built with the door's first request. They are most of what the service would load (about
 * 40 MiB and half of the start, docs/performance.md), and a webhook never needs them.
 */

export const MESSAGES_PATH = '/api/messages';
export const MANIFEST_PATH = '/manifest';

export interface LazyBotDoor {
  /** Where the conversation state lives (MongoDB or memory). */
  storage: Storage;
  /** Registers the bot's routes (`createServer`'s `extend`). */
  register(server: Server): void;
  /** Resolves when every turn answered `202` before it finished has finished too (for a clean stop). */
  settled(): Promise<void>;
}

export async function createLazyBotDoor(opts: BotDoorOptions): Promise<LazyBotDoor> {
  const { config, logger } = opts;
  if (!config.bot.appId) {
    logger.warn(
      'no bot credentials (MicrosoftAppId): /api/messages answers loopback clients only and replies to a loopback serviceUrl only; for the Agents Playground or the Emulator on this machine',
    );
  }
  if (!(await opts.stores.companies.findBySigla(config.bot.company))) {
    // The service would refuse every conversation ("Chave de autenticação inválida."): say why at start.
    logger.warn({ company: config.bot.company }, 'BOT_COMPANY names no company in the store; the bot cannot send codes');
  }
  const storage = createBotStorage(opts.database);
  let door: Promise<BotDoor> | undefined;
  const load = () =>
    (door ??= (async () => {
      // `require`, not `import()`: the door is CommonJS, and tsx (the tests, `npm run dev`) hooks `require`.
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const { createBotDoor } = require('./index') as typeof import('./index');
      return createBotDoor(opts, storage);
    })().catch((err: unknown) => {
      // Tried again by the next request.
      door = undefined;
      throw err;
    }));
  return {
    storage,
    register(server) {
      server.post(MESSAGES_PATH, async (req, res) => (await load()).messages(req, res));
      server.get(`${MANIFEST_PATH}/:name`, async (req, res) => (await load()).manifest(req, res));
    },
    settled: async () => {
      if (door) await (await door).settled();
    },
  };
}
