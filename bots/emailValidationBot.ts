import {
  ActivityHandler,
  ActivityTypes,
  EndOfConversationCodes,
  type Activity,
  type ConversationState,
  type TurnContext,
} from 'botbuilder';
import { DialogSet, DialogTurnStatus, type Dialog, type DialogState } from '../dialogs/botbuilderDialogs';
import { botTexts } from '../services/domain/texts';
import { isStartEvent } from '../dialogs/activityRouterDialog';
import { isSkillCall } from '../dialogs/skillCall';
import type { EmailValidationResult } from '../dialogs/emailValidationDialog';

/** `endOfConversation` code a skill uses for its own failure (as the Bot Framework skill samples). */
const SKILL_ERROR = 'SkillError';

/**
 * The skill's bot, kept thin: greets a new conversation, runs the root dialog on messages and
 * events, tells a calling root bot how it ended (`endOfConversation`), and drops the conversation's
 * state when it ends, when the root bot ends it, or when a turn fails (`recover`).
 */
export class EmailValidationBot extends ActivityHandler {
  private readonly dialogs: DialogSet;

  constructor(
    private readonly conversationState: ConversationState,
    private readonly rootDialog: Dialog,
  ) {
    super();
    this.dialogs = new DialogSet(conversationState.createProperty<DialogState>('DialogState')).add(rootDialog);

    this.onMembersAdded(async (context, next) => {
      const bot = context.activity.recipient?.id;
      for (const member of context.activity.membersAdded ?? []) {
        if (member.id !== bot) await context.sendActivity(botTexts.welcome);
      }
      await next();
    });
    this.onMessage(async (context, next) => {
      await this.runDialog(context);
      await next();
    });
    this.onEvent(async (context, next) => {
      await this.runDialog(context);
      await next();
    });
    // The root bot ends the conversation: whatever was running stops and its state goes.
    this.onEndOfConversation(async (context, next) => {
      const dc = await this.dialogs.createContext(context);
      await dc.cancelAllDialogs();
      await this.conversationState.delete(context);
      await next();
    });
    this.onDialog(async (context, next) => {
      await this.conversationState.saveChanges(context);
      await next();
    });
  }

  /**
   * After a turn failed unexpectedly (the adapter logged it): an apology, the end with `SkillError` for
   * a root bot that called, and the conversation's state dropped, so the next message starts afresh.
   * The state goes even when the apology cannot be sent.
   */
  async recover(context: TurnContext): Promise<void> {
    try {
      await context.sendActivity(botTexts.unexpectedError);
      if (isSkillCall(context)) await context.sendActivity({ type: ActivityTypes.EndOfConversation, code: SKILL_ERROR });
    } finally {
      await this.conversationState.delete(context);
    }
  }

  private async runDialog(context: TurnContext): Promise<void> {
    const dc = await this.dialogs.createContext(context);
    // A new start event replaces a validation under way.
    if (isStartEvent(context.activity) && dc.activeDialog) await dc.cancelAllDialogs();
    let turn = await dc.continueDialog();
    if (turn.status === DialogTurnStatus.empty) turn = await dc.beginDialog(this.rootDialog.id);
    if (turn.status !== DialogTurnStatus.complete && turn.status !== DialogTurnStatus.cancelled) return;

    await this.conversationState.delete(context);
    const result = turn.result as EmailValidationResult | undefined;
    if (result && isSkillCall(context)) await context.sendActivity(endOfConversation(result));
  }
}

/**
 * How the skill hands the result back. In a plain chat (the Emulator) the activity is harmless:
 * the conversation simply starts over with the next message.
 */
export function endOfConversation(result: EmailValidationResult): Partial<Activity> {
  return {
    type: ActivityTypes.EndOfConversation,
    code: result.cancelled ? EndOfConversationCodes.UserCancelled : EndOfConversationCodes.CompletedSuccessfully,
    value: { validado: result.validado, mensagemCritica: result.mensagemCritica, emailValidado: result.emailValidado },
  };
}
