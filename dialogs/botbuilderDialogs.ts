/**
 * The parts of botbuilder-dialogs the bot uses, each from its own module. The package's index also
 * loads every prompt it ships and their text recognizers (numbers, dates and times in a dozen
 * languages): some 35 MiB of memory and a fifth of the start, for nothing this bot asks
 * (docs/performance.md). Import from here, not from `botbuilder-dialogs`.
 */
export { ComponentDialog } from 'botbuilder-dialogs/lib/componentDialog';
export { Dialog, DialogTurnStatus, type DialogInstance, type DialogTurnResult } from 'botbuilder-dialogs/lib/dialog';
export type { DialogContext, DialogState } from 'botbuilder-dialogs/lib/dialogContext';
export { DialogSet } from 'botbuilder-dialogs/lib/dialogSet';
export { WaterfallDialog } from 'botbuilder-dialogs/lib/waterfallDialog';
export type { WaterfallStepContext } from 'botbuilder-dialogs/lib/waterfallStepContext';
