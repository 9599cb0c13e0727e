import { z } from 'zod';
import { parseDocument } from '../services/domain/document';
import { MAX_ATTEMPTS_PER_CODE } from '../services/domain/rules';
import type { Client, Stores, ValidationRecord } from '../services/store/types';
import { AdminError, printable, validateArgs, writeJson, writeLine, type AdminIo } from './common';
import { siglaSchema } from './companies';
import { adminTexts as t, counted } from './texts';

/**
 * `clientes consultar | esquecer`: a data subject's requests under the LGPD (arts. 18 I–II and VI):
 * what the service holds about one client, and the erasure of what it holds beyond GSAN's own
 * registry data (name and CPF/CNPJ stay, as GSAN sends them).
 */

export const clientArgs = z.object({
  sigla: siglaSchema,
  cpf: z
    .string({ error: t.missingOption('cpf') })
    .transform((s) => parseDocument(s) ?? '')
    .refine((s) => s !== '', t.invalidClientDocument),
});

export type ClientArgs = z.input<typeof clientArgs>;

const iso = (d: Date | null) => d?.toISOString() ?? null;

const describeValidation = (v: ValidationRecord) => ({
  email: v.email,
  validadoEm: v.validatedAt.toISOString(),
  origem: v.origin,
  notificacao: v.delivery,
  tentativas: v.attempts,
  entregueEm: iso(v.deliveredAt),
  ultimoErro: v.lastError,
});

/** Everything held about the client: the registry data, its validations, and when its live codes (docs/api.md §2) expire (never a code or hash). */
export async function consultClient(stores: Stores, io: AdminIo, rawArgs: ClientArgs, now = new Date()): Promise<void> {
  const { sigla, cpf } = validateArgs(clientArgs, rawArgs);
  const client = await stores.clients.find(sigla, cpf);
  if (!client) throw new AdminError(t.clientNotFound(sigla, cpf));
  const [validations, expiries] = await Promise.all([stores.validations.list(sigla, cpf), stores.codes.liveExpiries(sigla, cpf, now, MAX_ATTEMPTS_PER_CODE)]);
  const report = {
    empresa: sigla,
    cpfCnpj: client.document,
    nome: client.nome,
    email: client.email,
    emailValidadoEm: iso(client.emailValidatedAt),
    validacoes: validations.map(describeValidation),
    codigosVivosAte: expiries.map((d) => d.toISOString()),
  };
  if (io.json) writeJson(io.out, report);
  else writeLine(io.out, consultText(client, report));
}

function consultText(client: Client, r: { validacoes: ReturnType<typeof describeValidation>[]; codigosVivosAte: string[] }): string {
  return [
    `Cliente ${client.document} da empresa ${client.companyId}`,
    `  nome:              ${printable(client.nome)}`,
    `  email:             ${client.email === null ? '(nenhum)' : printable(client.email)}`,
    `  email validado em: ${iso(client.emailValidatedAt) ?? '(nunca)'}`,
    `  validações:        ${r.validacoes.length}`,
    ...r.validacoes.map(
      (v) =>
        `    ${v.validadoEm}  ${printable(v.email)}  ${t.origin[v.origem]}  notificação: ${t.deliveryState[v.notificacao]}` +
        (v.entregueEm ? ` em ${v.entregueEm}` : '') +
        (v.tentativas > 0 ? `, ${counted(v.tentativas, 'tentativa', 'tentativas')}` : '') +
        (v.ultimoErro ? ` (último erro: ${printable(v.ultimoErro)})` : ''),
    ),
    `  códigos vivos:     ${r.codigosVivosAte.length}${r.codigosVivosAte.length ? ` (vencem: ${r.codigosVivosAte.join(', ')})` : ''}`,
  ].join('\n');
}

/** Erases the client's email, validations, pending notifications and codes, and says what there was. */
export async function forgetClient(stores: Stores, io: AdminIo, rawArgs: ClientArgs): Promise<void> {
  const { sigla, cpf } = validateArgs(clientArgs, rawArgs);
  if (!(await stores.clients.find(sigla, cpf))) throw new AdminError(t.clientNotFound(sigla, cpf));
  // The codes first: none is left to validate the email again once it is gone.
  const codes = await stores.codes.removeAll(sigla, cpf);
  const before = await stores.clients.forget(sigla, cpf);
  if (!before) throw new AdminError(t.clientNotFound(sigla, cpf));
  const removed = {
    email: before.email !== null,
    validations: before.validations.length,
    pending: before.validations.filter((v) => v.delivery === 'pending').length,
    codes,
  };
  writeLine(io.err, t.forgotten(sigla, cpf, removed));
  if (io.json) writeJson(io.out, { empresa: sigla, cpfCnpj: cpf, apagados: { email: removed.email, validacoes: removed.validations, notificacoesPendentes: removed.pending, codigos: codes } });
}
