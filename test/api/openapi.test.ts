import { strict as assert } from 'node:assert';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { envelope, confirmCodeRequest, sendCodeRequest, type Envelope } from '../../api/schemas';
import { CONFIRM_PATH, SEND_PATH } from '../../api/webhooks';
import {
  companyLookupLimit,
  CONVERSATION_DOCUMENT_LIMIT,
  DEFAULT_LOOKUPS_PER_MINUTE,
  LOCK_SECONDS,
  MAX_ATTEMPTS_PER_CODE,
  MAX_CONSECUTIVE_FAILURES,
  MAX_KEY_LENGTH,
  RECIPIENT_LIMIT,
  SEND_LIMIT,
  USER_LOOKUP_LIMIT,
} from '../../services/domain/rules';
import { botTexts, texts } from '../../services/domain/texts';
import { request, startTestApp, type TestApp } from '../support/app';

/** The parts of the OpenAPI document these tests read. */
interface OpenApiDocument {
  openapi: string;
  servers: { url: string }[];
  paths: Record<string, { post: { responses: Record<string, OpenApiResponse> } }>;
  components: { schemas: Record<string, { required: string[]; properties: Record<string, { example?: unknown }> }> };
}

interface OpenApiResponse {
  headers: Record<string, unknown>;
  content: Record<string, { examples: Record<string, { value: Envelope }> }>;
}

describe('GET /openapi.json', () => {
  let app: TestApp;
  let doc: OpenApiDocument;
  before(async () => {
    app = await startTestApp({ PUBLIC_URL: 'https://validacao.caer.com.br' });
    const res = await request<OpenApiDocument>(`${app.baseUrl}/openapi.json`);
    assert.equal(res.status, 200);
    doc = res.body;
  });
  after(() => app.close());

  it('is an OpenAPI 3.1 document of both webhooks at the public address', () => {
    assert.equal(doc.openapi, '3.1.0');
    assert.deepEqual(doc.servers, [{ url: 'https://validacao.caer.com.br' }]);
    assert.deepEqual(Object.keys(doc.paths).sort(), [CONFIRM_PATH, SEND_PATH].sort());
  });

  it('describes the request bodies from the validating schemas', () => {
    assert.deepEqual(doc.components.schemas.EnviarCodigoRequest.required.sort(), ['cpfCnpj', 'email', 'key']);
    assert.deepEqual(doc.components.schemas.ConfirmarCodigoRequest.required.sort(), ['codigo', 'cpfCnpj', 'email', 'key']);
    const example = doc.components.schemas.ConfirmarCodigoRequest.properties;
    const body = Object.fromEntries(Object.entries(example).map(([k, v]) => [k, v.example]));
    assert.ok(confirmCodeRequest.safeParse(body).success);
    assert.ok(sendCodeRequest.safeParse(body).success);
  });

  it('lists every status with an example of each answer, each a valid envelope', () => {
    const statuses = (path: string) => Object.keys(doc.paths[path].post.responses).sort();
    assert.deepEqual(statuses(SEND_PATH), ['200', '400', '401', '405', '413', '415', '429', '500', '503']);
    assert.deepEqual(statuses(CONFIRM_PATH), ['200', '400', '401', '405', '413', '415', '429', '503']);
    const messages: string[] = [];
    for (const path of [SEND_PATH, CONFIRM_PATH]) {
      for (const response of Object.values(doc.paths[path].post.responses)) {
        const examples = Object.values(response.content['application/json'].examples);
        assert.ok(examples.length > 0);
        for (const ex of examples) {
          assert.ok(envelope.safeParse(ex.value).success);
          messages.push(ex.value.body.mensagemCritica);
        }
      }
    }
    assert.ok(messages.includes('Código inválido. Você ainda tem 4 tentativas.'));
    assert.ok(messages.some((m) => m.startsWith('O cliente já possui um email cadastrado semelhante a aaa*****bbb@email.com.')));
    assert.ok(doc.paths[SEND_PATH].post.responses['429'].headers['Retry-After']);
  });
});

