import { ActivityTypes, MessageFactory, type TurnContext } from 'botbuilder';
import { WaterfallDialog, type DialogTurnResult, type WaterfallStepContext } from './botbuilderDialogs';
import { maskEmail, sameEmail } from '../services/domain/email';
import { suggestEmail } from '../services/domain/emailSuggestion';
import type { CompanyRef, ConversationRef } from '../services/emailValidation';
import type { Outcome } from '../services/domain/outcome';
import type { EmailValidationPort } from '../services/port';
import { botTexts, texts } from '../services/domain/texts';
import { InterruptibleDialog } from './interruptibleDialog';
import { question, SentencePrompt, type PromptResult, type SentencePromptOptions } from './sentencePrompt';
import { readCodeAnswer, readDocumentAnswer, readEmail, readYesNo, type CodeAnswer, type DocumentAnswer } from './sentences';

/**
 * The conversation of docs/api.md §5: CPF/CNPJ, email, the service's send, the code, the service's
 * confirmation. It translates in and out only: each answer is read out of what the person wrote
 * (`sentences.ts`, with the same checks the service makes), and everything else is the service's
 * answer, relayed word for word.
 */

export const EMAIL_VALIDATION_DIALOG = 'emailValidationDialog';
const MAIN_STEPS = 'emailValidationSteps';
const CODE_STEPS = 'codeSteps';
export const DOCUMENT_PROMPT = 'documentPrompt';
export const EMAIL_PROMPT = 'emailPrompt';
export const CODE_PROMPT = 'codePrompt';
export const SPELLING_PROMPT = 'spellingPrompt';

/** What the dialog can be started with; each is asked for when missing or invalid. */
export interface EmailValidationDialogOptions {
  /** The skill event's `value.cpfCnpj`. */
  cpfCnpj?: string;
  /** The skill event's `value.email`. */
  email?: string;
  /** The message that started the conversation: read as the first answer. */
  text?: string;
  /** Back from the code step to a new address: asked for as a correction. */
  otherEmail?: boolean;
  /** Addresses the person kept as typed when asked `Você quis dizer …?`: not asked about again. */
  kept?: string[];
}

/** How the dialog ended: the skill's `endOfConversation` value, and whether the person cancelled. */
export interface EmailValidationResult {
  validado: 'S' | 'N';
  mensagemCritica: string;
  /** The validated address; `""` unless `validado` is `S`. */
  emailValidado: string;
  cancelled: boolean;
}

/** The code step handing back to the main steps: the person wants the code at another address. */
interface ChangeEmail {
  changeEmail: true;
  email?: string;
}

/** What the main steps remember between turns. */
interface StepValues {
  document: string;
  email: string;
  /** The address asked about (`Você quis dizer …?`), when one was. */
  suggestion?: string;
  /** Addresses kept as typed when asked about (`EmailValidationDialogOptions.kept`). */
  kept: string[];
}

/** How the code is asked for: the first time, after a wrong code, or after a refused `reenviar`. */
type CodeQuestion = 'first' | 'again' | 'stillValid';

interface CodeStepsOptions {
  document: string;
  email: string;
  /** When the live code was mailed to `email` (ms since the epoch). */
  sentAt: number;
  question: CodeQuestion;
}

