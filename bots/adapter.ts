import {
  ActivityTypes,
  CloudAdapter,
  ConfigurationBotFrameworkAuthentication,
  TextFormatTypes,
  type Activity,
  type InvokeResponse,
  type BotState,
  type TurnContext,
} from 'botbuilder';
import { AuthenticationConfiguration, allowedCallersClaimsValidator } from 'botframework-connector';
// Not re-exported by botbuilder's index: the same parsing of timestamps `CloudAdapter.process` does.
import { validateAndFixActivity } from 'botbuilder/lib/activityValidator';
import type { Logger } from 'pino';
import type { Config } from '../services/config';
import { botTexts } from '../services/texts';
import { isSkillCall } from '../dialogs/skillCall';
import { sendEndOfConversation } from './emailValidationBot';

/**
 * The Bot Framework adapter: authentication from the `MicrosoftApp*` variables, callers limited by
 * `ALLOWED_CALLERS`, and the one place an unexpected error in a turn is caught.
 */

/** Where a turn keeps the id of the HTTP request that carried it (`TurnContext.turnState`). */
export const REQUEST_ID = Symbol('requestId');

/** `endOfConversation` code a skill uses for its own failure (as the Bot Framework skill samples). */
export const SKILL_ERROR = 'SkillError';

export interface AdapterOptions {
  bot: Config['bot'];
  logger: Logger;
  /** Cleared when a turn fails, so the next message starts afresh. */
  conversationState: BotState;
}

/**
 * botbuilder's `CloudAdapter`, with each turn run for the door (`bots/index.ts`), which writes the
 * answer and words its refusals: no stack printed for a caller whose token is refused.
 */
export class DoorAdapter extends CloudAdapter {
  /** Authenticates `authHeader` and runs one turn; the invoke response, if any. Throws `AuthenticationError` for a refused caller. */
  runTurn(authHeader: string, activity: Activity, logic: (context: TurnContext) => Promise<void>): Promise<InvokeResponse | undefined> {
    return this.processActivity(authHeader, validateAndFixActivity(activity), logic);
  }
}

export function createAdapter(opts: AdapterOptions): DoorAdapter {
  const { bot, logger } = opts;
  const auth = new ConfigurationBotFrameworkAuthentication(
    {
      MicrosoftAppId: bot.appId,
      MicrosoftAppPassword: bot.appPassword,
      MicrosoftAppType: bot.appType,
      MicrosoftAppTenantId: bot.tenantId,
    },
    undefined,
    authenticationConfiguration(bot),
  );
  const adapter = new DoorAdapter(auth);
  // Every text is plain: a masked email (`aaa*****bbb@email.com`) read as markdown turns into bold
  // and a link to another address. Nothing the bot says uses markdown.
  adapter.use(async (context, next) => {
    context.onSendActivities(async (_context, activities, send) => {
      for (const activity of activities) if (activity.type === ActivityTypes.Message) activity.textFormat ??= TextFormatTypes.Plain;
      return send();
    });
    await next();
  });

  adapter.onTurnError = async (context: TurnContext, error: Error) => {
    const activity = context.activity;
    logger.error(
      {
        reqId: context.turnState.get(REQUEST_ID),
        err: error,
        activityType: activity.type,
        channelId: activity.channelId,
        conversationId: activity.conversation?.id,
      },
      'unexpected error in a bot turn',
    );
    try {
      await context.sendActivity(botTexts.unexpectedError);
    } catch (err) {
      logger.error({ err }, 'could not answer a failed bot turn');
    }
    if (isSkillCall(context)) {
      await sendEndOfConversation(context, { type: ActivityTypes.EndOfConversation, code: SKILL_ERROR }, logger);
    }
    try {
      await opts.conversationState.delete(context);
    } catch (err) {
      logger.error({ err }, 'could not clear the state of a failed bot turn');
    }
  };
  return adapter;
}

/**
 * What botbuilder checks of a caller's token beyond Bot Framework's own rules: the root bots allowed
 * (`ALLOWED_CALLERS`), and the issuers of the tenants whose tokens are accepted (`ALLOWED_TENANT_IDS`:
 * a single-tenant Copilot Studio agent signs with its tenant's Entra ID, v1 and v2 issuers).
 */
export function authenticationConfiguration(bot: Config['bot']): AuthenticationConfiguration {
  const issuers = bot.allowedTenantIds.flatMap((tenant) => [
    `https://sts.windows.net/${tenant}/`,
    `https://login.microsoftonline.com/${tenant}/v2.0`,
  ]);
  return new AuthenticationConfiguration([], callersValidator(bot), issuers);
}

/**
 * With credentials, only the root bots in `ALLOWED_CALLERS` (or any, with `*`) may call the skill;
 * with an empty list no root bot may (botbuilder refuses skill claims nobody validates), while
 * channels still reach it. Without credentials botbuilder authenticates nobody and validates nothing.
 */
export function callersValidator(bot: Config['bot']) {
  if (!bot.appId || bot.allowedCallers.length === 0) return undefined;
  return allowedCallersClaimsValidator(bot.allowedCallers);
}
