import http from 'node:http';
import { gzipSync } from 'node:zlib';
import { strict as assert } from 'node:assert';
import type { ConversationAccount } from 'botbuilder';
import { networkInterfaces } from 'node:os';
import { cpf } from 'cpf-cnpj-validator';
import { CONVERSATION_DOCUMENT_LIMIT, USER_LOOKUP_LIMIT } from '../../services/domain/rules';
import { botTexts, texts } from '../../services/domain/texts';
import { answerBeforeBody, request, startTestApp, type TestApp } from '../support/app';
import { HttpConversation, startChannel, type TestChannel } from '../support/channel';
import { codeIn, startSmtp, type TestSmtp } from '../support/smtp';

const EMAIL = 'maria@exemplo.com.br';
const MASKED = 'm*****a@exemplo.com.br';

describe('POST /api/messages (the conversation end to end, no credentials)', () => {
  let smtp: TestSmtp;
  let channel: TestChannel;
  let app: TestApp;

  beforeEach(async () => {
    smtp = await startSmtp('accept');
    channel = await startChannel();
    app = await startTestApp({ SMTP_URL: smtp.url, SEED_DEMO: 'true' });
  });
  afterEach(async () => {
    await app.close();
    await channel.close();
    await smtp.close();
  });

  it('greets, asks CPF/CNPJ and email, mails the code, and says the email is validated', async () => {
    const chat = new HttpConversation(app.baseUrl, channel);
    const greeting = await chat.send({ type: 'conversationUpdate', membersAdded: [chat.user, chat.bot] });
    assert.equal(greeting.status, 200);
    assert.deepEqual(greeting.replies.map((a) => a.text), [botTexts.welcome]);

    assert.deepEqual(await chat.say('oi'), [botTexts.askDocument]);
    assert.deepEqual(await chat.say('027.890.782-20'), [botTexts.askEmail]);
    assert.deepEqual(await chat.say(EMAIL), [botTexts.codeSent(MASKED, 10), botTexts.askCode]);
    const code = codeIn(await smtp.nextMail(0));

    const last = await chat.send({ type: 'message', text: code });
    assert.equal(last.status, 200);
    // A plain chat: no endOfConversation, which channels refuse from a bot (that is for a root bot).
    assert.deepEqual(last.replies.map((a) => a.text ?? a.type), [botTexts.validated(MASKED)]);
    // Plain text, so no channel reads the masked address as markdown (bold, or a link to another address).
    assert.equal(last.replies[0].textFormat, 'plain');
    assert.match(last.replies[0].text!, /email validado/);
    // Every reply goes back to the channel addressed to the conversation, from the bot.
    for (const reply of last.replies) {
      assert.equal(reply.conversation?.id, chat.id);
      assert.equal(reply.from?.id, chat.bot.id);
    }
    // The conversation's state is gone once it ended: the next message starts over.
    assert.deepEqual(await app.bot.storage.read([chat.stateKey]), {});
    assert.deepEqual(await chat.say('oi de novo'), [botTexts.askDocument]);

    // The conversation's turns, mail and confirmation show in the same metrics as the webhooks'.
    const metrics = await (await fetch(`${app.baseUrl}/metrics`)).text();
    assert.match(metrics, /^bot_turns_total\{outcome="message"\} 5$/m);
    assert.match(metrics, /^bot_turns_total\{outcome="conversationUpdate"\} 1$/m);
    assert.match(metrics, /^mails_sent_total 1$/m);
    assert.match(metrics, /^codes_confirmed_total 1$/m);
  });

  describe('without credentials: this machine only (no reply to any other host)', () => {
    const activity = (serviceUrl: unknown) =>
      JSON.stringify({ type: 'message', text: 'oi', channelId: 'emulator', serviceUrl, from: { id: 'u' }, recipient: { id: 'b' }, conversation: { id: 'c' } });
    const post = (body: string, base = app.baseUrl) =>
      request<{ error: string }>(`${base}/api/messages`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });

    it('refuses a serviceUrl that is not a loopback address or localhost with 400, before any outbound call', async () => {
      const trap = await startChannel();
      const port = new URL(trap.serviceUrl).port;
      try {
        const refused = [`http://0.0.0.0:${port}`, `http://0:${port}`, 'http://10.0.0.1/', `ftp://127.0.0.1:${port}`,
          `http://localhost.:${port}`, `http://app.localhost:${port}`, `http://localhost.localdomain:${port}`];
        for (const serviceUrl of refused) {
          const res = await post(activity(serviceUrl));
          assert.equal(res.status, 400, serviceUrl);
          assert.match(res.body.error, /127\.0\.0\.0\/8/);
        }
        assert.deepEqual(trap.replies, [], 'nothing was sent anywhere');
      } finally {
        await trap.close();
      }
    });

    it('answers a serviceUrl that is not a URL string with 400, never a 500 or internal text', async () => {
      for (const serviceUrl of [{ href: 'http://127.0.0.1/' }, 42, ['http://127.0.0.1/'], 'not a url']) {
        const res = await post(activity(serviceUrl));
        assert.deepEqual([res.status, res.body], [400, { error: 'serviceUrl must be an http(s) URL' }], JSON.stringify(serviceUrl));
      }
    });

    it('refuses ids longer than channels send, and bodies over 64 KiB, storing nothing', async () => {
      const chat = new HttpConversation(app.baseUrl, channel);
      const longId = await chat.send({ type: 'message', text: 'oi', conversation: { id: 'c'.repeat(2000) } as ConversationAccount });
      assert.equal(longId.status, 400);
      const large = await chat.send({ type: 'message', text: 'x'.repeat(65 * 1024) });
      assert.equal(large.status, 413);
      assert.deepEqual(channel.replies, []);
      assert.deepEqual(await app.bot.storage.read([chat.stateKey, `emulator/conversations/${'c'.repeat(2000)}/`]), {});
    });

    it("replies to the Agents Playground's and the Emulator's default addresses, http://localhost:<port>[/_connector]", async () => {
      // The Playground builds its serviceUrl as `http://localhost:${port}/_connector` unless --su is
      // given; the Emulator sends `http://localhost:${port}` unless its "localhost override" is set.
      for (const basePath of ['/_connector', '']) {
        const client = await startChannel({ host: 'localhost', basePath });
        try {
          assert.match(client.serviceUrl, /^http:\/\/localhost:\d+(\/_connector)?$/);
          const chat = new HttpConversation(app.baseUrl, client);
          const greeting = await chat.send({ type: 'conversationUpdate', membersAdded: [chat.user, chat.bot] });
          assert.equal(greeting.status, 200);
          assert.deepEqual(greeting.replies.map((a) => a.text), [botTexts.welcome]);
          assert.deepEqual(await chat.say('oi'), [botTexts.askDocument]);
        } finally {
          await client.close();
        }
      }
    });

    it('refuses, with 403, a request addressed by another name or sent from a web page of another site (DNS rebinding)', async () => {
      const port = new URL(app.baseUrl).port;
      // node:http, not fetch, which writes its own Host header.
      const send = (headers: Record<string, string>) =>
        new Promise<{ status: number; body: { error: string } }>((resolve, reject) => {
          const req = http.request(`${app.baseUrl}/api/messages`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers } });
          req.on('response', (res) => {
            let text = '';
            res.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
            res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text === '' ? { error: '' } : (JSON.parse(text) as { error: string }) }));
          });
          req.on('error', reject);
          req.end(activity(channel.serviceUrl));
        });
      // A page at a name it rebinds to 127.0.0.1: the socket is loopback, the Host and the Origin are the page's.
      const refused: Record<string, string>[] = [
        { host: `rebind.attacker.example:${port}` },
        { host: 'rebind.attacker.example' },
        { host: `127.0.0.1.nip.io:${port}` },
        { host: `localhost.attacker.example:${port}` },
        { host: `attacker@127.0.0.1:${port}` },
        { host: `127.0.0.1:${port}`, origin: `http://rebind.attacker.example:${port}` },
        { host: `localhost:${port}`, origin: 'https://attacker.example' },
        { host: `localhost:${port}`, origin: 'null' },
      ];
      for (const headers of refused) {
        const res = await send(headers);
        assert.deepEqual([res.status, Object.keys(res.body)], [403, ['error']], JSON.stringify(headers));
        assert.match(res.body.error, /Host and Origin/);
      }
      assert.deepEqual(channel.replies, [], 'no turn ran');
      assert.deepEqual(await app.bot.storage.read([`emulator/conversations/c/`]), {});

      // Loopback names and loopback pages (the Agents Playground's own page) are served.
      const accepted: Record<string, string>[] = [
        { host: `localhost:${port}` },
        { host: 'LOCALHOST' },
        { host: `127.0.0.1:${port}` },
        { host: `127.1.2.3:${port}` },
        { host: `[::1]:${port}` },
        { host: `localhost:${port}`, origin: 'http://localhost:56150' },
        { host: `127.0.0.1:${port}`, origin: 'http://127.0.0.1:56150' },
        { host: `127.0.0.1:${port}`, origin: 'https://[::1]' },
      ];
      for (const headers of accepted) assert.equal((await send(headers)).status, 200, JSON.stringify(headers));
      assert.equal(channel.replies.length, accepted.length);
    });

    it('refuses a client that is not on this machine with 403', async function () {
      const address = Object.values(networkInterfaces())
        .flat()
        .find((i) => i && i.family === 'IPv4' && !i.internal)?.address;
      if (!address) this.skip(); // no other interface to come from
      const open = await startTestApp({ SMTP_URL: smtp.url, SEED_DEMO: 'true', HOST: '0.0.0.0' });
      try {
        const res = await post(activity(channel.serviceUrl), `http://${address}:${open.port}`);
        assert.equal(res.status, 403);
        assert.match(res.body.error, /loopback/);
        assert.deepEqual(channel.replies, []);
      } finally {
        await open.close();
      }
    });
  });

  it('counts turns of activity types Bot Framework does not define under one label, "other"', async () => {
    const chat = new HttpConversation(app.baseUrl, channel);
    for (let i = 0; i < 30; i++) assert.equal((await chat.send({ type: `invented-${i}` })).status, 200);
    const metrics = await (await fetch(`${app.baseUrl}/metrics`)).text();
    assert.match(metrics, /^bot_turns_total\{outcome="other"\} 30$/m);
    assert.doesNotMatch(metrics, /invented/);
  });

  describe('anti-automation (docs/api.md §3)', () => {
    const NOT_FOUND = [texts.clientNotFound];
    /** One lookup: a conversation from the greeting to the send, for `document`. */
    const lookUp = async (chat: HttpConversation, document: string) => {
      assert.deepEqual(await chat.say('oi'), [botTexts.askDocument]);
      assert.deepEqual(await chat.say(document), [botTexts.askEmail]);
      return chat.say('alguem@exemplo.com.br');
    };

    const { max: PER_CONVERSATION } = CONVERSATION_DOCUMENT_LIMIT;
    const { max: PER_USER } = USER_LOOKUP_LIMIT;
    const WAIT = [texts.tooManySends(USER_LOOKUP_LIMIT.windowSeconds / 60)];

    it(`looks up at most ${PER_CONVERSATION} distinct CPF/CNPJ in one conversation, then says to wait and ends with N`, async () => {
      const chat = new HttpConversation(app.baseUrl, channel);
      const documents = Array.from({ length: PER_CONVERSATION }, () => cpf.generate());
      for (const document of documents) assert.deepEqual(await lookUp(chat, document), NOT_FOUND);
      assert.deepEqual(await lookUp(chat, documents[0]), NOT_FOUND, 'one already looked up is not another');
      assert.deepEqual(await lookUp(chat, cpf.generate()), [texts.tooManySends(CONVERSATION_DOCUMENT_LIMIT.keepSeconds / 60)]);
      assert.equal(smtp.mails.length, 0);
    });

    it(`looks up at most ${PER_USER} times in ${USER_LOOKUP_LIMIT.windowSeconds / 60} minutes for one channel user, across conversations`, async () => {
      // Each conversation stays within its own limit: as many as it takes to pass the user's.
      const chats = Array.from({ length: Math.ceil((PER_USER + 1) / PER_CONVERSATION) }, () => new HttpConversation(app.baseUrl, channel));
      const answers: string[][] = [];
      for (const chat of chats) for (let i = 0; i < PER_CONVERSATION; i++) answers.push(await lookUp(chat, cpf.generate()));
      assert.deepEqual(answers.slice(0, PER_USER), Array(PER_USER).fill(NOT_FOUND));
      assert.deepEqual(answers[PER_USER], WAIT);
    });
  });

  it('keeps each conversation on its own', async () => {
    const a = new HttpConversation(app.baseUrl, channel);
    const b = new HttpConversation(app.baseUrl, channel);
    await a.say('oi');
    await b.say('oi');
    assert.deepEqual(await a.say('02789078220'), [botTexts.askEmail]);
    assert.deepEqual(await b.say('02789078221'), [botTexts.retryDocument]);
  });

  it('accepts an activity only as JSON on /api/messages, and leaves the webhooks their own bodies', async () => {
    const bad = await fetch(`${app.baseUrl}/api/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{not json',
    });
    assert.equal(bad.status, 400);
    const webhook = await app.post('/gsan/chatbot/enviarCodigoValidacaoEmailCliente', '{not json');
    assert.deepEqual(webhook.body, { key: '', body: { validado: 'N', mensagemCritica: 'Requisição inválida.' } });
  });

  it('refuses, before any authentication and without inflating or storing anything, bodies that are not plain JSON activities', async () => {
    const post = (body: Buffer | string, headers: Record<string, string>) =>
      fetch(`${app.baseUrl}/api/messages`, { method: 'POST', headers, body });
    // A gzip bomb: 40 MiB of zeros in a few dozen KiB. Refused from its headers alone: the answer
    // comes while the body is never sent, so nothing could have been inflated.
    const gzip = { 'content-type': 'application/json', 'content-encoding': 'gzip' };
    const unread = await answerBeforeBody<{ error: string }>(`${app.baseUrl}/api/messages`, { ...gzip, 'content-length': '40000' });
    assert.equal(unread.status, 415);
    assert.match(unread.body.error, /uncompressed JSON/);
    const bomb = gzipSync(Buffer.alloc(40 * 2 ** 20));
    assert.equal((await post(bomb, gzip)).status, 415);
    const form = new FormData();
    form.append('file', new Blob([Buffer.alloc(300 * 1024)]), 'x.bin');
    assert.equal((await fetch(`${app.baseUrl}/api/messages`, { method: 'POST', body: form })).status, 415);
    assert.equal((await post(JSON.stringify({ text: 'x'.repeat(300 * 1024), type: 'message' }), { 'content-type': 'application/json' })).status, 413);
    assert.equal((await post('{"text":"sem tipo"}', { 'content-type': 'application/json' })).status, 400);
    assert.equal(channel.replies.length, 0, 'no turn ran');
  });
});
