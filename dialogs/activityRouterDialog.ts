import { ActivityTypes } from 'botbuilder';
import { ComponentDialog, WaterfallDialog, type DialogTurnResult, type WaterfallStepContext } from './botbuilderDialogs';
import { botTexts } from '../services/domain/texts';
import { isPhrase } from './sentences';
import { EMAIL_VALIDATION_DIALOG, EmailValidationDialog, type EmailValidationDialogOptions } from './emailValidationDialog';

/**
 * The skill's root dialog: decides what an activity that finds no dialog running starts. The
 * `enviarCodigoValidacaoEmailCliente` event starts the validation with the values it carries; a
 * message starts it, read as the first answer, unless it is only a thanks or a goodbye. Its result
 * is the validation's result.
 */

export const ACTIVITY_ROUTER_DIALOG = 'activityRouterDialog';
/** The event a root bot sends to start the validation (named in the skill manifest). */
export const START_EVENT = 'enviarCodigoValidacaoEmailCliente';
const ROUTE_STEPS = 'routeSteps';

export class ActivityRouterDialog extends ComponentDialog {
  constructor(validation: EmailValidationDialog) {
    super(ACTIVITY_ROUTER_DIALOG);
    this.addDialog(validation).addDialog(new WaterfallDialog(ROUTE_STEPS, [this.route.bind(this)]));
    this.initialDialogId = ROUTE_STEPS;
  }

  private async route(step: WaterfallStepContext): Promise<DialogTurnResult> {
    const activity = step.context.activity;
    if (activity.type === ActivityTypes.Message) {
      const text = activity.text ?? '';
      // A thanks or goodbye after the end is not a new validation (docs/api.md §5).
      if (isPhrase(text, botTexts.words.thanks)) {
        await step.context.sendActivity(botTexts.goodbye);
        return step.endDialog();
      }
      // The first message is read as an answer: a CPF/CNPJ typed first goes straight to the email.
      return step.beginDialog(EMAIL_VALIDATION_DIALOG, { text } satisfies EmailValidationDialogOptions);
    }
    if (isStartEvent(activity)) return step.beginDialog(EMAIL_VALIDATION_DIALOG, optionsFrom(activity.value));
    // Nothing this skill does: ends without a result.
    return step.endDialog();
  }
}

export function isStartEvent(activity: { type: string; name?: string }): boolean {
  return activity.type === ActivityTypes.Event && activity.name === START_EVENT;
}

/** The event's `value`, keeping only the string fields the dialog knows. */
function optionsFrom(value: unknown): EmailValidationDialogOptions {
  const options: EmailValidationDialogOptions = {};
  if (typeof value !== 'object' || value === null) return options;
  const { cpfCnpj, email } = value as Record<string, unknown>;
  if (typeof cpfCnpj === 'string') options.cpfCnpj = cpfCnpj;
  if (typeof email === 'string') options.email = email;
  return options;
}
