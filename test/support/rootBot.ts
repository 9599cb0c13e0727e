import {
  ActivityHandler,
  ActivityTypes,
  ChannelServiceRoutes,
  CloudAdapter,
  CloudSkillHandler,
  ConfigurationBotFrameworkAuthentication,
  ConversationState,
  DeliveryModes,
  MemoryStorage,
  SkillConversationIdFactory,
  type Activity,
  type TurnContext,
} from 'botbuilder';
import { DialogSet, DialogTurnStatus, SkillDialog, WaterfallDialog, type DialogState, type WaterfallStepContext } from 'botbuilder-dialogs';
import type { BotFrameworkClient } from 'botframework-connector';
import pino from 'pino';
import restify from 'restify';
import { START_EVENT } from '../../dialogs/activityRouterDialog';

/**
 * A root bot built from botbuilder's own skill parts, wired as Microsoft's skills sample
 * (BotBuilder-Samples 81.skills-skilldialog, dialogRootBot) wires them: a `CloudAdapter`, a
 * `SkillDialog` that calls the skill through the skill HTTP client of botbuilder's authentication,
 * and the skill's replies taken by `CloudSkillHandler` on `ChannelServiceRoutes` of a restify server
 * of its own, forwarded to the root's own channel. Without credentials, on loopback. Like the
 * sample's, an error in a turn is told to its channel ("The bot encountered an error or bug.") and
 * clears its state; every such error is kept in `errors`.
 *
 * The person talks to the root through its channel: any message starts the skill with the event
 * `enviarCodigoValidacaoEmailCliente` (its `value`: `start`); later messages go to the skill; the
 * root's own word `abortar` cancels the skill from the root (SkillDialog sends it `endOfConversation`).
 */

/** What the person types to the root to cancel the skill from the root (the sample's "abort"). */
export const ROOT_CANCEL = 'abortar';
/** What the root says when the skill ended, before the result's JSON. */
export const ROOT_RESULT = 'Resultado da habilidade:';
/** What the root's error handler says, as the sample's. */
export const ROOT_ERROR = 'The bot encountered an error or bug.';

const SKILL_DIALOG = 'gsanEmailValidation';
const ROOT_STEPS = 'rootSteps';

export interface RootBotOptions {
  /** The skill's `/api/messages`. */
  skillEndpoint: string;
  /** How the root calls the skill: replies posted back to it, or in the answer (`expectReplies`). */
  deliveryMode: 'normal' | 'expectReplies';
  /** The start event's `value`. */
  start?: { cpfCnpj?: string; email?: string };
}

export interface TestRootBot {
  /** Where the root's channel posts (`${baseUrl}/api/messages`). */
  baseUrl: string;
  /** What each `SkillDialog` returned to the root when the skill ended: the `endOfConversation` value. */
  results: unknown[];
  /** Errors that reached the root's error handler. */
  errors: Error[];
  /** The HTTP status of each of the root's posts to the skill, in order. */
  skillAnswers: number[];
  /** The conversation ids the root gave the skill (the skill's state key holds one). */
  skillConversationIds: string[];
  close(): Promise<void>;
}

export async function startRootBot(opts: RootBotOptions): Promise<TestRootBot> {
  const root: Omit<TestRootBot, 'baseUrl' | 'close'> = { results: [], errors: [], skillAnswers: [], skillConversationIds: [] };

  const auth = new ConfigurationBotFrameworkAuthentication({});
  const adapter = new CloudAdapter(auth);
  const conversationState = new ConversationState(new MemoryStorage());
  const conversationIdFactory = new SkillConversationIdFactory(new MemoryStorage());
  const skillClient = recording(auth.createBotFrameworkClient(), root);

  const server = restify.createServer({
    maxParamLength: 1000,
    handleUncaughtExceptions: false,
    log: pino({ level: 'silent' }) as unknown as restify.ServerOptions['log'],
  });
  server.use(restify.plugins.bodyParser());
  await new Promise<void>((resolve) => {
    server.listen(0, '127.0.0.1', resolve);
  });
  const baseUrl = `http://127.0.0.1:${server.address().port}`;

  const dialogState = conversationState.createProperty<DialogState>('DialogState');
  const dialogs = new DialogSet(dialogState)
    .add(
      new SkillDialog(
        {
          botId: '',
          conversationIdFactory,
          conversationState,
          skill: { id: SKILL_DIALOG, appId: '', skillEndpoint: opts.skillEndpoint },
          skillHostEndpoint: `${baseUrl}/api/skills`,
          skillClient,
        },
        SKILL_DIALOG,
      ),
    )
    .add(
      new WaterfallDialog(ROOT_STEPS, [
        (step) =>
          step.beginDialog(SKILL_DIALOG, {
            activity: {
              type: ActivityTypes.Event,
              name: START_EVENT,
              value: opts.start ?? {},
              deliveryMode: opts.deliveryMode === 'expectReplies' ? DeliveryModes.ExpectReplies : undefined,
            } as Activity,
          }),
        async (step: WaterfallStepContext) => {
          root.results.push(step.result);
          await step.context.sendActivity(`${ROOT_RESULT} ${JSON.stringify(step.result ?? null)}`);
          return step.endDialog();
        },
      ]),
    );

  const bot = new ActivityHandler();
  bot.onTurn(async (context, next) => {
    if (context.activity.type !== ActivityTypes.ConversationUpdate) await runRootDialog(dialogs, context);
    await conversationState.saveChanges(context, false);
    await next();
  });

  adapter.onTurnError = async (context, error) => {
    root.errors.push(error);
    try {
      await context.sendActivity(ROOT_ERROR);
    } finally {
      await conversationState.delete(context);
    }
  };

  server.post('/api/messages', async (req: restify.Request, res: restify.Response) => {
    await adapter.process(req, res, (context) => bot.run(context));
  });
  const handler = new CloudSkillHandler(adapter, (context) => bot.run(context), conversationIdFactory, auth);
  new ChannelServiceRoutes(handler).register(server, '/api/skills');

  return {
    ...root,
    baseUrl,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.server.closeAllConnections();
      }),
  };
}

/** The root's turn, as the sample's main dialog runs it, with its own cancel in front. */
async function runRootDialog(dialogs: DialogSet, context: TurnContext): Promise<void> {
  const dc = await dialogs.createContext(context);
  const { activity } = context;
  if (activity.type === ActivityTypes.Message && activity.text === ROOT_CANCEL && dc.activeDialog) {
    // SkillDialog, cancelled, tells the skill with an endOfConversation.
    await dc.cancelAllDialogs();
    return;
  }
  const turn = await dc.continueDialog();
  if (turn.status === DialogTurnStatus.empty && activity.type === ActivityTypes.Message) await dc.beginDialog(ROOT_STEPS);
}

/** botbuilder's skill client, noting the status of each answer of the skill and the conversation ids. */
function recording(client: BotFrameworkClient, root: Pick<TestRootBot, 'skillAnswers' | 'skillConversationIds'>): BotFrameworkClient {
  return {
    postActivity: async (fromBotId, toBotId, toUrl, serviceUrl, conversationId, activity) => {
      if (!root.skillConversationIds.includes(conversationId)) root.skillConversationIds.push(conversationId);
      const answer = await client.postActivity(fromBotId, toBotId, toUrl, serviceUrl, conversationId, activity);
      root.skillAnswers.push(answer.status);
      return answer;
    },
  };
}
