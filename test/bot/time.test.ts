import { strict as assert } from 'node:assert';
import type { Activity } from 'botbuilder';
import { loadConfig } from '../../services/runtime/config';
import { botTexts } from '../../services/domain/texts';
import { startTestApp, type TestApp } from '../support/app';
import { HttpConversation, startChannel, type TestChannel } from '../support/channel';
import { captureLogs, type CapturedLogs, type LogLine } from '../support/logs';
import { freePort } from '../support/ports';
import { codeIn, startSmtp, type TestSmtp } from '../support/smtp';
import { eventually } from '../support/wait';

/**
 * docs/api.md §6: the replies are the caller's time, each post bounded by BOT_REPLY_TIMEOUT_MS; a turn
 * is answered within Bot Framework's window, never with an error status because the caller was slow;
 * in the expectReplies delivery mode nothing is posted at all. Proved by statuses, log lines and
 * their order, never by a clock.
 */

const EMAIL = 'maria@exemplo.com.br';
const MASKED = 'm*****a@exemplo.com.br';
const NOT_DELIVERED = 'reply not delivered';
const LATE = 'bot turn still running at the end of the window: answered 202, left to finish';
const FINISHED_LATE = 'bot turn finished after its answer';

const linesWith = (logs: CapturedLogs, msg: string): LogLine[] => logs.lines().filter((l) => l.msg === msg);