const CODE_QUESTIONS: Record<CodeQuestion, string> = {
  first: botTexts.askCode,
  again: botTexts.askCodeAgain,
  stillValid: botTexts.codeStillValid,
};

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
    this.addDialog(new SentencePrompt(DOCUMENT_PROMPT, readDocumentAnswer))
      .addDialog(new SentencePrompt(EMAIL_PROMPT, readEmail))
      .addDialog(new SentencePrompt(CODE_PROMPT, readCodeAnswer))
      .addDialog(new SentencePrompt(SPELLING_PROMPT, readYesNo))
      .addDialog(
        new WaterfallDialog(MAIN_STEPS, [
          this.askDocument.bind(this),
          this.askEmail.bind(this),
          this.checkSpelling.bind(this),
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
    const { cpfCnpj, text } = step.options ?? {};
    return step.beginDialog(DOCUMENT_PROMPT, {
      ask: question(botTexts.askDocument),
      invalid: question(botTexts.retryDocument),
      ambiguous: question(botTexts.twoDocuments),
      none: question(botTexts.noDocument),
      first: cpfCnpj ?? text,
    } satisfies SentencePromptOptions);
  }

  private async askEmail(step: WaterfallStepContext<EmailValidationDialogOptions>): Promise<DialogTurnResult> {
    const answer = step.result as PromptResult<DocumentAnswer>;
    if (!('value' in answer)) {
      await step.context.sendActivity(offerRestart(botTexts.documentTriesSpent));
      return step.endDialog(refused(texts.invalidDocument));
    }
    (step.values as StepValues).document = answer.value.document;
    const { email, otherEmail } = step.options ?? {};
    return step.beginDialog(EMAIL_PROMPT, {
      ask: question(otherEmail ? botTexts.askOtherEmail : botTexts.askEmail),
      invalid: question(botTexts.retryEmail),
      ambiguous: question(botTexts.twoEmails),
      none: question(botTexts.noEmail),
      first: email ?? answer.value.withEmail,
    } satisfies SentencePromptOptions);
  }

  /** docs/api.md §7: a domain that looks misspelt is asked about, once per address, before anything is sent. */
  private async checkSpelling(step: WaterfallStepContext<EmailValidationDialogOptions>): Promise<DialogTurnResult> {
    const answer = step.result as PromptResult<string>;
    if (!('value' in answer)) {
      await step.context.sendActivity(offerRestart(botTexts.emailTriesSpent));
      return step.endDialog(refused(texts.invalidEmail));
    }
    const values = step.values as StepValues;
    values.email = answer.value;
    values.kept = step.options?.kept ?? [];
    const suggestion = values.kept.some((email) => sameEmail(email, answer.value)) ? undefined : suggestEmail(answer.value);
    if (!suggestion) return step.next();
    values.suggestion = suggestion;
    const ask = question(botTexts.didYouMean(suggestion), botTexts.yesNoActions);
    return step.beginDialog(SPELLING_PROMPT, { ask, invalid: ask, ambiguous: ask, none: ask } satisfies SentencePromptOptions);
  }

  private async sendCode(step: WaterfallStepContext<EmailValidationDialogOptions>): Promise<DialogTurnResult> {
    const values = step.values as StepValues;
    const { document, email: typed, suggestion } = values;
    const accepted = suggestion !== undefined && (step.result as { value?: boolean }).value === true;
    const email = accepted ? suggestion : typed;
    if (suggestion && !accepted) values.kept = [...values.kept, typed];
    const outcome = await this.mailCode(step.context, document, email);
    if (outcome.validado !== 'S') return this.endRelaying(step, outcome);
    await step.context.sendActivity(botTexts.codeSent(maskEmail(email), this.service.codeTtlMinutes));
    return step.beginDialog(CODE_STEPS, { document, email, sentAt: Date.now(), question: 'first' } satisfies CodeStepsOptions);
  }

  /** The code steps ended: with the validation's result, or for another address. */
  private async finish(step: WaterfallStepContext): Promise<DialogTurnResult> {
    const result = step.result as EmailValidationResult | ChangeEmail;
    if (!('changeEmail' in result)) return step.endDialog(result);
    const { document, kept } = step.values as StepValues;
    const again: EmailValidationDialogOptions = { cpfCnpj: document, email: result.email, otherEmail: true, kept };
    return step.replaceDialog(MAIN_STEPS, again);
  }

  private async askCode(step: WaterfallStepContext<CodeStepsOptions>): Promise<DialogTurnResult> {
    // With buttons where channels show them; typing the words works everywhere.
    const ask = (text: string) => question(text, botTexts.codeActions);
    return step.beginDialog(CODE_PROMPT, {
      ask: ask(CODE_QUESTIONS[step.options.question]),
      invalid: ask(botTexts.retryCode),
      ambiguous: ask(botTexts.twoCodes),
      none: ask(botTexts.noCode),
    } satisfies SentencePromptOptions);
  }

  private async checkCode(step: WaterfallStepContext<CodeStepsOptions>): Promise<DialogTurnResult> {
    const { document, email, sentAt } = step.options;
    const answer = step.result as PromptResult<CodeAnswer>;
    if (!('value' in answer)) {
      await step.context.sendActivity(offerRestart(botTexts.codeTriesSpent));
      return step.endDialog(refused(texts.invalidCodeFormat));
    }
    const asked = (how: CodeQuestion, mailedAt = sentAt) =>
      step.replaceDialog(CODE_STEPS, { document, email, sentAt: mailedAt, question: how } satisfies CodeStepsOptions);

    if ('changeEmail' in answer.value) {
      // The address the code already went to is not "another" one: the right one is asked for.
      const other = answer.value.email !== undefined && !sameEmail(answer.value.email, email) ? answer.value.email : undefined;
      return step.endDialog((other === undefined ? { changeEmail: true } : { changeEmail: true, email: other }) satisfies ChangeEmail);
    }
    if ('resend' in answer.value) {
      const outcome = await this.mailCode(step.context, document, email);
      if (outcome.validado === 'S') {
        await step.context.sendActivity(botTexts.codeResent(maskEmail(email), this.service.codeTtlMinutes));
        // The new code was never tried: asked for as the first one was.
        return asked('first', Date.now());
      }
      // Refused by the send limits while the code already sent still works: it is asked for, not a new
      // one (docs/api.md §5); any other refusal ends the conversation (§3).
      const alive = Date.now() - sentAt < this.service.codeTtlMinutes * 60_000;
      if (outcome.kind !== 'tooManySends' || !alive) return this.endRelaying(step, outcome);
      await step.context.sendActivity(outcome.mensagemCritica);
      return asked('stillValid');
    }

    const outcome = await this.service.confirmCode(this.company, { cpfCnpj: document, email, codigo: answer.value.code });
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
    return asked('again');
  }

  /** Asks the service to mail a code, showing the person that something is happening meanwhile. */
  private async mailCode(context: TurnContext, document: string, email: string): Promise<Outcome> {
    // Not waited for: a slow channel must not hold the mail back (a post that fails is the adapter's to log).
    void context.sendActivity({ type: ActivityTypes.Typing }).catch(() => undefined);
    return this.service.sendCode(this.company, { cpfCnpj: document, email, conversation: conversationOf(context) });
  }

  /** Any refusal the dialog does not steer on: said word for word, and the dialog ends with it. */
  private async endRelaying(step: WaterfallStepContext, outcome: Outcome): Promise<DialogTurnResult> {
    // Fixed by starting again (a CPF/CNPJ or an email typed wrong, a code whose tries are spent): offered as a button.
    await step.context.sendActivity(RESTARTABLE.has(outcome.kind) ? offerRestart(outcome.mensagemCritica) : outcome.mensagemCritica);
    return step.endDialog(refused(outcome.mensagemCritica));
  }
}

/** Endings the person gets past by starting again. */
const RESTARTABLE: ReadonlySet<Outcome['kind']> = new Set(['clientNotFound', 'mailFailed', 'lastAttemptSpent']);
