import { strict as assert } from 'node:assert';
import sinon from 'sinon';
import { authenticationConfiguration, callersValidator } from '../../bots/adapter';
import { loadConfig } from '../../services/runtime/config';
import { botTexts, texts } from '../../services/domain/texts';
import { request, startTestApp, type TestApp } from '../support/app';
import { captureLogs, type CapturedLogs } from '../support/logs';
import { HttpConversation, startChannel, type TestChannel } from '../support/channel';
import { codeIn, startSmtp, type TestSmtp } from '../support/smtp';
import { eventually } from '../support/wait';

const EMAIL = 'maria@exemplo.com.br';
const MASKED = 'm*****a@exemplo.com.br';
const PUBLIC_URL = 'https://gsan.exemplo.com.br';
const MANIFEST = '/manifest/gsan-email-validation-manifest.json';

/** The parts of a skill manifest these tests read. */
interface Manifest {
  [field: string]: unknown;
  $schema: string;
  endpoints: { description: string; msAppId: string }[];
  activities: Record<string, { type: string; name?: string; value?: { $ref: string }; resultValue?: { $ref: string } }>;
  definitions: Record<string, { properties: object; required?: string[] }>;
}

const start = (value?: unknown) => ({ type: 'event', name: 'enviarCodigoValidacaoEmailCliente', value });

