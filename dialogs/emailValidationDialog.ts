import { ActivityTypes, MessageFactory, type TurnContext } from 'botbuilder';
import {
  TextPrompt,
  WaterfallDialog,
  type DialogTurnResult,
  type PromptValidatorContext,
  type WaterfallStepContext,
} from 'botbuilder-dialogs';
import { parseCode } from '../services/code';
import { parseDocument } from '../services/document';
import { maskEmail, parseEmail } from '../services/email';
import type { CompanyRef, ConversationRef } from '../services/emailValidation';
import type { Outcome } from '../services/outcome';
import type { EmailValidationPort } from '../services/port';
import { botTexts, texts } from '../services/texts';
import { commandOf, InterruptibleDialog } from './interruptibleDialog';

/**
 * The conversation of CONTRACT §5: CPF/CNPJ, email, the service's send, the code, the service's
 * confirmation. It translates in and out only: whether a CPF/CNPJ, email or code is well formed is
 * asked of the same pure functions the service uses, and everything else is the service's answer,
 * relayed word for word.
 */

export const EMAIL_VALIDATION_DIALOG = 'emailValidationDialog';
const MAIN_STEPS = 'emailValidationSteps';
const CODE_STEPS = 'codeSteps';
export const DOCUMENT_PROMPT = 'documentPrompt';
export const EMAIL_PROMPT = 'emailPrompt';
export const CODE_PROMPT = 'codePrompt';

/** Answers a prompt re-asks for before the dialog gives up. */
export const MAX_TRIES = 3;

/** What the dialog can be started with (the skill event's `value`); each is asked for when missing or invalid. */
export interface EmailValidationDialogOptions {
  cpfCnpj?: string;
  email?: string;
}

/** How the dialog ended: the skill's `endOfConversation` value, and whether the person cancelled. */
export interface EmailValidationResult {
  validado: 'S' | 'N';
  mensagemCritica: string;
  /** The validated address; `""` unless `validado` is `S`. */
  emailValidado: string;
  cancelled: boolean;
}

/** What the main steps remember between turns. */
interface StepValues {
  document: string;
}

interface CodeStepsOptions {
  document: string;
  email: string;
  /** Asked before: a shorter question. */
  again?: boolean;
}

/** `text` with a button that starts the conversation again (any message does; the button says so). */
const offerRestart = (text: string) => MessageFactory.suggestedActions([botTexts.restartAction], text);

/** Who asks, for the service's anti-automation limits: this conversation and its channel user. */
const conversationOf = (context: TurnContext): ConversationRef => ({
  channelId: context.activity.channelId,
  id: context.activity.conversation.id,
  userId: context.activity.from.id,
});

const refused = (mensagemCritica: string): EmailValidationResult => ({
  validado: 'N',
  mensagemCritica,
  emailValidado: '',
  cancelled: false,
});

export class EmailValidationDialog extends InterruptibleDialog {
  private readonly company: CompanyRef;

  constructor(
    private readonly service: EmailValidationPort,
    companySigla: string,
  ) {
    super(EMAIL_VALIDATION_DIALOG);
    this.company = { sigla: companySigla };
    this.addDialog(new TextPrompt(DOCUMENT_PROMPT, acceptWhen((text) => parseDocument(text) !== null)))
      .addDialog(new TextPrompt(EMAIL_PROMPT, acceptWhen((text) => parseEmail(text) !== null)))
      .addDialog(
        new TextPrompt(CODE_PROMPT, acceptWhen((text) => commandOf(text) === 'resend' || parseCode(text) !== null)),
      )
      .addDialog(
        new WaterfallDialog(MAIN_STEPS, [
          this.askDocument.bind(this),
          this.askEmail.bind(this),
          this.sendCode.bind(this),
          this.finish.bind(this),
        ]),
      )
      .addDialog(new WaterfallDialog(CODE_STEPS, [this.askCode.bind(this), this.checkCode.bind(this)]));
    this.initialDialogId = MAIN_STEPS;
  }

  protected override helpText(activeDialogId: string | undefined): string {
    switch (activeDialogId) {
      case DOCUMENT_PROMPT:
        return botTexts.help.document;
      case EMAIL_PROMPT:
        return botTexts.help.email;
      case CODE_PROMPT:
        return botTexts.help.code;
      default:
        return botTexts.help.general;
    }
  }

  protected override cancelledResult(): EmailValidationResult {
    return { ...refused(''), cancelled: true };
  }

  private async askDocument(step: WaterfallStepContext<EmailValidationDialogOptions>): Promise<DialogTurnResult> {
    return askUnlessGiven(step, step.options?.cpfCnpj, parseDocument, DOCUMENT_PROMPT, botTexts.askDocument, botTexts.retryDocument);
  }

  private async askEmail(step: WaterfallStepContext<EmailValidationDialogOptions>): Promise<DialogTurnResult> {
    const document = parseDocument(String(step.result ?? ''));
    if (!document) {
      await step.context.sendActivity(offerRestart(botTexts.documentTriesSpent));
      return step.endDialog(refused(texts.invalidDocument));
    }
    (step.values as StepValues).document = document;
    return askUnlessGiven(step, step.options?.email, parseEmail, EMAIL_PROMPT, botTexts.askEmail, botTexts.retryEmail);
  }

