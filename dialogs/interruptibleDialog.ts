import { ActivityTypes } from 'botbuilder';
import {
  ComponentDialog,
  Dialog,
  DialogTurnStatus,
  type DialogContext,
  type DialogTurnResult,
} from './botbuilderDialogs';
import { botTexts } from '../services/domain/texts';
import { isPhrase } from './sentences';
import { isSkillCall } from './skillCall';

/**
 * The base of every dialog that a person can interrupt: `cancelar` and `sair` end it anywhere,
 * `ajuda` explains the step the person is on and asks its question again. Interruptions are
 * handled here once, before the dialog's own steps see the message.
 */

export type InterruptCommand = 'cancel' | 'help';

/** The command a typed message is, if any: the whole message, case, accents and punctuation aside. */
export function commandOf(text: unknown): InterruptCommand | undefined {
  if (typeof text !== 'string') return undefined;
  if (isPhrase(text, botTexts.words.cancel)) return 'cancel';
  if (isPhrase(text, botTexts.words.help)) return 'help';
  return undefined;
}

export abstract class InterruptibleDialog extends ComponentDialog {
  /** What `ajuda` says while the inner dialog `activeDialogId` is waiting for an answer. */
  protected abstract helpText(activeDialogId: string | undefined): string;

  /** The result the dialog ends with when the person cancels it. */
  protected abstract cancelledResult(): unknown;

  override async onBeginDialog(innerDc: DialogContext, options?: object): Promise<DialogTurnResult> {
    const interrupted = await this.interrupt(innerDc, false);
    return interrupted ?? super.onBeginDialog(innerDc, options);
  }

  override async onContinueDialog(innerDc: DialogContext): Promise<DialogTurnResult> {
    const interrupted = await this.interrupt(innerDc, true);
    return interrupted ?? super.onContinueDialog(innerDc);
  }

  private async interrupt(innerDc: DialogContext, started: boolean): Promise<DialogTurnResult | undefined> {
    const activity = innerDc.context.activity;
    if (activity.type !== ActivityTypes.Message) return undefined;
    switch (commandOf(activity.text)) {
      case 'cancel':
        // Before the first question nothing was under way: saying "cancelled" would not be true.
        // Called as a skill, the person's next message goes to the root bot (docs/api.md §5).
        await innerDc.context.sendActivity(
          !started ? botTexts.nothingToCancel : isSkillCall(innerDc.context) ? botTexts.cancelledForRoot : botTexts.cancelled,
        );
        await innerDc.cancelAllDialogs();
        return { status: DialogTurnStatus.complete, result: this.cancelledResult() };
      case 'help':
        await innerDc.context.sendActivity(this.helpText(started ? innerDc.activeDialog?.id : undefined));
        // Before the first question, the help is followed by it; afterwards the question is asked again.
        if (!started || !innerDc.activeDialog) return undefined;
        await innerDc.repromptDialog();
        return Dialog.EndOfTurn;
      default:
        return undefined;
    }
  }
}
