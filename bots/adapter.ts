import {
  ActivityTypes,
  Channels,
  CloudAdapter,
  ConfigurationBotFrameworkAuthentication,
  DeliveryModes,
  TextFormatTypes,
  type Activity,
  type InvokeResponse,
  type ResourceResponse,
  type TurnContext,
} from 'botbuilder';
import {
  AuthenticationConfiguration,
  allowedCallersClaimsValidator,
  type BotFrameworkAuthentication,
  type ConnectorClient,
} from 'botframework-connector';
import type { Logger } from 'pino';
import type { Config } from '../services/runtime/config';

/**
 * The Bot Framework adapter: authentication from the `MicrosoftApp*` variables, callers limited by
 * `ALLOWED_CALLERS`, each reply posted within its own bound, and the one place an unexpected error in
 * a turn is caught. It knows nothing of the bot it runs: the door hands it each turn's logic, and the
 * wiring what to do after a turn failed (bots/index.ts).
 */

/** Where a turn keeps the id of the HTTP request that carried it (`TurnContext.turnState`). */
const REQUEST_ID = Symbol('requestId');

/** Why a reply did not reach the channel or the root bot: no answer within its bound, or a failure. */
export type ReplyFailure = 'timeout' | 'failed';

export interface AdapterOptions {
  bot: Config['bot'];
  logger: Logger;
  /** After an unexpected error in a turn was logged: what the bot says, and what it clears. */
  onTurnFailed(context: TurnContext): Promise<void>;
  /** Called once per reply that was not delivered (for the metrics). */
  onReplyFailed?(failure: ReplyFailure): void;
}

/**
 * botbuilder's `CloudAdapter`, with each turn run for the door (bots/routes.ts), which writes the
 * answer and words its refusals: no stack printed for a caller whose token is refused.
 *
 * Each reply is its own POST to the caller's `serviceUrl` (the channel, or the root bot that forwards
 * it to its own channel before it answers), bounded by `BOT_REPLY_TIMEOUT_MS`, retries included.
 * That time is the caller's, not the service's (docs/api.md §6): a reply that times out or fails is
 * logged and counted, and the turn goes on, so its work is kept and its state saved.
 */
export class DoorAdapter extends CloudAdapter {
  constructor(
    auth: BotFrameworkAuthentication,
    private readonly logger: Logger,
    private readonly replyTimeoutMs: number,
    private readonly onReplyFailed: (failure: ReplyFailure) => void = () => {},
  ) {
    super(auth);
  }

  /**
   * Authenticates `authHeader` and runs one turn of `logic`, its log lines carrying `requestId`; the
   * invoke response, if any. Throws `AuthenticationError` for a refused caller.
   */
  runTurn(
    authHeader: string,
    activity: Activity,
    requestId: string | undefined,
    logic: (context: TurnContext) => Promise<void>,
  ): Promise<InvokeResponse | undefined> {
    return this.processActivity(authHeader, activity, (context) => {
      context.turnState.set(REQUEST_ID, requestId);
      return logic(context);
    });
  }

  override async sendActivities(context: TurnContext, activities: Partial<Activity>[]): Promise<ResourceResponse[]> {
    const responses: ResourceResponse[] = [];
    for (const activity of activities) {
      responses.push(isPost(activity) ? await this.post(context, activity) : (await super.sendActivities(context, [activity]))[0]);
    }
    return responses;
  }

  /** One reply, as botbuilder posts it, within its bound; a reply not delivered is logged, never thrown. */
  private async post(context: TurnContext, activity: Partial<Activity>): Promise<ResourceResponse> {
    delete activity.id;
    const { conversations } = context.turnState.get<ConnectorClient>(this.ConnectorClientKey);
    const conversationId = activity.conversation!.id;
    // A cleared timer, not `AbortSignal.timeout`: that one's timer lives its whole bound after the
    // reply is done, thousands of them at a busy time (docs/performance.md).
    const abort = new AbortController();
    const timer = setTimeout(() => abort.abort(), this.replyTimeoutMs);
    const options = { abortSignal: abort.signal };
    try {
      return activity.replyToId
        ? await conversations.replyToActivity(conversationId, activity.replyToId, activity, options)
        : await conversations.sendToConversation(conversationId, activity, options);
    } catch (err) {
      const failure: ReplyFailure = abort.signal.aborted ? 'timeout' : 'failed';
      // Never the error's message: a channel's answer may quote what it was sent.
      const { name, code, statusCode } = err as { name?: string; code?: string; statusCode?: number };
      this.logger.warn(
        {
          reqId: context.turnState.get(REQUEST_ID),
          activityType: activity.type,
          failure,
          timeoutMs: this.replyTimeoutMs,
          status: statusCode,
          error: { type: name, code },
        },
        'reply not delivered',
      );
      this.onReplyFailed(failure);
      return { id: '' };
    } finally {
      clearTimeout(timer);
    }
  }
}

/**
 * Whether botbuilder would POST `activity` to the `serviceUrl`: not a delay, not an invoke's own
 * answer, not a trace outside the Emulator (the rule of botbuilder's `CloudAdapterBase`). Replies in
 * the `expectReplies` delivery mode never come here: botbuilder buffers them for the answer.
 */
function isPost(activity: Partial<Activity>): boolean {
  switch (activity.type) {
    case 'delay':
    case ActivityTypes.InvokeResponse:
      return false;
    case ActivityTypes.Trace:
      return activity.channelId === Channels.Emulator;
    default:
      return true;
  }
}

/** Whether the caller takes the turn's replies in the answer (`expectReplies`) rather than as posts. */
function expectsReplies(context: TurnContext): boolean {
  return context.activity.deliveryMode === DeliveryModes.ExpectReplies;
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
  const adapter = new DoorAdapter(auth, logger, bot.replyTimeoutMs, (failure) => opts.onReplyFailed?.(failure));
  adapter.use(async (context, next) => {
    context.onSendActivities(async (_context, activities, send) => {
      // A typing indicator in the answer of an `expectReplies` turn would only arrive with the replies
      // it announces: left out (botbuilder sends what is left of this same array).
      if (expectsReplies(context)) removeWhere(activities, (activity) => activity.type === ActivityTypes.Typing);
      if (activities.length === 0) return [];
      // Every text is plain: a masked email (`aaa*****bbb@email.com`) read as markdown turns into bold
      // and a link to another address. Nothing the bot says uses markdown.
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
      await opts.onTurnFailed(context);
    } catch (err) {
      logger.error({ err }, 'could not answer or clear a failed bot turn');
    }
  };
  return adapter;
}

/** Removes, in place, the items of `items` that `match`. */
function removeWhere<T>(items: T[], match: (item: T) => boolean): void {
  for (let i = items.length - 1; i >= 0; i--) if (match(items[i])) items.splice(i, 1);
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