describe('docs/api.md', () => {
  it('quotes every fixed text the webhooks answer with, word for word', async () => {
    const doc = await readFile(join(__dirname, '../../docs/api.md'), 'utf8');
    const fixed = Object.values(texts).filter((text) => typeof text === 'string' && text !== '');
    assert.ok(fixed.length > 10);
    for (const text of fixed) assert.ok(doc.includes(`\`${String(text)}\``), String(text));
  });

  it('quotes the conversation texts it names, word for word (§5)', async () => {
    const doc = await readFile(join(__dirname, '../../docs/api.md'), 'utf8');
    for (const text of [botTexts.goodbye, botTexts.codeStillValid, botTexts.cancelledForRoot]) assert.ok(doc.includes(`\`${text}\``), text);
  });

  it('states the numbers services/domain/rules.ts holds (§1, §3)', async () => {
    const doc = await readFile(join(__dirname, '../../docs/api.md'), 'utf8');
    const minutes = (seconds: number) => seconds / 60;
    for (const phrase of [
      `a non-empty string of at most ${MAX_KEY_LENGTH} characters`,
      `| wrong tries | ${MAX_ATTEMPTS_PER_CODE} per code;`,
      `| lock | ${MAX_CONSECUTIVE_FAILURES} consecutive failures of one client`,
      `lock it for ${LOCK_SECONDS / 3600} hours`,
      `| sends per client | at least ${SEND_LIMIT.intervalSeconds} s apart, at most ${SEND_LIMIT.max} in any rolling ${minutes(SEND_LIMIT.windowSeconds)} minutes |`,
      `| codes per mailbox | at most ${RECIPIENT_LIMIT.max} in any rolling ${minutes(RECIPIENT_LIMIT.windowSeconds)} minutes to one mailbox`,
      `| lookups per company | at most ${DEFAULT_LOOKUPS_PER_MINUTE} in any rolling ${companyLookupLimit(DEFAULT_LOOKUPS_PER_MINUTE).windowSeconds} seconds`,
      `at most ${CONVERSATION_DOCUMENT_LIMIT.max} distinct CPF/CNPJ per conversation, and ${USER_LOOKUP_LIMIT.max} lookups per channel user ` +
        `(\`from.id\`) in any rolling ${minutes(USER_LOOKUP_LIMIT.windowSeconds)} minutes`,
    ]) {
      assert.ok(doc.includes(phrase), phrase);
    }
  });

  it('has every section the code, tests and docs cite as `docs/api.md §n`, and nothing cites another contract', async () => {
    const root = join(__dirname, '../..');
    const doc = await readFile(join(root, 'docs/api.md'), 'utf8');
    const sections = new Set([...doc.matchAll(/^## (\d+)\. /gm)].map((m) => m[1]));
    assert.ok(sections.size >= 7);
    const files = (await sourceFiles(root)).filter((file) => /\.(ts|md|mjs|cjs)$/.test(file));
    const cited: string[] = [];
    for (const file of files) {
      const text = await readFile(join(root, file), 'utf8');
      // `[C]`: so that a search of the repository for the word finds no citation, this line included.
      assert.doesNotMatch(text, /[C]ONTRACT(\.md| §)/, file);
      for (const citation of text.matchAll(/docs\/api\.md §(\d+)(?:[–-]§(\d+))?/g)) {
        for (const n of citation.slice(1).filter(Boolean)) {
          assert.ok(sections.has(n), `${file}: ${citation[0]}`);
          cited.push(n);
        }
      }
    }
    assert.ok(cited.length > 50, `${cited.length} citations found`);
  });
});

/** The repository's files under `dir`, relative to it: not what is installed, built or written at run time. */
async function sourceFiles(dir: string, under = ''): Promise<string[]> {
  const files: string[] = [];
  for (const entry of await readdir(join(dir, under), { withFileTypes: true })) {
    const path = join(under, entry.name);
    if (entry.isFile()) files.push(path);
    else if (entry.isDirectory() && !['node_modules', 'dist', 'var', '.cache', '.git'].includes(entry.name)) files.push(...(await sourceFiles(dir, path)));
  }
  return files;
}
