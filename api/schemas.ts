import { z } from 'zod';

/**
 * The wire shapes of both webhooks. The same schemas validate requests and produce
 * the OpenAPI document, so the two cannot drift apart.
 */

const text = (description: string, example: string) => z.string().meta({ description, example });

export const sendCodeRequest = z
  .object({
    key: text('Chave de autenticação da empresa.', 'jjFsdi45iHDYHdt78dJT-EH'),
    cpfCnpj: text('CPF ou CNPJ do cliente; pontuação e espaços são ignorados.', '02789078220'),
    email: text('Email do cliente a validar.', 'informeemail@gmail.com.br'),
  });

export const confirmCodeRequest = sendCodeRequest.extend({
  codigo: text('Código de 6 dígitos recebido por email; espaços são ignorados.', '123456'),
});

export const envelope = z.object({
  key: z.string().meta({ description: 'A chave enviada, ou "" quando não veio como texto.' }),
  body: z.object({
    validado: z.enum(['S', 'N']).meta({ description: '"S" quando a operação foi concluída.' }),
    mensagemCritica: z.string().meta({ description: 'Vazia no sucesso; senão, o texto a mostrar ao cliente.' }),
  }),
});

export type Envelope = z.infer<typeof envelope>;
