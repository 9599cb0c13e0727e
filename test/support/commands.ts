import pino from 'pino';
import type { CommandStartedEvent, MongoClient } from 'mongodb';
import { configureNotification } from '../../admin/notifications';
import type { Envelope } from '../../api/schemas';
import { CONFIRM_PATH, SEND_PATH } from '../../api/webhooks';
import { startApp } from '../../index';
import { loadConfig } from '../../services/runtime/config';
import { DEMO_CLIENTS, DEMO_KEY } from '../../services/runtime/demo';
import { destinationRules } from '../../services/notify/destination';
import { ValidationNotifier } from '../../services/notify/notifier';
import { createMongoStores } from '../../services/store/mongo';
import { captureIo } from '../admin/helpers';
import { request } from './app';
import { HttpConversation, startChannel } from './channel';
import { startReceiver } from './receiver';
import { eventually } from './wait';
import { codeIn, startSmtp, TEST_MAIL_ENV } from './smtp';
import { testDatabaseName, TEST_PEPPER } from './stores';

/**
 * What one request costs the database: the commands a MongoDB client sends, counted with the
 * driver's command monitoring, each named by what it is and the collection it addresses
 * (`find companies`, `update counters`). A count is deterministic, the same on every machine: the
 * count tests pin it and `npm run bench` prints it (docs/performance.md).
 */

/** Commands a connection sends to set itself up or to end its sessions: the driver's, not a request's. */
const SETUP_COMMANDS = new Set(['hello', 'ismaster', 'isMaster', 'saslStart', 'saslContinue', 'endSessions', 'ping']);

/** `find companies`, `update counters`, `getMore clients`…: the command's name and its collection. */
function describeCommand(event: Pick<CommandStartedEvent, 'commandName' | 'command'>): string {
  const target = event.command[event.commandName] as unknown;
  const collection = typeof target === 'string' ? target : (event.command.collection as unknown);
  return typeof collection === 'string' ? `${event.commandName} ${collection}` : event.commandName;
}

export interface CommandRecorder {
  /** The commands sent since the last `take()`, in order; starts afresh. */
  take(): string[];
  /** The commands sent since the last `take()`, left in place. */
  peek(): readonly string[];
  stop(): void;
}

/** Records every command `client` (created with `monitorCommands`) sends from now on. */
function recordCommands(client: MongoClient): CommandRecorder {
  let seen: string[] = [];
  const listener = (event: CommandStartedEvent) => {
    if (!SETUP_COMMANDS.has(event.commandName)) seen.push(describeCommand(event));
  };
  client.on('commandStarted', listener);
  return {
    take: () => {
      const taken = seen;
      seen = [];
      return taken;
    },
    peek: () => seen,
    stop: () => void client.off('commandStarted', listener),
  };
}

/** One step of the scenario and the commands it sent. */
export interface CommandCount {
  step: string;
  commands: string[];
}

/** How long the company stays cached in the scenario: longer than the scenario, so no step finds it expired. */
const SCENARIO_CACHE_MS = 60 * 60_000;

/**
 * The service on MongoDB at `uri` (a database of its own, dropped at the end), a real SMTP server, a
 * channel and a company system on loopback; then, one at a time, each request of a validation through
 * both doors and the delivery of its notification, answering the commands of each. The company was
 * already looked up once (as on any instance past its first request); its key's first lookup is a step
 * of its own.
 */
