import type { Activity } from 'botbuilder';
import type { Dialog } from 'botbuilder-dialogs';
import { DialogTestClient } from 'botbuilder-testing';
import { EmailValidationService } from '../../services/emailValidation';
import { seedDemo } from '../../services/runtime/demo';
import { createSmtpMailer, type Mailer } from '../../services/mail/mailer';
import type { Stores } from '../../services/store/types';
import { startSmtp, type SmtpMode, type TestSmtp } from './smtp';
import { openTestStores } from './stores';

/** The real service on the suite's store, seeded with the demo data, mailing a loopback SMTP server. */
export interface ServiceRig {
  service: EmailValidationService;
  stores: Stores;
  smtp: TestSmtp;
  mailer: Mailer;
  close(): Promise<void>;
}

export async function startServiceRig(mode: SmtpMode = 'accept'): Promise<ServiceRig> {
  const smtp = await startSmtp(mode);
  const stores = await openTestStores();
  await seedDemo(stores);
  const mailer = createSmtpMailer({ url: smtp.url, timeoutMs: 3000, maxConnections: 1, plainLoopback: true });
  await mailer.ready();
  const service = new EmailValidationService({
    stores,
    mailer,
    pepper: 'dialog-test-pepper-dialog-test-pepper-01',
    codeTtlMinutes: 10,
  });
  return {
    service,
    stores,
    smtp,
    mailer,
    close: async () => {
      mailer.close();
      await smtp.close();
      await stores.close();
    },
  };
}

/** A DialogTestClient that answers each turn with every reply the dialog sent. */
export class Chat {
  readonly client: DialogTestClient;

  constructor(dialog: Dialog, options?: object) {
    this.client = new DialogTestClient('test', dialog, options);
  }

  /** Whether the last turn showed a typing indicator. */
  typing = false;

  /** Sends a message (or any activity) and returns the replies of that turn, typing indicators left out. */
  async send(activity: string | Partial<Activity>): Promise<Partial<Activity>[]> {
    const replies: Partial<Activity>[] = [];
    let reply = (await this.client.sendActivity(activity)) as Partial<Activity> | undefined;
    while (reply) {
      replies.push(reply);
      reply = this.client.getNextReply();
    }
    this.typing = replies.some((a) => a.type === 'typing');
    return replies.filter((a) => a.type !== 'typing');
  }

  /** Sends and returns the texts of the replies. */
  async say(activity: string | Partial<Activity>): Promise<string[]> {
    return (await this.send(activity)).map((a) => a.text ?? `<${a.type}>`);
  }

  get result(): unknown {
    return this.client.dialogTurnResult?.result as unknown;
  }

  get status(): string | undefined {
    return this.client.dialogTurnResult?.status;
  }
}