  private async sendCode(step: WaterfallStepContext<EmailValidationDialogOptions>): Promise<DialogTurnResult> {
    const email = parseEmail(String(step.result ?? ''));
    if (!email) {
      await step.context.sendActivity(offerRestart(botTexts.emailTriesSpent));
      return step.endDialog(refused(texts.invalidEmail));
    }
    const { document } = step.values as StepValues;
    const outcome = await this.mailCode(step.context, document, email);
    if (outcome.validado !== 'S') return this.endRelaying(step, outcome);
    await step.context.sendActivity(botTexts.codeSent(maskEmail(email), this.service.codeTtlMinutes));
    return step.beginDialog(CODE_STEPS, { document, email } satisfies CodeStepsOptions);
  }

  private async finish(step: WaterfallStepContext): Promise<DialogTurnResult> {
    return step.endDialog(step.result);
  }

  private async askCode(step: WaterfallStepContext<CodeStepsOptions>): Promise<DialogTurnResult> {
    // With buttons where channels show them; typing the words works everywhere.
    const withActions = (text: string) => MessageFactory.suggestedActions([...botTexts.codeActions], text);
    return step.prompt(CODE_PROMPT, {
      prompt: withActions(step.options.again ? botTexts.askCodeAgain : botTexts.askCode),
      retryPrompt: withActions(botTexts.retryCode),
    });
  }

  private async checkCode(step: WaterfallStepContext<CodeStepsOptions>): Promise<DialogTurnResult> {
    const { document, email } = step.options;
    const typed = String(step.result ?? '');
    const again = { document, email, again: true } satisfies CodeStepsOptions;

    if (commandOf(typed) === 'resend') {
      const outcome = await this.mailCode(step.context, document, email);
      if (outcome.validado === 'S') {
        await step.context.sendActivity(botTexts.codeResent(maskEmail(email), this.service.codeTtlMinutes));
        // The new code was never tried: asked for as the first one was.
        return step.replaceDialog(CODE_STEPS, { document, email } satisfies CodeStepsOptions);
      }
      if (outcome.kind !== 'tooManySends') return this.endRelaying(step, outcome);
      // Too soon for a new code: the one already sent still works.
      await step.context.sendActivity(outcome.mensagemCritica);
      return step.replaceDialog(CODE_STEPS, again);
    }

    const codigo = parseCode(typed);
    if (!codigo) {
      await step.context.sendActivity(offerRestart(botTexts.codeTriesSpent));
      return step.endDialog(refused(texts.invalidCodeFormat));
    }
    const outcome = await this.service.confirmCode(this.company, { cpfCnpj: document, email, codigo });
    if (outcome.validado === 'S') {
      await step.context.sendActivity(botTexts.validated(maskEmail(email)));
      return step.endDialog({
        validado: 'S',
        mensagemCritica: outcome.mensagemCritica,
        emailValidado: email,
        cancelled: false,
      } satisfies EmailValidationResult);
    }
    if (outcome.kind !== 'wrongCode') return this.endRelaying(step, outcome);
    await step.context.sendActivity(outcome.mensagemCritica);
    return step.replaceDialog(CODE_STEPS, again);
  }

  /** Any refusal the dialog does not steer on: said word for word, and the dialog ends with it. */
  /** Asks the service to mail a code, showing the person that something is happening meanwhile. */
  private async mailCode(context: TurnContext, document: string, email: string): Promise<Outcome> {
    await context.sendActivity({ type: ActivityTypes.Typing });
    return this.service.sendCode(this.company, { cpfCnpj: document, email, conversation: conversationOf(context) });
  }

  private async endRelaying(step: WaterfallStepContext, outcome: Outcome): Promise<DialogTurnResult> {
    // A CPF/CNPJ or an email typed wrong is fixed by starting again: offered as a button.
    const fixable = outcome.kind === 'clientNotFound' || outcome.kind === 'mailFailed';
    await step.context.sendActivity(fixable ? offerRestart(outcome.mensagemCritica) : outcome.mensagemCritica);
    return step.endDialog(refused(outcome.mensagemCritica));
  }
}

/**
 * Goes on with the value the dialog was started with when it is valid; otherwise asks for it (the
 * question says "invalid" when a value was given but is not).
 */
function askUnlessGiven(
  step: WaterfallStepContext,
  given: string | undefined,
  parse: (text: string) => string | null,
  promptId: string,
  ask: string,
  retry: string,
): Promise<DialogTurnResult> {
  const value = typeof given === 'string' ? parse(given) : null;
  if (value) return step.next(value);
  return step.prompt(promptId, { prompt: typeof given === 'string' ? retry : ask, retryPrompt: retry });
}

/**
 * A validator that accepts a typed text when `valid` says so, and the last try whatever it is,
 * so that the step after the prompt can end the dialog (a prompt alone would re-ask forever).
 */
function acceptWhen(valid: (text: string) => boolean) {
  return async (prompt: PromptValidatorContext<string>): Promise<boolean> => {
    const text = prompt.recognized.succeeded ? (prompt.recognized.value ?? '') : '';
    return valid(text) || prompt.attemptCount >= MAX_TRIES;
  };
}