describe('the skill, played by a root bot over HTTP (no credentials)', () => {
  let smtp: TestSmtp;
  let channel: TestChannel;
  let app: TestApp;
  let root: HttpConversation;
  let logs: CapturedLogs;

  beforeEach(async () => {
    smtp = await startSmtp('accept');
    channel = await startChannel();
    logs = captureLogs();
    app = await startTestApp({ SMTP_URL: smtp.url, SEED_DEMO: 'true', PUBLIC_URL }, { logger: logs.logger });
    // A root bot calls the skill: the recipient is the skill.
    root = new HttpConversation(app.baseUrl, channel, 'emulator', 'skill');
  });
  afterEach(async () => {
    sinon.restore();
    await app.close();
    await channel.close();
    await smtp.close();
  });

  it('started by the event with both values, asks only for the code and ends with the result', async () => {
    const first = await root.send(start({ cpfCnpj: '027.890.782-20', email: EMAIL }));
    assert.equal(first.status, 200);
    assert.deepEqual(first.replies.map((a) => a.text), [botTexts.codeSent(MASKED, 10), botTexts.askCode]);
    const code = codeIn(await smtp.nextMail(0));

    const last = await root.send({ type: 'message', text: code });
    assert.deepEqual(last.replies.map((a) => a.type), ['message', 'endOfConversation']);
    assert.equal(last.replies[0].text, botTexts.validated(MASKED));
    const eoc = last.replies[1];
    assert.equal(eoc.code, 'completedSuccessfully');
    assert.deepEqual(eoc.value, { validado: 'S', mensagemCritica: '', emailValidado: EMAIL });
    assert.deepEqual(await app.bot.storage.read([root.stateKey]), {});
  });

  it('started with an invalid CPF asks for it again, then goes on', async () => {
    const first = await root.send(start({ cpfCnpj: '02789078221', email: EMAIL }));
    assert.deepEqual(first.replies.map((a) => a.text), [botTexts.retryDocument]);
    assert.deepEqual(await root.say('02789078220'), [botTexts.codeSent(MASKED, 10), botTexts.askCode]);
  });

  it('started without a value asks for everything, and ignores fields that are not text', async () => {
    const bare = await root.send(start());
    assert.deepEqual(bare.replies.map((a) => a.text), [botTexts.askDocument]);
    const other = new HttpConversation(app.baseUrl, channel, 'emulator', 'skill');
    const odd = await other.send(start({ cpfCnpj: 2789078220, email: ['x'] }));
    assert.deepEqual(odd.replies.map((a) => a.text), [botTexts.askDocument]);
  });

  it('ends with the refusal of the service as the result', async () => {
    const { replies } = await root.send(start({ cpfCnpj: '52998224725', email: EMAIL }));
    assert.deepEqual(replies.map((a) => a.text ?? a.type), ['Cliente não encontrado para o CPF/CNPJ informado.', 'endOfConversation']);
    assert.equal(replies[1].code, 'completedSuccessfully');
    assert.deepEqual(replies[1].value, {
      validado: 'N',
      mensagemCritica: 'Cliente não encontrado para o CPF/CNPJ informado.',
      emailValidado: '',
    });
  });

  it('a root that refuses the endOfConversation changes nothing the person sees: no apology follows', async () => {
    const refusing = await startChannel({ refuse: (activity) => activity.type === 'endOfConversation' });
    try {
      const caller = new HttpConversation(app.baseUrl, refusing, 'emulator', 'skill');
      const { status, replies } = await caller.send(start({ cpfCnpj: '52998224725', email: EMAIL }));
      assert.equal(status, 200);
      assert.deepEqual(replies.map((a) => a.text ?? a.type), ['Cliente não encontrado para o CPF/CNPJ informado.']);
      const refused = logs.lines().filter((l) => l.msg === 'reply not delivered');
      assert.deepEqual(refused.map((l) => [l.level, l.activityType, l.status]), [['warn', 'endOfConversation', 400]]);
      assert.ok(!logs.lines().some((l) => l.msg === 'unexpected error in a bot turn'));
    } finally {
      await refusing.close();
    }
  });

  it('an endOfConversation from the root cancels the dialog and clears its state', async () => {
    await root.send(start({ cpfCnpj: '02789078220' }));
    const during = await app.bot.storage.read([root.stateKey]);
    assert.ok(during[root.stateKey], 'the dialog state is stored while the dialog runs');

    const end = await root.send({ type: 'endOfConversation', code: 'userCancelled' });
    assert.equal(end.status, 200);
    assert.deepEqual(end.replies, []);
    assert.deepEqual(await app.bot.storage.read([root.stateKey]), {});
    // What comes next starts afresh instead of answering the old question.
    assert.deepEqual(await root.say(EMAIL), [botTexts.askDocument]);
  });

  it('"cancelar" from the person ends with userCancelled', async () => {
    await root.send(start({ cpfCnpj: '02789078220' }));
    const { replies } = await root.send({ type: 'message', text: 'cancelar' });
    assert.deepEqual(replies.map((a) => a.text ?? a.type), [botTexts.cancelledForRoot, 'endOfConversation']);
    assert.equal(replies[1].code, 'userCancelled');
    assert.deepEqual(replies[1].value, { validado: 'N', mensagemCritica: '', emailValidado: '' });
    assert.deepEqual(await app.bot.storage.read([root.stateKey]), {});
  });

  it('a new start event replaces a validation under way', async () => {
    await root.send(start({ cpfCnpj: '02789078220' }));
    const again = await root.send(start({ cpfCnpj: '02789078220', email: EMAIL }));
    assert.deepEqual(again.replies.map((a) => a.text), [botTexts.codeSent(MASKED, 10), botTexts.askCode]);
  });

  it('an unknown event starts nothing', async () => {
    const { status, replies } = await root.send({ type: 'event', name: 'outroEvento' });
    assert.equal(status, 200);
    assert.deepEqual(replies, []);
  });

  it('answers a database failure as the webhooks do: "indisponível", and the result says N', async () => {
    await root.send(start({ cpfCnpj: '02789078220' }));
    sinon.stub(app.service, 'sendCode').rejects(new Error('database exploded'));
    const { replies } = await root.send({ type: 'message', text: EMAIL });
    assert.deepEqual(replies.map((a) => a.text ?? a.type), [texts.unavailable, 'endOfConversation']);
    assert.equal(replies[1].code, 'completedSuccessfully');
    assert.deepEqual(replies[1].value, { validado: 'N', mensagemCritica: texts.unavailable, emailValidado: '' });
    assert.ok(!JSON.stringify(replies).includes('exploded'), 'no internal detail leaks');
  });

  it('answers an unexpected error with an apology and endOfConversation SkillError, and clears the state', async () => {
    await root.send(start({ cpfCnpj: '02789078220' }));
    const write = sinon.stub(app.bot.storage, 'write').rejects(new Error('state store exploded'));
    const { replies } = await root.send({ type: 'message', text: EMAIL });
    write.restore();
    assert.deepEqual(replies.map((a) => a.text ?? a.type).slice(-2), [botTexts.unexpectedError, 'endOfConversation']);
    assert.equal(replies.at(-1)!.code, 'SkillError');
    assert.ok(!JSON.stringify(replies).includes('exploded'), 'no internal detail leaks');
    assert.deepEqual(await app.bot.storage.read([root.stateKey]), {});
    // Logged once, with the id of the request that carried the turn.
    const errors = logs.lines().filter((l) => l.msg === 'unexpected error in a bot turn');
    assert.equal(errors.length, 1);
    // Written when the answer is over, which may be just after the client read it.
    await eventually(() => logs.lines().some((l) => l.msg === 'request' && l.route === '/api/messages' && l.reqId === errors[0].reqId));
  });

  it('serves the manifest with the event, its value and result, and this endpoint', async () => {
    const res = await request<Manifest>(app.baseUrl + MANIFEST);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), 'application/json; charset=utf-8');
    const manifest = res.body;
    assert.equal(manifest.$schema, 'https://schemas.botframework.com/schemas/skills/v2.1/skill-manifest.json');
    assert.deepEqual(manifest.endpoints[0], {
      name: 'default',
      protocol: 'BotFrameworkV3',
      description: manifest.endpoints[0].description,
      endpointUrl: `${PUBLIC_URL}/api/messages`,
      msAppId: '00000000-0000-0000-0000-000000000000',
    });
    // Only what the v2.1 schema allows at the top (it forbids anything else).
    const allowed = ['$schema', '$id', 'name', 'version', 'description', 'publisherName', 'privacyUrl', 'copyright',
      'license', 'iconUrl', 'tags', 'endpoints', 'dispatchModels', 'activities', 'activitiesSent', 'definitions'];
    assert.deepEqual(Object.keys(manifest).filter((k) => !allowed.includes(k)), []);
    for (const required of ['$id', '$schema', 'name', 'version', 'publisherName', 'endpoints']) assert.ok(manifest[required], required);
    const event = manifest.activities.enviarCodigoValidacaoEmailCliente;
    assert.equal(event.type, 'event');
    assert.equal(event.name, 'enviarCodigoValidacaoEmailCliente');
    const resolve = (ref: string) => manifest.definitions[ref.replace('#/definitions/', '')];
    assert.deepEqual(Object.keys(resolve(event.value!.$ref).properties), ['cpfCnpj', 'email']);
    assert.equal(resolve(event.value!.$ref).required, undefined, 'both values are optional');
    assert.deepEqual(Object.keys(resolve(event.resultValue!.$ref).properties), ['validado', 'mensagemCritica', 'emailValidado']);
  });

  it("meets Copilot Studio's rules for a skill: at most 100 actions, 25 inputs and outputs each, no arrays", async () => {
    const manifest = (await request<Manifest>(app.baseUrl + MANIFEST)).body;
    assert.match(manifest.$schema, /\/skills\/v2\.[12]\/skill-manifest\.json$/);
    const activities = Object.values(manifest.activities);
    assert.ok(activities.length >= 1 && activities.length <= 100);
    const resolve = (ref: string | undefined) => (ref ? manifest.definitions[ref.replace('#/definitions/', '')] : undefined);
    for (const activity of activities) {
      for (const shape of [resolve(activity.value?.$ref), resolve(activity.resultValue?.$ref)]) {
        if (shape) assert.ok(Object.keys(shape.properties).length <= 25);
      }
    }
    assert.doesNotMatch(JSON.stringify(manifest), /"type":\s*"array"/, 'no array types anywhere');
    for (const endpoint of manifest.endpoints) assert.match(endpoint.msAppId, /^[0-9a-f-]{36}$/);
  });

  it('answers an unknown manifest with 404', async () => {
    for (const path of ['/manifest/outro.json', '/manifest/..%2Fpackage.json']) {
      const res = await request(app.baseUrl + path);
      assert.equal(res.status, 404, path);
    }
  });
});

