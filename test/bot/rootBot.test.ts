import { strict as assert } from 'node:assert';
import { botTexts } from '../../services/domain/texts';
import { startTestApp, type TestApp } from '../support/app';
import { HttpConversation, startChannel, type TestChannel } from '../support/channel';
import { captureLogs, type CapturedLogs } from '../support/logs';
import { ROOT_CANCEL, ROOT_ERROR, ROOT_RESULT, startRootBot, type RootBotOptions, type TestRootBot } from '../support/rootBot';
import { codeIn, startSmtp, type TestSmtp } from '../support/smtp';
import { eventually } from '../support/wait';

/**
 * The skill inside a real assistant (docs/api.md §5, §6): a root bot made of botbuilder's own skill
 * parts (test/support/rootBot.ts) calls it over HTTP on loopback, in both delivery modes, with its
 * own channel (the person's) played by the in-test channel. Each test asserts what the root
 * received: the skill's result, and no error. Time is proved by what arrives and in which order.
 */

const CPF = '027.890.782-20';
const EMAIL = 'maria@exemplo.com.br';
const NOT_DELIVERED = 'reply not delivered';
const LATE = 'bot turn still running at the end of the window: answered 202, left to finish';
const FINISHED_LATE = 'bot turn finished after its answer';

for (const deliveryMode of ['normal', 'expectReplies'] as const) {
  describe(`a root bot built from botbuilder's skill parts, calling the skill over HTTP (${deliveryMode} delivery)`, function () {
    this.timeout(90_000);
    let smtp: TestSmtp;
    let logs: CapturedLogs;
    /** The root's own channel: where the person reads what the root forwards. */
    let channel: TestChannel;
    let app: TestApp | undefined;
    let root: TestRootBot | undefined;
    /** The person, talking to the root through its channel. */
    let person: HttpConversation;
    /** How many lines the skill had logged once started (its start's own warnings are not the turns'). */
    let startLines = 0;
    /** What the skill logged during the turns. */
    const turnLines = () => logs.lines().slice(startLines);

    const start = async (opts: { start?: RootBotOptions['start']; env?: Record<string, string>; botTurnWindowMs?: number } = {}) => {
      app = await startTestApp({ SMTP_URL: smtp.url, SEED_DEMO: 'true', ...opts.env }, { logger: logs.logger, botTurnWindowMs: opts.botTurnWindowMs });
      startLines = logs.lines().length;
      root = await startRootBot({ skillEndpoint: `${app.baseUrl}/api/messages`, deliveryMode, start: opts.start });
      person = new HttpConversation(root.baseUrl, channel);
      return { app, root };
    };
    /** The person's message; what the root's channel showed meanwhile. */
    const say = async (text: string) => {
      const turn = await person.send({ type: 'message', text });
      assert.equal(turn.status, 200, `the root answered its channel for "${text}"`);
      return turn.replies.map((a) => a.text ?? `<${a.type}>`);
    };
    /** The key of the skill's conversation state for the conversation the root opened with it. */
    const skillStateKey = (r: TestRootBot) => `emulator/conversations/${r.skillConversationIds.at(-1)}/`;
    /** No error reached the root: every answer of the skill was a success, and the person saw no apology. */
    const assertNoError = (r: TestRootBot) => {
      assert.deepEqual(r.errors, []);
      assert.ok(r.skillAnswers.length > 0);
      for (const status of r.skillAnswers) assert.ok(status >= 200 && status < 300, `the skill answered ${status}`);
      const texts = channel.replies.map((reply) => reply.activity.text);
      assert.ok(!texts.includes(ROOT_ERROR) && !texts.includes(botTexts.unexpectedError), 'no apology reached the person');
      assert.deepEqual(turnLines().filter((l) => l.level === 'error'), []);
      // A typing indicator in an expectReplies answer would only arrive with the replies it announces.
      if (deliveryMode === 'expectReplies') assert.ok(!channel.replies.some((reply) => reply.activity.type === 'typing'));
    };

    beforeEach(async () => {
      smtp = await startSmtp('accept');
      logs = captureLogs();
      channel = await startChannel();
    });
    afterEach(async () => {
      await channel.close();
      await root?.close();
      await app?.close();
      root = app = undefined;
      await smtp.close();
    });

    it('the whole happy path: the root receives validado S and the validated email', async () => {
      const { app, root } = await start();
      assert.deepEqual(await say('quero validar meu email'), [botTexts.askDocument]);
      assert.deepEqual(await say(CPF), [botTexts.askEmail]);
      assert.ok((await say(EMAIL)).length > 0);
      const last = await say(codeIn(await smtp.nextMail(0)));

      assert.deepEqual(root.results, [{ validado: 'S', mensagemCritica: '', emailValidado: EMAIL }]);
      assert.equal(last.at(-1), `${ROOT_RESULT} ${JSON.stringify(root.results[0])}`);
      assertNoError(root);
      assert.deepEqual(await app.bot.storage.read([skillStateKey(root)]), {}, "the skill's state is gone");
    });

    it('wrong codes to the end: the root receives validado N and no email', async () => {
      const { root } = await start({ start: { cpfCnpj: CPF, email: EMAIL } });
      await say('oi');
      const wrong = codeIn(await smtp.nextMail(0)) === '000000' ? '111111' : '000000';
      for (let tries = 0; root.results.length === 0 && tries < 10; tries++) await say(wrong);

      assert.equal(root.results.length, 1, 'the skill ended');
      const result = root.results[0] as { validado: string; mensagemCritica: string; emailValidado: string };
      assert.deepEqual([result.validado, result.emailValidado], ['N', '']);
      assert.notEqual(result.mensagemCritica, '', 'the service said why');
      assertNoError(root);
    });

    it('"cancelar" typed by the person: the root receives validado N and no message', async () => {
      const { app, root } = await start({ start: { cpfCnpj: CPF } });
      await say('oi');
      await say('cancelar');

      assert.deepEqual(root.results, [{ validado: 'N', mensagemCritica: '', emailValidado: '' }]);
      assertNoError(root);
      assert.deepEqual(await app.bot.storage.read([skillStateKey(root)]), {});
    });

    it("the root's own cancel: its endOfConversation ends the skill's dialog and clears its state", async () => {
      const { app, root } = await start({ start: { cpfCnpj: CPF } });
      await say('oi');
      const key = skillStateKey(root);
      assert.ok((await app.bot.storage.read([key]))[key], 'the skill keeps its state while it runs');

      const answersBefore = root.skillAnswers.length;
      assert.deepEqual(await say(ROOT_CANCEL), [], 'the skill says nothing back');
      assert.equal(root.skillAnswers.length, answersBefore + 1, 'the endOfConversation went to the skill');
      assert.deepEqual(root.results, [], 'no result: the root ended it');
      assertNoError(root);
      assert.deepEqual(await app.bot.storage.read([key]), {}, "the skill's state is gone");

      // The next message starts the skill afresh, in a new conversation with it.
      assert.deepEqual(await say('oi de novo'), [botTexts.askEmail]);
      assert.notEqual(skillStateKey(root), key);
    });

    it("the root's channel slow (1.5 s per post) at every step: no error reaches the root, the result is S", async () => {
      const { root } = await start({ start: { cpfCnpj: CPF, email: EMAIL } });
      channel.delayMs = 1500;
      assert.ok((await say('oi')).length > 0);
      await say(codeIn(await smtp.nextMail(0)));

      assert.deepEqual(root.results, [{ validado: 'S', mensagemCritica: '', emailValidado: EMAIL }]);
      assertNoError(root);
      assert.deepEqual(turnLines().filter((l) => l.level === 'warn'), [], 'nothing went wrong on the way');
    });

    if (deliveryMode === 'normal') {
      it("the root's channel never answering: the skill answers the root within the window (202) with one warn line, and the next turn works", async () => {
        // Each reply waits longer than the window: the window ends first, whatever the machine's load
        // (timers fire in the order they are due). No step below depends on how long a turn takes.
        const { root } = await start({ start: { cpfCnpj: CPF, email: EMAIL }, env: { BOT_REPLY_TIMEOUT_MS: '6000' }, botTurnWindowMs: 3000 });
        channel.holding = true;
        const turn = await person.send({ type: 'message', text: 'oi' });
        assert.equal(turn.status, 200, 'the root finished its turn');
        assert.deepEqual(root.skillAnswers, [202]);
        assert.deepEqual(root.errors, []);

        // The skill's turn goes on: a reply waits its bound and is dropped; the channel then answers
        // again, and the turn ends and saves its state.
        await eventually(() => logs.lines().some((l) => l.msg === NOT_DELIVERED));
        channel.release();
        await eventually(() => logs.lines().some((l) => l.msg === FINISHED_LATE));
        const order = logs.lines().map((l) => l.msg).filter((msg) => [LATE, NOT_DELIVERED, FINISHED_LATE].includes(msg));
        assert.equal(order[0], LATE, 'answered before any reply gave up');
        assert.equal(order.at(-1), FINISHED_LATE);
        assert.ok(order.slice(1, -1).length > 0 && order.slice(1, -1).every((msg) => msg === NOT_DELIVERED));
        assert.equal(order.filter((msg) => msg === LATE).length, 1, 'one warn line for the turn');
        for (const line of logs.lines().filter((l) => l.msg === NOT_DELIVERED)) {
          assert.deepEqual([line.level, line.failure], ['warn', 'timeout']);
          assert.doesNotMatch(JSON.stringify(line), /maria|m\*+a@|c[oó]digo/i, 'no text of the conversation');
        }

        // The next turn of the conversation works, and the root gets S (its end may come after the
        // skill's answer if the machine is slow: waited for, not timed).
        assert.equal((await person.send({ type: 'message', text: codeIn(await smtp.nextMail(0)) })).status, 200);
        await eventually(() => root.results.length > 0);
        assert.deepEqual(root.results, [{ validado: 'S', mensagemCritica: '', emailValidado: EMAIL }]);
        assert.deepEqual(root.errors, []);
        for (const status of root.skillAnswers.slice(1)) assert.ok(status === 200 || status === 202, `the skill answered ${status}`);
      });
    } else {
      it("the root's channel never answering: the skill has answered with the replies already, posts nothing, and the next turn works", async () => {
        // Bot Framework's own window: the answer carries the replies however slow the machine is.
        const { root } = await start({ start: { cpfCnpj: CPF, email: EMAIL }, env: { BOT_REPLY_TIMEOUT_MS: '1000' } });
        channel.holding = true;
        const turn = person.send({ type: 'message', text: 'oi' });
        // The root is forwarding the skill's replies to its channel: the skill answered it before.
        await eventually(() => channel.held() > 0);
        assert.deepEqual(root.skillAnswers, [200]);
        assert.deepEqual(turnLines().filter((l) => l.level === 'warn'), [], 'the skill posted nothing and was not late');

        channel.release();
        assert.equal((await turn).status, 200);
        await say(codeIn(await smtp.nextMail(0)));
        assert.deepEqual(root.results, [{ validado: 'S', mensagemCritica: '', emailValidado: EMAIL }]);
        assertNoError(root);
      });
    }
  });
}
