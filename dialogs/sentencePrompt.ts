import { ActivityTypes, InputHints, MessageFactory, type Activity, type TurnContext } from 'botbuilder';
import { Dialog, type DialogContext, type DialogInstance, type DialogTurnResult } from './botbuilderDialogs';
import type { Reading } from './sentences';

/**
 * A question whose answer is read out of a sentence (docs/api.md §5): one candidate is the answer;
 * a candidate that fails its check is `inválido` and spends one of the tries; two candidates, or
 * none, are asked about again without spending one.
 */

/** Answers that fail their check before the prompt gives up. */
export const MAX_TRIES = 3;

/** A question: its text, sent with `inputHint: expectingInput`, and buttons where channels show them. */
export function question(text: string, actions: readonly string[] = []): Partial<Activity> {
  const activity = actions.length > 0 ? MessageFactory.suggestedActions([...actions], text) : MessageFactory.text(text);
  return { ...activity, inputHint: InputHints.ExpectingInput };
}

export interface SentencePromptOptions {
  /** The question. */
  ask: Partial<Activity>;
  /** Said for a candidate that fails its check. */
  invalid: Partial<Activity>;
  /** Said for two different candidates. */
  ambiguous: Partial<Activity>;
  /** Said for a message with no candidate: the question with an example. */
  none: Partial<Activity>;
  /**
   * A text read as the first answer, before anything is asked: the conversation's first message, or
   * a value the skill was started with. When it holds no candidate, the question is asked.
   */
  first?: string;
}

/** How the prompt ended: the value read, or the tries spent on candidates that failed their check. */
export type PromptResult<T> = { value: T } | { triesSpent: true };

interface PromptState {
  options: SentencePromptOptions;
  tries: number;
}

export class SentencePrompt<T> extends Dialog<SentencePromptOptions> {
  constructor(
    dialogId: string,
    private readonly read: (text: string) => Reading<T>,
  ) {
    super(dialogId);
  }

  override async beginDialog(dc: DialogContext, options?: SentencePromptOptions): Promise<DialogTurnResult> {
    if (!options) throw new TypeError(`${this.id}: options are required`);
    const state: PromptState = { options, tries: 0 };
    Object.assign(dc.activeDialog!.state, state);
    const reading = options.first === undefined ? undefined : this.read(options.first);
    if (reading && reading.kind !== 'none') return this.answer(dc, reading);
    await dc.context.sendActivity(options.ask);
    return Dialog.EndOfTurn;
  }

  override async continueDialog(dc: DialogContext): Promise<DialogTurnResult> {
    const { activity } = dc.context;
    if (activity.type !== ActivityTypes.Message) return Dialog.EndOfTurn;
    return this.answer(dc, this.read(activity.text ?? ''));
  }

  override async repromptDialog(context: TurnContext, instance: DialogInstance): Promise<void> {
    await context.sendActivity((instance.state as PromptState).options.ask);
  }

  private async answer(dc: DialogContext, reading: Reading<T>): Promise<DialogTurnResult> {
    const state = dc.activeDialog!.state as PromptState;
    switch (reading.kind) {
      case 'value':
        return dc.endDialog({ value: reading.value } satisfies PromptResult<T>);
      case 'invalid':
        state.tries += 1;
        if (state.tries >= MAX_TRIES) return dc.endDialog({ triesSpent: true } satisfies PromptResult<T>);
        await dc.context.sendActivity(state.options.invalid);
        return Dialog.EndOfTurn;
      case 'ambiguous':
        await dc.context.sendActivity(state.options.ambiguous);
        return Dialog.EndOfTurn;
      case 'none':
        await dc.context.sendActivity(state.options.none);
        return Dialog.EndOfTurn;
    }
  }
}
