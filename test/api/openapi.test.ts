import { strict as assert } from 'node:assert';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { envelope, confirmCodeRequest, sendCodeRequest, type Envelope } from '../../api/schemas';
import { CONFIRM_PATH, SEND_PATH } from '../../api/webhooks';
import { botTexts, texts } from '../../services/texts';
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
});