export async function countCommands(uri: string): Promise<CommandCount[]> {
  const dbName = testDatabaseName();
  const smtp = await startSmtp('accept');
  const channel = await startChannel();
  const receiver = await startReceiver(204);
  const stores = await createMongoStores({ uri, dbName, timeoutMs: 4000, monitorCommands: true, companyCacheMs: SCENARIO_CACHE_MS });
  // The admin command's own process: a client of its own, not counted.
  const admin = await createMongoStores({ uri, dbName, timeoutMs: 4000 });
  const config = loadConfig({
    PORT: '0',
    HOST: '127.0.0.1',
    LOG_LEVEL: 'silent',
    ...TEST_MAIL_ENV,
    SMTP_URL: smtp.url,
    MONGODB_URI: uri,
    MONGODB_DB: dbName,
    CODE_PEPPER: TEST_PEPPER,
    SEED_DEMO: 'true',
    ALLOW_ANONYMOUS_BOT: 'true',
  });
  // The app's own notification worker takes no part: the scenario runs one of its own, counted apart.
  const app = await startApp(config, { stores, database: stores.db, logger: pino({ level: 'silent' }), notifier: { concurrency: 0 } });
  const baseUrl = `http://127.0.0.1:${app.port}`;
  const recorder = recordCommands(stores.client);
  const counts: CommandCount[] = [];
  const step = async (name: string, work: () => Promise<unknown>) => {
    // Each step starts in a second of its own, so its lookup of the company's budget (if any) is that
    // second's first and makes its bucket, however fast or slow the machine (no clock is faked: the
    // driver's own timers read it).
    await new Promise((resolve) => setTimeout(resolve, 1000 - (Date.now() % 1000) + 5));
    recorder.take();
    await work();
    counts.push({ step: name, commands: recorder.take() });
  };
  /** POSTs to a webhook; fails unless the envelope says `validado`. */
  const post = async (path: string, body: object, validado: 'S' | 'N' = 'S') => {
    const answer = await request<Envelope>(`${baseUrl}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    if (answer.body.body?.validado !== validado) throw new Error(`${path} answered ${answer.status} ${JSON.stringify(answer.body)}`);
  };
  try {
    const [maria, joao, padaria] = DEMO_CLIENTS;
    const mariaSend = { key: DEMO_KEY, cpfCnpj: maria.document, email: 'maria@exemplo.com.br' };
    const padariaSend = { key: DEMO_KEY, cpfCnpj: padaria.document, email: 'padaria@exemplo.com.br' };
    let seen = smtp.mails.length;
    await step('webhook: send, the key not yet cached', () => post(SEND_PATH, padariaSend));
    const padariaCode = codeIn(await smtp.nextMail(seen));
    seen = smtp.mails.length;
    await step('webhook: send', () => post(SEND_PATH, mariaSend));
    const code = codeIn(await smtp.nextMail(seen));
    await step('webhook: confirm, the right code', () => post(CONFIRM_PATH, { ...mariaSend, codigo: code }));
    await step('webhook: confirm, no live code', () => post(CONFIRM_PATH, { ...mariaSend, codigo: code }, 'N'));
    await step('webhook: confirm, a wrong code', () => post(CONFIRM_PATH, { ...padariaSend, codigo: otherCode(padariaCode) }, 'N'));
    await step('webhook: confirm, the right code after a wrong one', () => post(CONFIRM_PATH, { ...padariaSend, codigo: padariaCode }));

    const chat = new HttpConversation(baseUrl, channel);
    await step('conversation: the first message (asks the CPF/CNPJ)', () => chat.say('oi'));
    await step('conversation: the CPF/CNPJ (asks the email)', () => chat.say(joao.document));
    seen = smtp.mails.length;
    await step('conversation: the email (sends the code)', () => chat.say(joao.email));
    const chatCode = codeIn(await smtp.nextMail(seen));
    // Only this validation is notified: the company's destination is set now, by the admin command.
    await configureNotification(admin, captureIo(), { sigla: 'CAER', url: receiver.url }, TEST_PEPPER);
    await step('conversation: the code (validated, the state removed)', () => chat.say(chatCode));

    const notifier = new ValidationNotifier({
      stores,
      pepper: TEST_PEPPER,
      logger: pino({ level: 'silent' }),
      timing: { concurrency: 1, pollMs: SCENARIO_CACHE_MS },
      destinations: destinationRules(uri),
    });
    // The worker settles the delivery and at once looks for the next one: stopped once it has.
    const claims = () => recorder.peek().filter((c) => c === 'findAndModify clients').length;
    await step('notification: one delivered, then the next looked for', async () => {
      notifier.start();
      await eventually(() => claims() === 2);
      await notifier.stop();
    });
    return counts;
  } finally {
    recorder.stop();
    await app.close();
    await admin.close();
    await stores.db.dropDatabase().catch(() => {});
    await receiver.close();
    await channel.close();
    await smtp.close();
  }
}

/** A six-digit code that is not `code`. */
function otherCode(code: string): string {
  return String((Number(code) + 1) % 1_000_000).padStart(6, '0');
}
