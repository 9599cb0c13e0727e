import { strict as assert } from 'node:assert';
import { createHash } from 'node:crypto';
import { cpf } from 'cpf-cnpj-validator';
import { START_EVENT } from '../../dialogs/activityRouterDialog';
import { SEND_PATH } from '../../api/webhooks';
import { keyedHash } from '../../services/domain/code';
import { DEMO_KEY } from '../../services/runtime/demo';
import { RECIPIENT_LIMIT } from '../../services/domain/rules';
import { texts } from '../../services/domain/texts';
import { startTestApp, type TestApp } from '../support/app';
import { HttpConversation, startChannel, type TestChannel } from '../support/channel';
import { startSmtp, type TestSmtp } from '../support/smtp';
import { limitCounterIds, TEST_PEPPER } from '../support/stores';

/**
 * The limits of docs/api.md §3 against what an attacker controls: the ids of a conversation, and
 * the spelling of an address. On the suite's store (in memory, or MongoDB with `STORE=mongo`).
 */

const N = (mensagemCritica: string) => ({ key: DEMO_KEY, body: { validado: 'N', mensagemCritica } });
const S = { key: DEMO_KEY, body: { validado: 'S', mensagemCritica: '' } };

describe('abuse of the limits', () => {
  let smtp: TestSmtp;
  let channel: TestChannel;
  let app: TestApp;

  const start = async (env: Record<string, string> = {}) => {
    app = await startTestApp({ SMTP_URL: smtp.url, SEED_DEMO: 'true', ...env });
  };
  beforeEach(async () => {
    smtp = await startSmtp('accept');
    channel = await startChannel();
  });
  afterEach(async () => {
    await app.close();
    await channel.close();
    await smtp.close();
  });

  /** A start event in a conversation of its own, from a channel user of its own: ids a caller chooses freely. */
  const freshConversation = async (cpfCnpj: string) => {
    const chat = new HttpConversation(app.baseUrl, channel);
    const turn = await chat.send({ type: 'event', name: START_EVENT, value: { cpfCnpj, email: 'alguem@exemplo.com.br' }, from: { id: `u-${chat.id}`, name: 'Cliente' } });
    assert.equal(turn.status, 200);
    return turn.replies.map((a) => a.text);
  };

  it('counts the conversation against the company it serves: new conversation and user ids per lookup do not escape the budget', async () => {
    await start({ LOOKUPS_PER_MINUTE: '4' });
    const notFound = texts.clientNotFound;
    for (let i = 0; i < 2; i++) {
      assert.deepEqual((await app.post(SEND_PATH, { key: DEMO_KEY, cpfCnpj: cpf.generate(), email: 'a@exemplo.com.br' })).body, N(notFound));
      assert.deepEqual(await freshConversation(cpf.generate()), [notFound]);
    }
    // Both doors spent the company's 4: the next lookup is refused through either.
    assert.deepEqual(await freshConversation(cpf.generate()), [texts.tooManySends(1)]);
    const refused = await app.post(SEND_PATH, { key: DEMO_KEY, cpfCnpj: cpf.generate(), email: 'a@exemplo.com.br' });
    assert.deepEqual([refused.status, refused.body], [429, N(texts.tooManySends(1))]);

    // Enumeration shows up as misses, by door.
    const metrics = await (await fetch(`${app.baseUrl}/metrics`)).text();
    assert.match(metrics, /^client_lookups_not_found_total\{door="webhook"\} 2$/m);
    assert.match(metrics, /^client_lookups_not_found_total\{door="conversa"\} 2$/m);
  });

  it('counts the codes to one mailbox however its address is spelled, and mails each to the address as typed', async () => {
    await start();
    const documents = [cpf.generate(), cpf.generate(), cpf.generate(), cpf.generate()];
    await app.stores.clients.upsertMany(documents.map((document) => ({ companyId: 'CAER', document, nome: 'Cliente', email: null })));
    const spellings = ['Ana.Silva+banco@gmail.com', 'anasilva@googlemail.com', 'A.N.A.S.I.L.V.A+x@gmail.com'];
    assert.equal(spellings.length, RECIPIENT_LIMIT.max, 'one spelling per code the mailbox may get');
    for (const [i, email] of spellings.entries()) {
      assert.deepEqual((await app.post(SEND_PATH, { key: DEMO_KEY, cpfCnpj: documents[i], email })).body, S, email);
    }
    const fourth = await app.post(SEND_PATH, { key: DEMO_KEY, cpfCnpj: documents[3], email: 'anasilva+outro@gmail.com' });
    assert.deepEqual([fourth.status, fourth.body], [429, N(texts.tooManySends(RECIPIENT_LIMIT.windowSeconds / 60))]);
    assert.deepEqual(
      smtp.mails.map((m) => m.envelopeTo),
      spellings.map((email) => [email]),
      'each mail went to the address as typed, and the fourth to none',
    );
    // Another mailbox is another count.
    assert.deepEqual((await app.post(SEND_PATH, { key: DEMO_KEY, cpfCnpj: documents[3], email: 'ana.silva@exemplo.com.br' })).body, S);
  });

  it('keeps the per-recipient counter under a keyed hash of the mailbox, which no dictionary of addresses reverses', async () => {
    await start({ CODE_PEPPER: TEST_PEPPER });
    assert.deepEqual((await app.post(SEND_PATH, { key: DEMO_KEY, cpfCnpj: '02789078220', email: 'Ana.Silva+x@gmail.com' })).body, S);
    const ids = await limitCounterIds(app.stores);
    assert.ok(ids.includes(`recipient:${keyedHash('anasilva@gmail.com', TEST_PEPPER)}`), ids.join(', '));
    for (const spelling of ['Ana.Silva+x@gmail.com', 'ana.silva+x@gmail.com', 'anasilva@gmail.com']) {
      const digest = createHash('sha256').update(spelling).digest('hex');
      assert.ok(!ids.some((id) => id.includes(digest) || id.toLowerCase().includes(spelling.toLowerCase())), spelling);
    }
  });
});
