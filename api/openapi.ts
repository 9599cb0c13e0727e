import type { Server } from 'restify';
import { z } from 'zod';
import { DEMO_COMPANY, DEMO_KEY } from '../services/runtime/demo';
import { maskEmail } from '../services/domain/email';
import { outcomes, type Outcome } from '../services/domain/outcome';
import { MAX_BODY_BYTES } from './envelope';
import { confirmCodeRequest, envelope, sendCodeRequest } from './schemas';
import { CONFIRM_PATH, SEND_PATH } from './webhooks';

/**
 * `GET /openapi.json`: an OpenAPI 3.1 document of both webhooks, built from the zod schemas
 * that validate them and from the outcome constructors that answer them, so it cannot drift.
 */

const schema = (s: z.ZodType, io: 'input' | 'output') => {
  const json = z.toJSONSchema(s, { target: 'draft-2020-12', io }) as Record<string, unknown>;
  delete json.$schema;
  return json;
};

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });

const reasons: Record<number, string> = {
  200: 'Resposta de negócio: "S", ou "N" com o motivo',
  400: 'Requisição, CPF/CNPJ, email ou código inválido',
  401: 'Chave de autenticação inválida',
  405: 'Método não permitido',
  413: `Corpo maior que ${MAX_BODY_BYTES / 1024} KiB`,
  415: 'Corpo que não é JSON',
  429: 'Limite atingido (cabeçalho Retry-After)',
  500: 'Falha no envio do email',
  503: 'Banco de dados indisponível',
};

/** One response object per status, each example an actual answer of the service. */
function responses(examples: Record<string, Outcome>) {
  const byStatus = new Map<number, Record<string, { summary: string; value: unknown }>>();
  for (const [name, outcome] of Object.entries(examples)) {
    const group = byStatus.get(outcome.status) ?? {};
    group[name] = {
      summary: outcome.kind,
      value: { key: DEMO_KEY, body: { validado: outcome.validado, mensagemCritica: outcome.mensagemCritica } },
    };
    byStatus.set(outcome.status, group);
  }
  return Object.fromEntries(
    [...byStatus.entries()]
      .sort(([a], [b]) => a - b)
      .map(([status, group]) => [
        String(status),
        {
          description: reasons[status],
          ...(status === 429 ? { headers: { 'Retry-After': { schema: { type: 'integer' }, description: 'Segundos até poder tentar de novo' } } } : {}),
          content: { 'application/json': { schema: ref('Resposta'), examples: group } },
        },
      ]),
  );
}

const common = {
  clienteNaoEncontrado: outcomes.clientNotFound(),
  cpfCnpjInvalido: outcomes.invalidDocument(),
  emailInvalido: outcomes.invalidEmail(),
  requisicaoInvalida: outcomes.invalidRequest('cpfCnpj'),
  chaveInvalida: outcomes.invalidKey(),
  metodoNaoPermitido: outcomes.methodNotAllowed(),
  muitoGrande: outcomes.tooLarge(),
  naoJson: outcomes.notJson(),
  indisponivel: outcomes.unavailable(),
};

export function openApiDocument(publicUrl: string) {
  return {
    openapi: '3.1.0',
    info: {
      title: 'Validação de email de clientes (GSAN chatbot)',
      version: '1.0.0',
      description:
        'Webhooks compatíveis com o GSAN. Toda resposta, com qualquer status, é o envelope GSAN ' +
        '`{key, body: {validado, mensagemCritica}}` em `application/json; charset=utf-8`.',
    },
    servers: [{ url: publicUrl }],
    paths: {
      [SEND_PATH]: {
        post: {
          operationId: 'enviarCodigoValidacaoEmailCliente',
          summary: 'Envia um código de validação para o email do cliente',
          requestBody: { required: true, content: { 'application/json': { schema: ref('EnviarCodigoRequest') } } },
          responses: responses({
            enviado: outcomes.codeSent(),
            semelhante: outcomes.similarEmail(maskEmail('aaaxxxxbbb@email.com'), DEMO_COMPANY.assistente, DEMO_COMPANY.site),
            ...common,
            muitasSolicitacoes: outcomes.tooManySends(60),
            falhaNoEnvio: outcomes.mailFailed(maskEmail('informeemail@gmail.com.br')),
          }),
        },
      },
      [CONFIRM_PATH]: {
        post: {
          operationId: 'confirmarCodigoValidacaoEmailCliente',
          summary: 'Confirma o código e registra o email como validado',
          requestBody: { required: true, content: { 'application/json': { schema: ref('ConfirmarCodigoRequest') } } },
          responses: responses({
            confirmado: outcomes.confirmed(),
            codigoErrado: outcomes.wrongCode(4),
            ultimaTentativa: outcomes.lastAttemptSpent(),
            semCodigo: outcomes.noLiveCode(),
            // The client was given another email between the send and the confirmation.
            semelhante: outcomes.similarEmail(maskEmail('aaaxxxxbbb@email.com'), DEMO_COMPANY.assistente, DEMO_COMPANY.site),
            ...common,
            codigoMalFormado: outcomes.invalidCode(),
            bloqueado: outcomes.locked(86_400),
          }),
        },
      },
    },
    components: {
      schemas: {
        EnviarCodigoRequest: schema(sendCodeRequest, 'input'),
        ConfirmarCodigoRequest: schema(confirmCodeRequest, 'input'),
        Resposta: schema(envelope, 'output'),
      },
    },
  };
}

export function registerOpenApi(server: Server, publicUrl: string): void {
  const body = JSON.stringify(openApiDocument(publicUrl));
  server.get('/openapi.json', async (_req, res) => {
    res.sendRaw(200, body, { 'Content-Type': 'application/json; charset=utf-8' });
  });
}
