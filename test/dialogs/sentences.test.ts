import { strict as assert } from 'node:assert';
import { readCodeAnswer, readDocumentAnswer, readEmail, type Reading } from '../../dialogs/sentences';

/** How the conversation reads what people write (docs/api.md §5), one table per step. */

const CPF = '02789078220';
const CNPJ = '12ABC34501DE35';
const value = <T>(v: T): Reading<T> => ({ kind: 'value', value: v });
const invalid = { kind: 'invalid' } as const;
const ambiguous = { kind: 'ambiguous' } as const;
const none = { kind: 'none' } as const;

describe('reading sentences (docs/api.md §5)', () => {
  describe('the CPF/CNPJ step', () => {
    const table: [string, Reading<unknown>][] = [
      ['027.890.782-20', value({ document: CPF })],
      ['meu cpf é 027.890.782-20', value({ document: CPF })],
      ['MEU CPF E 02789078220', value({ document: CPF })],
      ['02789078220 é o meu cpf', value({ document: CPF })],
      ['o cpf do titular: 027 890 782 20.', value({ document: CPF })],
      ['cpf 027.890.782-20, confirmo: 02789078220', value({ document: CPF })],
      ['o CNPJ da empresa é 12.ABC.345/01DE-35', value({ document: CNPJ })],
      ['cnpj 12abc34501de35', value({ document: CNPJ })],
      ['moro na casa 12 e meu cpf é 02789078220', value({ document: CPF })],
      ['meu cpf é 027.890.782-20 e meu telefone (95) 99123-4567', value({ document: CPF })],
      ['cpf 02789078220, nascido em 03/04/1985, CEP 69301-000', value({ document: CPF })],
      ['matrícula 123456, protocolo 20240001, cpf 02789078220', value({ document: CPF })],
      ['CPF: 027 890 782-20', value({ document: CPF })],
      ['CPF-027.890.782-20', value({ document: CPF })],
      ['cpf.027.890.782-20', value({ document: CPF })],
      ['02789078220,maria@gmail.com', value({ document: CPF, withEmail: '02789078220,maria@gmail.com' })],
      ['meu cpf é 027.890.782-21', invalid],
      ['cpf 11111111111', invalid],
      ['é 0278907822', invalid],
      ['cpf 02789078220 ou 52998224725', ambiguous],
      ['oi', none],
      ['bom dia, quero validar meu email', none],
      ['não sei o número', none],
      ['123', none],
    ];
    for (const [text, expected] of table) {
      it(JSON.stringify(text), () => assert.deepEqual(readDocumentAnswer(text), expected));
    }

    it('keeps the message for the email step when it also holds an email', () => {
      const text = 'meu cpf é 027.890.782-20 e meu email é padaria.silva@exemplo.com.br';
      assert.deepEqual(readDocumentAnswer(text), value({ document: CPF, withEmail: text }));
      assert.deepEqual(readEmail(text), value('padaria.silva@exemplo.com.br'));
    });
  });

  describe('the email step', () => {
    const table: [string, Reading<string>][] = [
      ['maria@exemplo.com.br', value('maria@exemplo.com.br')],
      ['meu email é padaria.silva@exemplo.com.br', value('padaria.silva@exemplo.com.br')],
      ['O MEU EMAIL É MARIA@EXEMPLO.COM.BR.', value('MARIA@EXEMPLO.COM.BR')],
      ['maria@exemplo.com.br é o meu email', value('maria@exemplo.com.br')],
      ['e-mail: <maria@exemplo.com.br>', value('maria@exemplo.com.br')],
      ['pode mandar pra "jose123@gmail.com", obrigado!', value('jose123@gmail.com')],
      ['maria@exemplo.com.br ou Maria@Exemplo.com.br', value('maria@exemplo.com.br')],
      ['meu email é maria@exemplo', invalid],
      ['maria@@exemplo.com', invalid],
      ['a@b.com, c@d.com', ambiguous],
      ['email:maria@exemplo.com.br', value('maria@exemplo.com.br')],
      ['*maria@exemplo.com.br*', value('maria@exemplo.com.br')],
      ['«maria@exemplo.com.br»', value('maria@exemplo.com.br')],
      ['maria@exemplo.com.br/', value('maria@exemplo.com.br')],
      ['meu email é\u200bmaria@exemplo.com.br', value('maria@exemplo.com.br')],
      ['02789078220;maria@exemplo.com.br', value('maria@exemplo.com.br')],
      ['meu email', none],
      ['maria arroba exemplo ponto com', none],
    ];
    for (const [text, expected] of table) {
      it(JSON.stringify(text), () => assert.deepEqual(readEmail(text), expected));
    }
  });

  describe('the code step', () => {
    const table: [string, Reading<unknown>][] = [
      ['123456', value({ code: '123456' })],
      ['o código é 123 456', value({ code: '123456' })],
      ['O CODIGO E 123456', value({ code: '123456' })],
      ['123456 é o código', value({ code: '123456' })],
      ['código: 123-456.', value({ code: '123456' })],
      ['o código é 12345', invalid],
      ['1234567', invalid],
      ['123456 ou 654321', ambiguous],
      ['não recebi o código', value({ resend: true })],
      ['NAO CHEGOU', value({ resend: true })],
      ['Reenviar', value({ resend: true })],
      ['reenvia por favor', value({ resend: true })],
      ['manda de novo', value({ resend: true })],
      ['errei o email', value({ changeEmail: true })],
      ['quero trocar o e-mail', value({ changeEmail: true })],
      ['outro email: maria@exemplo.com.br', value({ changeEmail: true, email: 'maria@exemplo.com.br' })],
      ['não chegou nada, esperei desde 12:05 de 03/04/2025', value({ resend: true })],
      ['não recebi, meu telefone é (11) 98765-4321', value({ resend: true })],
      ['meu protocolo é 20240001, não recebi', value({ resend: true })],
      ['errei o email, mandei para maria@x', value({ changeEmail: true })],
      ['meu telefone é (11) 98765-4321', none],
      ['ainda não olhei', none],
      ['maria@exemplo.com.br', none],
    ];
    for (const [text, expected] of table) {
      it(JSON.stringify(text), () => assert.deepEqual(readCodeAnswer(text), expected));
    }
  });
});
