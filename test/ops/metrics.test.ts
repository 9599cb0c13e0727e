import { strict as assert } from 'node:assert';
import { CONFIRM_PATH, SEND_PATH } from '../../api/webhooks';
import { DEMO_KEY } from '../../services/runtime/demo';
import { botTexts } from '../../services/domain/texts';
import { request, startTestApp, type TestApp } from '../support/app';
import { HttpConversation, startChannel } from '../support/channel';
import { codeIn, startSmtp, type TestSmtp } from '../support/smtp';

const seedRequest = { key: DEMO_KEY, cpfCnpj: '02789078220', email: 'informeemail@gmail.com.br' };

describe('GET /metrics', () => {
  const apps: TestApp[] = [];
  const smtps: TestSmtp[] = [];
  afterEach(async () => {
    for (const app of apps.splice(0)) await app.close();
    for (const smtp of smtps.splice(0)) await smtp.close();
  });

  async function start(mode: 'accept' | 'reject' = 'accept'): Promise<{ app: TestApp; smtp: TestSmtp }> {
    const smtp = await startSmtp(mode);
    const app = await startTestApp({ SMTP_URL: smtp.url, SEED_DEMO: 'true' });
    smtps.push(smtp);
    apps.push(app);
    return { app, smtp };
  }

  async function scrape(app: TestApp): Promise<(name: string, labels?: Record<string, string>) => number | undefined> {
    const res = await request(`${app.baseUrl}/metrics`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
    return (name, labels = {}) => metricValue(String(res.body), name, labels);
  }

  it('counts a sent mail, the request and its duration', async () => {
    const { app } = await start();
    const before = await scrape(app);
    assert.equal(before('mails_sent_total'), 0);
    assert.equal(before('http_requests_total', { route: SEND_PATH, status: '200' }), undefined);

    assert.equal((await app.post(SEND_PATH, seedRequest)).status, 200);
    const after = await scrape(app);
    assert.equal(after('mails_sent_total'), 1);
    assert.equal(after('mails_failed_total'), 0);
    assert.equal(after('http_requests_total', { route: SEND_PATH, status: '200' }), 1);
    assert.equal(after('http_request_duration_seconds_count', { route: SEND_PATH }), 1);
    assert.equal(after('http_requests_total', { route: '/metrics', status: '200' }), 1, 'the first scrape');
  });

  it('counts a failed mail', async () => {
    const { app } = await start('reject');
    assert.equal((await app.post(SEND_PATH, seedRequest)).status, 500);
    const metrics = await scrape(app);
    assert.equal(metrics('mails_failed_total'), 1);
    assert.equal(metrics('mails_sent_total'), 0);
    assert.equal(metrics('http_requests_total', { route: SEND_PATH, status: '500' }), 1);
  });

  it('counts confirmations answered S and N, and unmatched routes under one label', async () => {
    const { app, smtp } = await start();
    await app.post(SEND_PATH, seedRequest);
    const code = codeIn(await smtp.nextMail(0));
    const wrong = code === '000000' ? '111111' : '000000';
    assert.equal((await app.post(CONFIRM_PATH, { ...seedRequest, codigo: wrong })).body.body.validado, 'N');
    assert.equal((await app.post(CONFIRM_PATH, { ...seedRequest, codigo: 'abc' })).status, 400);
    assert.equal((await app.post(CONFIRM_PATH, { ...seedRequest, codigo: code })).body.body.validado, 'S');
    await request(`${app.baseUrl}/x/02789078220`);
    await request(`${app.baseUrl}/y`);
    const metrics = await scrape(app);
    assert.equal(metrics('codes_confirmed_total'), 1);
    assert.equal(metrics('codes_refused_total'), 2);
    assert.equal(metrics('http_requests_total', { route: 'unmatched', status: '404' }), 2);
  });

  it('counts the turns of /api/messages by activity type, a refused one as an error', async () => {
    const { app } = await start();
    const channel = await startChannel();
    try {
      const chat = new HttpConversation(app.baseUrl, channel);
      assert.deepEqual(await chat.say('oi'), [botTexts.askDocument]);
      assert.deepEqual(await chat.say('02789078220'), [botTexts.askEmail]);
      assert.equal((await chat.send({ type: 'conversationUpdate', membersAdded: [chat.user] })).status, 200);
      assert.equal((await chat.send({ type: undefined })).status, 400, 'no type: not an activity');
      const metrics = await scrape(app);
      assert.equal(metrics('bot_turns_total', { outcome: 'message' }), 2);
      assert.equal(metrics('bot_turns_total', { outcome: 'conversationUpdate' }), 1);
      assert.equal(metrics('bot_turns_total', { outcome: 'error' }), 1);
      assert.equal(metrics('bot_turn_duration_seconds_count'), 4);
    } finally {
      await channel.close();
    }
  });

  it('keeps the metrics of each app instance apart', async () => {
    const one = await start();
    const two = await start();
    await one.app.post(SEND_PATH, seedRequest);
    assert.equal((await scrape(one.app))('mails_sent_total'), 1);
    assert.equal((await scrape(two.app))('mails_sent_total'), 0);
  });
});

/** The value of the sample `name` whose labels include `labels`, from the Prometheus text format. */
function metricValue(text: string, name: string, labels: Record<string, string>): number | undefined {
  for (const line of text.split('\n')) {
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const found = Object.fromEntries([...(match[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((m) => [m[1], m[2]]));
    if (Object.entries(labels).every(([k, v]) => found[k] === v)) return Number(match[3]);
  }
  return undefined;
}