describe('the skill with credentials', () => {
  let app: TestApp;
  let logs: CapturedLogs;
  const APP_ID = '11111111-2222-3333-4444-555555555555';

  beforeEach(async () => {
    logs = captureLogs();
    app = await startTestApp(
      {
        MicrosoftAppId: APP_ID,
        MicrosoftAppPassword: 'not-a-real-secret',
        ALLOWED_CALLERS: 'aaaaaaaa-0000-0000-0000-000000000001',
        PUBLIC_URL,
      },
      { logger: logs.logger },
    );
  });
  afterEach(async () => {
    await app.close();
  });

  it('refuses an activity without a token with 401 and one warn line, no stack, and names its app id in the manifest', async () => {
    const printed = sinon.spy(console, 'error');
    const res = await request<{ error: string }>(`${app.baseUrl}/api/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
      type: 'message',
      text: 'oi',
      channelId: 'emulator',
      serviceUrl: 'http://127.0.0.1:9',
      conversation: { id: 'c' },
      from: { id: 'u' },
      recipient: { id: 'b' },
      }),
    });
    printed.restore();
    assert.deepEqual([res.status, res.body], [401, { error: 'the caller is not authenticated for this bot' }]);
    assert.equal(printed.callCount, 0, 'nothing printed outside the JSON log');
    const refused = logs.lines().filter((l) => l.msg === 'bot turn refused');
    assert.equal(refused.length, 1);
    assert.equal(refused[0].level, 'warn');
    assert.equal(refused[0].error.stack, undefined);
    const manifest = (await request<Manifest>(app.baseUrl + MANIFEST)).body;
    assert.equal(manifest.endpoints[0].msAppId, APP_ID);
  });
});

describe('ALLOWED_CALLERS (the claims validator)', () => {
  const bot = (allowedCallers: string[], credentials = true) =>
    loadConfig({ MicrosoftAppId: credentials ? 'skill-app' : '', MicrosoftAppPassword: 'x', ALLOWED_CALLERS: allowedCallers.join(',') }).bot;
  // The claims of a token a root bot (appid `caller`) obtained to call this skill (aud `skill-app`).
  const skillClaims = (caller: string) => [
    { type: 'ver', value: '1.0' },
    { type: 'aud', value: 'skill-app' },
    { type: 'appid', value: caller },
  ];
  // The claims of a token the Bot Framework channel service sends.
  const channelClaims = [
    { type: 'ver', value: '1.0' },
    { type: 'aud', value: 'skill-app' },
    { type: 'iss', value: 'https://api.botframework.com' },
  ];

  it('lets the listed root bots in and refuses any other', async () => {
    const validate = callersValidator(bot(['root-a', 'root-b']))!;
    await validate(skillClaims('root-a'));
    await validate(skillClaims('root-b'));
    await assert.rejects(validate(skillClaims('intruder')), /intruder/);
  });

  /** What botbuilder calls with a caller's claims: the validator of the configuration the adapter hands it. */
  const validateClaims = (allowedCallers: string[]) => authenticationConfiguration(bot(allowedCallers)).validateClaims!;

  it('lets any root bot in with "*", which a list of names does not', async () => {
    await validateClaims(['*'])(skillClaims('anyone'));
    await validateClaims(['*', 'root-a'])(skillClaims('anyone'));
    await assert.rejects(validateClaims(['root-a'])(skillClaims('anyone')), /anyone/);
  });

  it('does not stand in the way of the channels themselves, while refusing a root bot not listed', async () => {
    const validate = validateClaims(['root-a']);
    await validate(channelClaims);
    await assert.rejects(validate(skillClaims('intruder')), /intruder/);
  });

  it('validates nothing without credentials, and leaves an empty list to botbuilder (no root bot)', () => {
    assert.equal(callersValidator(bot(['root-a'], false)), undefined);
    assert.equal(callersValidator(bot([])), undefined);
  });
});

describe('ALLOWED_TENANT_IDS (Copilot Studio as a single-tenant root)', () => {
  const TENANT = '72f988bf-86f1-41af-91ab-2d7cd011db47';

  it("accepts the tokens of the listed tenants' Entra ID issuers, v1 and v2, besides Bot Framework's", () => {
    const bot = loadConfig({ MicrosoftAppId: 'skill-app', MicrosoftAppPassword: 'x', ALLOWED_TENANT_IDS: ` ${TENANT.toUpperCase()} ` }).bot;
    assert.deepEqual(authenticationConfiguration(bot).validTokenIssuers, [
      `https://sts.windows.net/${TENANT}/`,
      `https://login.microsoftonline.com/${TENANT}/v2.0`,
    ]);
    assert.deepEqual(authenticationConfiguration(loadConfig({}).bot).validTokenIssuers, []);
  });

  it('refuses a value that is not a list of tenant ids, naming the variable', () => {
    assert.throws(() => loadConfig({ ALLOWED_TENANT_IDS: 'contoso.onmicrosoft.com' }), /^ConfigError: Configuração inválida: ALLOWED_TENANT_IDS: /);
  });
});

describe('BOT_COMPANY', () => {
  it('defaults to CAER and names the company the conversation acts for', () => {
    assert.equal(loadConfig({}).bot.company, 'CAER');
    assert.equal(loadConfig({ BOT_COMPANY: '' }).bot.company, 'CAER');
    assert.equal(loadConfig({ BOT_COMPANY: ' COMPESA ' }).bot.company, 'COMPESA');
  });
});
