import { ActivityTypes } from 'botbuilder';
import {
  ComponentDialog,
  Dialog,
  DialogTurnStatus,
  type DialogContext,
  type DialogTurnResult,
} from 'botbuilder-dialogs';
import { botTexts } from '../services/texts';

/**
 * The base of every dialog that a person can interrupt: `cancelar` and `sair` end it anywhere,
 * `ajuda` explains the step the person is on and asks its question again. Interruptions are
 * handled here once, before the dialog's own steps see the message.
 */

export type InterruptCommand = 'cancel' | 'help' | 'resend';

/** The command a typed text is, if any. */
export function commandOf(text: unknown): InterruptCommand | undefined {
  if (typeof text !== 'string') return undefined;
  const word = text.trim().toLowerCase();
  for (const [command, words] of Object.entries(botTexts.commands) as [InterruptCommand, readonly string[]][]) {
    if (words.includes(word)) return command;
  }
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
        await innerDc.context.sendActivity(started ? botTexts.cancelled : botTexts.nothingToCancel);
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
