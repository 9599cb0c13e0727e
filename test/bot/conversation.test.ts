import { strict as assert } from 'node:assert';
import sinon from 'sinon';
import { maskEmail } from '../../services/domain/email';
import { SEND_LIMIT } from '../../services/domain/rules';
import { botTexts, texts } from '../../services/domain/texts';
import { startMailCheckDone, startTestApp, type TestApp } from '../support/app';
import { HttpConversation, startChannel, type TestChannel } from '../support/channel';
import { startDns, TEST_ZONE, type TestDns } from '../support/dns';
import { codeIn, startSmtp, type TestSmtp } from '../support/smtp';

/**
 * The conversation as people type it (docs/api.md §5), over HTTP in both delivery modes: replies
 * posted back to the channel, and replies in the HTTP answer (`expectReplies`, as Copilot Studio
 * calls a skill, here with a serviceUrl where nothing listens).
 */


for (const mode of ['normal', 'expectReplies'] as const) {
  describe(`the conversation reads sentences (${mode} delivery)`, () => {
    let smtp: TestSmtp;
    let channel: TestChannel;
    let app: TestApp;
    let chat: HttpConversation;

    /** The texts of a turn's messages, and whether it asked a question that expects an answer. */
    const say = async (text: string) => {
      const { status, replies } = await chat.send({ type: 'message', text });
      assert.equal(status, 200);
      const messages = replies.filter((a) => a.type === 'message');
      return { texts: messages.map((a) => a.text), hint: messages.at(-1)?.inputHint, replies };
    };

    beforeEach(async () => {
      smtp = await startSmtp('accept');
      channel = await startChannel();
      app = await startTestApp({ SMTP_URL: smtp.url, SEED_DEMO: 'true' });
      if (mode === 'normal') {
        chat = new HttpConversation(app.baseUrl, channel);
      } else {
        // Nothing listens at this serviceUrl: a post from the skill would fail the turn.
        await channel.close();
        chat = new HttpConversation(app.baseUrl, channel, 'emulator', 'skill', 'expectReplies');
      }
    });
    afterEach(async () => {
      sinon.restore();
      await app.close();
      if (mode === 'normal') await channel.close();
      await smtp.close();
    });

    it('the transcript of issue 21: every value in a sentence is understood', async () => {
      const email = 'padaria.silva@exemplo.com.br';
      const first = await say('meu cpf é 027.890.782-20');
      assert.deepEqual(first.texts, [botTexts.askEmail], 'the first message is read as an answer');
      assert.equal(first.hint, 'expectingInput');

      const sent = await say(`meu email é ${email}`);
      assert.deepEqual(sent.texts, [botTexts.codeSent(maskEmail(email), 10), botTexts.askCode]);
      assert.equal(sent.hint, 'expectingInput', 'the code question too, buttons and all');
      const code = codeIn(await smtp.nextMail(0));

      // Too soon for another code: the one sent still works, and is asked for as the first time.
      const early = await say('não recebi o código');
      assert.deepEqual(early.texts, [texts.tooManySends(1), botTexts.codeStillValid]);
      assert.equal(early.hint, 'expectingInput');
      assert.equal(smtp.mails.length, 1, 'no second mail');

      const done = await say(`o código é ${code.slice(0, 3)} ${code.slice(3)}`);
      assert.deepEqual(done.texts, [botTexts.validated(maskEmail(email))]);
      const client = await app.stores.clients.find('CAER', '02789078220');
      assert.equal(client?.email, email);
      if (mode === 'expectReplies') {
        const end = done.replies.at(-1);
        assert.equal(end?.type, 'endOfConversation');
        assert.deepEqual(end?.value, { validado: 'S', mensagemCritica: '', emailValidado: email });
      }

      // A thanks after the end is not a new validation.
      const thanks = await say('Obrigada!');
      assert.deepEqual(thanks.texts, [botTexts.goodbye]);
      assert.ok(!thanks.replies.some((a) => a.type === 'endOfConversation'));
      assert.deepEqual(await app.bot.storage.read([chat.stateKey]), {}, 'nothing started');
    });

    it('takes the CPF/CNPJ and the email from one message, and asks again without guessing between two', async () => {
      assert.deepEqual((await say('bom dia')).texts, [botTexts.askDocument]);
      assert.deepEqual((await say('cpf 02789078220 ou 52998224725?')).texts, [botTexts.twoDocuments]);
      assert.deepEqual((await say('não sei')).texts, [botTexts.noDocument]);
      const both = await say('CPF 027.890.782-20, EMAIL MARIA@EXEMPLO.COM.BR');
      assert.deepEqual(both.texts, [botTexts.codeSent('M*****A@EXEMPLO.COM.BR', 10), botTexts.askCode]);
      assert.equal(smtp.mails.length, 1);
    });

    it('"errei o email" at the code step asks for the right one, which gets a new code', async () => {
      const clock = sinon.useFakeTimers({ now: Date.now(), toFake: ['Date'] });
      await say('02789078220');
      await say('maria@exemplo.org.br');
      const back = await say('errei o email');
      assert.deepEqual(back.texts, [botTexts.askOtherEmail]);
      assert.equal(back.hint, 'expectingInput');
      clock.tick((SEND_LIMIT.intervalSeconds! + 1) * 1000); // past the interval between sends (docs/api.md §3)
      assert.deepEqual((await say('o certo é maria@exemplo.com.br')).texts, [
        botTexts.codeSent('m*****a@exemplo.com.br', 10),
        botTexts.askCode,
      ]);
      assert.deepEqual(smtp.mails.map((m) => m.envelopeTo[0]), ['maria@exemplo.org.br', 'maria@exemplo.com.br']);
      const code = codeIn(await smtp.nextMail(1));
      assert.deepEqual((await say(code)).texts, [botTexts.validated('m*****a@exemplo.com.br')]);
    });

    it('"errei o email" within the minute: the new address is refused by the send limit and the conversation ends (docs/api.md §3)', async () => {
      await say('02789078220');
      await say('maria@exemplo.org.br');
      // The address the code went to is not another one: the right one is asked for.
      assert.deepEqual((await say('errei o email, mandei para maria@exemplo.org.br')).texts, [botTexts.askOtherEmail]);
      const refusedTurn = await say('joana@exemplo.com.br');
      assert.deepEqual(refusedTurn.texts, [texts.tooManySends(1)]);
      assert.equal(smtp.mails.length, 1, 'nothing sent to the new address');
      if (mode === 'expectReplies') {
        const end = refusedTurn.replies.at(-1);
        assert.equal(end?.type, 'endOfConversation');
        assert.deepEqual(end?.value, { validado: 'N', mensagemCritica: texts.tooManySends(1), emailValidado: '' });
      }
    });

    it('a resend or another address, with a phone or a date in the message, is no wrong code', async () => {
      await say('02789078220');
      await say('maria@exemplo.com.br');
      const reply = await say('não recebi nada desde 12:05 de 03/04/2026, meu telefone é (95) 99123-4567');
      assert.deepEqual(reply.texts, [texts.tooManySends(1), botTexts.codeStillValid]);
    });

    it('the last wrong try says so on the conversation too, and offers to start again', async () => {
      await say('02789078220');
      await say('maria@exemplo.com.br');
      const code = codeIn(await smtp.nextMail(0));
      const wrong = code === '000000' ? '111111' : '000000';
      for (let left = 4; left >= 1; left--) assert.deepEqual((await say(`é ${wrong}`)).texts, [texts.wrongCode(left), botTexts.askCodeAgain]);
      const last = await say(wrong);
      assert.deepEqual(last.texts, [texts.lastAttemptSpent]);
      const message = last.replies.find((a) => a.type === 'message');
      assert.deepEqual(message?.suggestedActions?.actions.map((a) => String(a.value)), [botTexts.restartAction]);
    });

    describe('an address that looks misspelt (docs/api.md §7)', () => {
      const asked = async (text: string) => {
        const turn = await say(text);
        const message = turn.replies.find((a) => a.type === 'message');
        assert.deepEqual(turn.texts, [botTexts.didYouMean('maria@gmail.com')]);
        assert.equal(turn.hint, 'expectingInput');
        assert.deepEqual(message?.suggestedActions?.actions.map((a) => String(a.value)), [...botTexts.yesNoActions]);
        assert.equal(smtp.mails.length, 0, 'nothing sent before the answer');
      };

      for (const yes of ['sim', 'S', 'Sim!']) {
        it(`uses the suggestion after "${yes}"`, async () => {
          await say('02789078220');
          await asked('meu email é maria@gmial.com');
          assert.deepEqual((await say(yes)).texts, [botTexts.codeSent('m*****a@gmail.com', 10), botTexts.askCode]);
          assert.deepEqual((await smtp.nextMail(0)).envelopeTo, ['maria@gmail.com']);
        });
      }

      for (const no of ['não', 'nao', 'N']) {
        it(`keeps what was typed after "${no}", and does not ask about it again`, async () => {
          const clock = sinon.useFakeTimers({ now: Date.now(), toFake: ['Date'] });
          await say('02789078220');
          await asked('maria@gmial.com');
          assert.deepEqual((await say(no)).texts, [botTexts.codeSent('m*****a@gmial.com', 10), botTexts.askCode]);
          assert.deepEqual((await smtp.nextMail(0)).envelopeTo, ['maria@gmial.com']);
          // Back to the email question and the same address again: kept, not asked about.
          assert.deepEqual((await say('errei o email')).texts, [botTexts.askOtherEmail]);
          clock.tick(61_000);
          assert.deepEqual((await say('maria@gmial.com')).texts, [botTexts.codeSent('m*****a@gmial.com', 10), botTexts.askCode]);
        });
      }

      it('asks again, without sending, for an answer that is neither', async () => {
        await say('02789078220');
        await asked('maria@gmial.com');
        await asked('talvez');
      });

      it("asks about the skill event's value.email the same way", async () => {
        const started = await chat.send({ type: 'event', name: 'enviarCodigoValidacaoEmailCliente', value: { cpfCnpj: '02789078220', email: 'maria@gmial.com' } });
        assert.deepEqual(started.replies.filter((a) => a.type === 'message').map((a) => a.text), [botTexts.didYouMean('maria@gmail.com')]);
        assert.deepEqual((await say('sim')).texts, [botTexts.codeSent('m*****a@gmail.com', 10), botTexts.askCode]);
      });

      it('asks nothing about a real domain', async () => {
        await say('02789078220');
        assert.deepEqual((await say('maria@hotmail.com.br')).texts, [botTexts.codeSent('m*****a@hotmail.com.br', 10), botTexts.askCode]);
      });
    });

    describe('an address whose domain cannot receive mail (docs/api.md §7)', () => {
      let dns: TestDns;
      beforeEach(async () => {
        await app.close();
        dns = await startDns(TEST_ZONE);
        app = await startTestApp({ SMTP_URL: smtp.url, SEED_DEMO: 'true', MAIL_DOMAIN_CHECK: 'true', DNS_SERVERS: dns.server });
        chat = mode === 'normal' ? new HttpConversation(app.baseUrl, channel) : new HttpConversation(app.baseUrl, channel, 'emulator', 'skill', 'expectReplies');
      });
      afterEach(() => dns.close());

      it('is told as a refused mail, without an SMTP connection or a send used, and offers to start again', async () => {
        await say('02789078220');
        await startMailCheckDone(app);
        const connections = smtp.connections();
        const turn = await say('maria@nao-existe.com.br');
        assert.deepEqual(turn.texts, [texts.mailFailed('m*****a@nao-existe.com.br')]);
        const message = turn.replies.find((a) => a.type === 'message');
        assert.deepEqual(message?.suggestedActions?.actions.map((a) => String(a.value)), [botTexts.restartAction]);
        assert.equal(smtp.connections(), connections, 'no SMTP connection');
        // No send used: the next address goes out at once, with no one-minute wait.
        await say(botTexts.restartAction);
        await say('02789078220');
        assert.deepEqual((await say('maria@exemplo.com.br')).texts, [botTexts.codeSent('m*****a@exemplo.com.br', 10), botTexts.askCode]);
      });
    });
  });
}