describe('time (docs/api.md §6): each reply bounded, the turn answered within the window', () => {
  let smtp: TestSmtp;
  let channel: TestChannel;
  let logs: CapturedLogs;
  let app: TestApp | undefined;

  const start = async (env: Record<string, string> = {}, botTurnWindowMs?: number) => {
    app = await startTestApp({ SMTP_URL: smtp.url, SEED_DEMO: 'true', ...env }, { logger: logs.logger, botTurnWindowMs });
    return app;
  };

  beforeEach(async () => {
    smtp = await startSmtp('accept');
    channel = await startChannel();
    logs = captureLogs();
  });
  afterEach(async () => {
    await app?.close();
    app = undefined;
    await channel.close();
    await smtp.close();
  });

  it('BOT_REPLY_TIMEOUT_MS is 10 s unless set, 100 to 60000', () => {
    assert.equal(loadConfig({}).bot.replyTimeoutMs, 10_000);
    assert.equal(loadConfig({ BOT_REPLY_TIMEOUT_MS: '2500' }).bot.replyTimeoutMs, 2500);
    assert.throws(() => loadConfig({ BOT_REPLY_TIMEOUT_MS: '50' }), /^ConfigError: Configuração inválida: BOT_REPLY_TIMEOUT_MS: /);
  });

  it('a reply the channel never answers is dropped after its bound, logged without text and counted; the turn goes on and its state is saved', async () => {
    const bot = await start({ BOT_REPLY_TIMEOUT_MS: '300' });
    const chat = new HttpConversation(bot.baseUrl, channel);
    channel.holding = true;
    const turn = await chat.send({ type: 'message', text: 'oi' });
    assert.equal(turn.status, 200, 'the turn itself succeeded');
    const [line] = linesWith(logs, NOT_DELIVERED);
    assert.deepEqual([line.level, line.activityType, line.failure, line.timeoutMs], ['warn', 'message', 'timeout', 300]);
    assert.ok(!JSON.stringify(line).includes(botTexts.askDocument.slice(0, 20)), 'no text of the conversation in the line');
    const metrics = await (await fetch(`${bot.baseUrl}/metrics`)).text();
    assert.match(metrics, /^bot_replies_failed_total\{failure="timeout"\} 1$/m);
    assert.equal(linesWith(logs, 'unexpected error in a bot turn').length, 0);

    // The question was lost on the way, but the turn's state was saved: the next answer is taken as the CPF.
    channel.release();
    assert.deepEqual(await chat.say('027.890.782-20'), [botTexts.askEmail]);
  });

  it('a reply the channel refuses is logged with its status and counted; the turn goes on', async () => {
    const refusing = await startChannel({ refuse: (activity) => activity.type === 'message' });
    try {
      const bot = await start();
      const chat = new HttpConversation(bot.baseUrl, refusing);
      assert.equal((await chat.send({ type: 'message', text: 'oi' })).status, 200);
      const [line] = linesWith(logs, NOT_DELIVERED);
      assert.deepEqual([line.failure, line.status, line.activityType], ['failed', 400, 'message']);
      assert.doesNotMatch(JSON.stringify(line), /Invalid input/, "never the channel's answer, which may quote what it was sent");
      assert.match(await (await fetch(`${bot.baseUrl}/metrics`)).text(), /^bot_replies_failed_total\{failure="failed"\} 1$/m);
      // No apology: the state moved on as if the question had been read.
      assert.deepEqual(refusing.replies, []);
    } finally {
      await refusing.close();
    }
  });

  it('a turn still running at the end of the window is answered 202 with one warn line, then finishes and saves its state', async () => {
    // The reply is held until released: the window ends first, however slow the machine.
    const bot = await start({}, 2000);
    const chat = new HttpConversation(bot.baseUrl, channel);
    channel.holding = true;
    const turn = await chat.send({ type: 'message', text: 'oi' });
    assert.equal(turn.status, 202);
    assert.equal(linesWith(logs, LATE).length, 1);
    assert.equal(linesWith(logs, LATE)[0].level, 'warn');
    assert.equal(linesWith(logs, FINISHED_LATE).length, 0, 'answered while the turn still ran');

    // The channel takes the reply at last: the turn ends on its own, its state saved.
    channel.release();
    await eventually(() => linesWith(logs, FINISHED_LATE).length === 1);
    const order = logs.lines().map((l) => l.msg).filter((msg) => msg === LATE || msg === FINISHED_LATE);
    assert.deepEqual(order, [LATE, FINISHED_LATE]);
    assert.deepEqual(channel.replies.map((r) => r.activity.text), [botTexts.askDocument]);
    // The next message reads the saved state; its reply waited for, not timed (it may be late too).
    assert.ok([200, 202].includes((await chat.send({ type: 'message', text: '027.890.782-20' })).status));
    await eventually(() => channel.replies.length === 2);
    assert.equal(channel.replies[1].activity.text, botTexts.askEmail);
    assert.equal(linesWith(logs, NOT_DELIVERED).length, 0);
  });

  it('a stop waits for a turn answered 202 to finish, so its state is saved', async () => {
    // Each reply waits longer than the window: the window ends first (timers fire in the order they are due).
    const bot = await start({ BOT_REPLY_TIMEOUT_MS: '2000' }, 1000);
    const chat = new HttpConversation(bot.baseUrl, channel);
    channel.holding = true;
    assert.equal((await chat.send({ type: 'message', text: 'oi' })).status, 202);
    const stopped = bot.close();
    app = undefined;
    assert.equal(await stopped, true);
    // The turn had finished (its reply timed out) before the stores closed.
    assert.deepEqual(logs.lines().map((l) => l.msg).filter((msg) => msg === NOT_DELIVERED || msg === FINISHED_LATE), [NOT_DELIVERED, FINISHED_LATE]);
  });

  it('turns of one conversation run one at a time: a message sent while the turn before it still runs (answered 202) reads the state that turn saved', async () => {
    // Each reply is held until release, never timed out meanwhile: both turns are still running at their windows' end.
    const bot = await start({ BOT_REPLY_TIMEOUT_MS: '60000' }, 1000);
    const chat = new HttpConversation(bot.baseUrl, channel);
    channel.holding = true;
    assert.equal((await chat.send({ type: 'message', text: 'meu cpf é 027.890.782-20' })).status, 202);
    // The turn before still runs, its state not saved yet: this one waits for it (past its own window).
    assert.equal((await chat.send({ type: 'message', text: EMAIL })).status, 202);
    assert.equal(linesWith(logs, FINISHED_LATE).length, 0, 'both turns still running');

    channel.release();
    await eventually(() => linesWith(logs, FINISHED_LATE).length === 2);
    // The email was read as the email (a code sent), not as a first answer without a CPF/CNPJ.
    const texts = channel.replies.map((r) => r.activity.text).filter((text) => text !== undefined);
    assert.deepEqual(texts, [botTexts.askEmail, botTexts.codeSent(MASKED, 10), botTexts.askCode]);
    assert.match(codeIn(await smtp.nextMail(0)), /^\d{6}$/);
  });

  describe('the expectReplies delivery mode (how Copilot Studio calls skills)', () => {
    it('answers with the replies and endOfConversation in the body, posts nothing, and leaves typing indicators out', async () => {
      const bot = await start();
      // Nothing listens there: a post would fail, and show as a line and in the metrics.
      const nowhere = { ...channel, serviceUrl: `http://127.0.0.1:${await freePort()}` };
      const root = new HttpConversation(bot.baseUrl, nowhere, 'emulator', 'skill');
      const expect = { deliveryMode: 'expectReplies' };
      const activities = (body: unknown) => (body as { activities: Partial<Activity>[] }).activities;

      const first = await root.send({ type: 'event', name: 'enviarCodigoValidacaoEmailCliente', value: { cpfCnpj: '02789078220', email: EMAIL }, ...expect });
      assert.equal(first.status, 200);
      const asked = activities(first.body);
      assert.ok(asked.length > 0);
      assert.deepEqual(asked.filter((a) => a.type !== 'message'), [], 'messages only: no typing indicator');
      assert.equal(asked[0].text, botTexts.codeSent(MASKED, 10));

      const last = await root.send({ type: 'message', text: codeIn(await smtp.nextMail(0)), ...expect });
      const ending = activities(last.body).at(-1)!;
      assert.equal(ending.type, 'endOfConversation');
      assert.deepEqual(ending.value, { validado: 'S', mensagemCritica: '', emailValidado: EMAIL });

      assert.equal(linesWith(logs, NOT_DELIVERED).length, 0, 'no post was attempted');
      assert.doesNotMatch(await (await fetch(`${bot.baseUrl}/metrics`)).text(), /^bot_replies_failed_total\{/m);
    });
  });
});
