import { newValidation } from '../../services/domain/validations';
import { strict as assert } from 'node:assert';
import { isUtf8 } from 'node:buffer';
import iconv from 'iconv-lite';
import { AdminError } from '../../admin/common';
import { importClients } from '../../admin/importClients';
import { hashKey } from '../../services/domain/code';
import { createMemoryStores } from '../../services/store/memory';
import type { Stores } from '../../services/store/types';
import { CAER, capture, tempDir } from './helpers';

// Valid documents, unformatted.
const MARIA = '52998224725';
const JOAO = '57443958145';
const ANA = '09246762304';
const PADARIA = '12ABC34501DE35';
const PEDRO = '63993840364';

describe('admin: clientes importar', () => {
  const tmp = tempDir();
  let stores: Stores;

  beforeEach(async () => {
    stores = createMemoryStores();
    await stores.companies.insert({ ...CAER, keyHash: hashKey('k'), createdAt: new Date() });
  });

  const find = (document: string) => stores.clients.find('CAER', document);

  async function run(file: string, opts: Parameters<typeof importClients>[3] = {}) {
    const out = capture();
    const report = await importClients(stores, out, { sigla: 'CAER', file }, opts);
    return { out: out.text, report };
  }

  async function assertNothingStored(...documents: string[]) {
    for (const d of documents) assert.equal(await find(d), null, `${d} was not stored`);
  }

  it('imports a ";" Latin-1 file with CRLF, as GSAN exports it on Windows', async () => {
    const csv = [
      'cpfCnpj;nome;email',
      '529.982.247-25;João Araújo;joao@exemplo.com.br',
      '12.abc.345/01de-35;Padaria Pão de Açúcar Ltda;',
      ` ${JOAO} ; Conceição Ângela ; Conceicao@Exemplo.com `,
      '',
    ].join('\r\n');
    const bytes = iconv.encode(csv, 'latin1');
    assert.ok(!isUtf8(bytes), 'the fixture really is Latin-1');
    const { out, report } = await run(await tmp.file('clientes.csv', bytes));

    assert.deepEqual(report, { encoding: 'Latin-1', delimiter: ';', rows: 3, inserted: 3, updated: 0, rejected: [] });
    assert.deepEqual(await find(MARIA), {
      companyId: 'CAER',
      document: MARIA,
      nome: 'João Araújo',
      email: 'joao@exemplo.com.br',
      emailValidatedAt: null,
    });
    assert.equal((await find(PADARIA))?.nome, 'Padaria Pão de Açúcar Ltda');
    assert.equal((await find(PADARIA))?.email, null, 'an empty email is stored as null');
    assert.equal((await find(JOAO))?.nome, 'Conceição Ângela');
    assert.equal((await find(JOAO))?.email, 'Conceicao@Exemplo.com');

    assert.match(out, /^Clientes da empresa CAER importados de .*clientes\.csv \(Latin-1, separador ";"\)\.$/m);
    assert.match(out, /^Linhas de dados: 3$/m);
    assert.match(out, /^Inseridos: +3$/m);
    assert.match(out, /^Atualizados: +0$/m);
    assert.match(out, /^Rejeitados: +0$/m);
  });

  it('imports a "," UTF-8 file with a BOM, quoted fields, columns in any order and extra columns', async () => {
    const csv =
      '\uFEFFNome,CPFCNPJ,codigo_cliente,Email\n' +
      `"Araújo, Maria",${MARIA},101,maria@exemplo.com\n` +
      `"Ana ""Aninha"" Souza",${ANA},102,\n`;
    const { report } = await run(await tmp.file('clientes.csv', csv));

    assert.equal(report.encoding, 'UTF-8');
    assert.equal(report.delimiter, ',');
    assert.equal(report.inserted, 2);
    assert.equal((await find(MARIA))?.nome, 'Araújo, Maria');
    assert.equal((await find(MARIA))?.email, 'maria@exemplo.com');
    assert.equal((await find(ANA))?.nome, 'Ana "Aninha" Souza');
  });

  it('reports each rejected row with its line number and reason, and imports the valid ones', async () => {
    const csv = [
      'cpfCnpj;nome;email', //                                  line 1
      `${MARIA};Maria;maria@exemplo.com`, //                    2
      '529.982.247-26;Dígito errado;x@exemplo.com', //          3
      `${JOAO};Email ruim;joao@@exemplo`, //                    4
      '', //                                                    5 (blank: skipped, still counted)
      ';Sem documento;y@exemplo.com', //                        6
      `${ANA};"Nome em`, //                                     7 (a line break in a name: refused)
      `duas linhas";ana@exemplo.com`, //                        8
      `${PEDRO};Pedro`, //                                      9
      `${MARIA};Maria de novo;maria2@exemplo.com`, //           10
      `${PADARIA};Padaria;padaria@exemplo.com;`, //             11 (trailing separator: fine)
      `${PEDRO};Pedro;a@b.com;extra`, //                        12
    ].join('\n');
    const { out, report } = await run(await tmp.file('clientes.csv', csv));

    assert.deepEqual(report.rejected, [
      { line: 3, reason: 'CPF/CNPJ inválido' },
      { line: 4, reason: 'email inválido' },
      { line: 6, reason: 'CPF/CNPJ vazio' },
      { line: 7, reason: 'nome com caractere de controle (ESC, quebra de linha, tabulação…)' },
      { line: 9, reason: 'a linha tem 2 colunas; o cabeçalho tem 3' },
      { line: 10, reason: 'CPF/CNPJ repetido (já aparece na linha 2)' },
      { line: 12, reason: 'a linha tem 4 colunas; o cabeçalho tem 3' },
    ]);
    assert.equal(report.rows, 9);
    assert.equal(report.inserted, 2);
    assert.match(out, /^Rejeitados: +7$/m);
    assert.match(out, /^ {2}linha 3: CPF\/CNPJ inválido$/m);
    assert.match(out, /^ {2}linha 10: CPF\/CNPJ repetido \(já aparece na linha 2\)$/m);

    assert.equal((await find(MARIA))?.nome, 'Maria', 'the first row of a repeated document wins');
    assert.ok(await find(PADARIA));
    await assertNothingStored(JOAO, PEDRO, ANA);
  });

  it('upserts on re-import: counts inserted and updated, and keeps a validation of an unchanged email', async () => {
    const first = await run(
      await tmp.file('a.csv', `cpfCnpj;nome;email\n${MARIA};Maria;maria@exemplo.com\n${JOAO};João;joao@exemplo.com\n`),
    );
    assert.deepEqual([first.report.inserted, first.report.updated], [2, 0]);
    const validatedAt = new Date('2026-11-01T10:00:00Z');
    await stores.clients.markEmailValidated('CAER', MARIA, newValidation('maria@exemplo.com', validatedAt, 'webhook', false));
    await stores.clients.markEmailValidated('CAER', JOAO, newValidation('joao@exemplo.com', validatedAt, 'webhook', false));

    const second = await run(
      await tmp.file(
        'b.csv',
        `cpfCnpj;nome;email\n${MARIA};Maria Silva;MARIA@exemplo.com\n${JOAO};João;novo@exemplo.com\n${ANA};Ana;\n`,
      ),
    );
    assert.deepEqual([second.report.inserted, second.report.updated], [1, 2]);
    assert.match(second.out, /^Inseridos: +1$/m);
    assert.match(second.out, /^Atualizados: +2$/m);
    assert.equal((await find(MARIA))?.nome, 'Maria Silva');
    assert.deepEqual((await find(MARIA))?.emailValidatedAt, validatedAt, 'same email, other case: still validated');
    assert.equal((await find(JOAO))?.email, 'novo@exemplo.com');
    assert.equal((await find(JOAO))?.emailValidatedAt, null, 'a new email must be validated again');
  });

  it('writes in batches and shows progress on its own output', async () => {
    const docs = [MARIA, JOAO, ANA, PADARIA, PEDRO];
    const csv = `cpfCnpj,nome,email\n${docs.map((d, i) => `${d},Cliente ${i},`).join('\n')}\n`;
    const progress = capture();
    const { out, report } = await run(await tmp.file('c.csv', csv), { batchSize: 2, progress, progressEvery: 2 });

    assert.equal(report.inserted, 5);
    for (const d of docs) assert.ok(await find(d), d);
    assert.equal(
      progress.text,
      'Verificando: 2 linhas\nVerificando: 4 linhas\nImportando: 2 linhas\nImportando: 4 linhas\n',
    );
    assert.ok(!out.includes('Importando'), 'progress stays off the report');
  });

  it('says how far it got when the database fails in the middle', async () => {
    const upsertMany = stores.clients.upsertMany.bind(stores.clients);
    let calls = 0;
    stores.clients.upsertMany = async (clients) => {
      if (++calls === 2) throw new Error('connection reset.');
      return upsertMany(clients);
    };
    const csv = `cpfCnpj;nome;email\n${[MARIA, JOAO, ANA, PEDRO].map((d) => `${d};Cliente;`).join('\n')}\n`;
    await assert.rejects(run(await tmp.file('d.csv', csv), { batchSize: 2 }), {
      name: 'AdminError',
      message:
        'Importação interrompida: connection reset. Já gravados: 2 inseridos, 0 atualizados. ' +
        'Corrija o problema e importe de novo o mesmo arquivo (quem já foi gravado é apenas atualizado).',
    });
    assert.ok(await find(MARIA));
    await assertNothingStored(ANA, PEDRO);
  });

  it('imports nothing, without error, from a file with only the header', async () => {
    const { report } = await run(await tmp.file('h.csv', 'cpfCnpj;nome;email\r\n'));
    assert.deepEqual([report.rows, report.inserted, report.updated], [0, 0, 0]);
  });

  describe('changes nothing and explains why', () => {
    const valid = `${MARIA};Maria;maria@exemplo.com\n${JOAO};João;\n`;

    async function assertRefused(file: string, message: string | RegExp, sigla = 'CAER') {
      const out = capture();
      await assert.rejects(importClients(stores, out, { sigla, file }), (err: Error) => {
        assert.ok(err instanceof AdminError, String(err));
        if (typeof message === 'string') assert.equal(err.message, message);
        else assert.match(err.message, message);
        return true;
      });
      assert.equal(out.text, '', 'no report');
      await assertNothingStored(MARIA, JOAO);
    }

    it('for an unknown sigla', async () => {
      await assertRefused(await tmp.file('ok.csv', `cpfCnpj;nome;email\n${valid}`), 'Empresa XYZ não encontrada.', 'xyz');
    });

    it('for a missing file, a directory or an empty file', async () => {
      await assertRefused(tmp.path('nao-existe.csv'), /^Arquivo não encontrado: .*nao-existe\.csv$/);
      await assertRefused(tmp.path(''), /^Não é um arquivo: /);
      await assertRefused(await tmp.file('vazio.csv', ''), /^O arquivo está vazio: /);
    });

    it('for a file without a valid header', async () => {
      await assertRefused(
        await tmp.file('sem-cabecalho.csv', valid),
        'Cabeçalho inválido: a primeira linha deve ter as colunas cpfCnpj, nome e email ' +
          '(faltando: cpfCnpj, nome, email). Nada foi gravado.',
      );
      await assertRefused(
        await tmp.file('sem-email.csv', `cpfCnpj;nome\n${MARIA};Maria\n`),
        /\(faltando: email\)\. Nada foi gravado\.$/,
      );
    });

    it('for a CSV broken after valid rows (a quote never closed)', async () => {
      await assertRefused(
        await tmp.file('aspas.csv', `cpfCnpj;nome;email\n${valid}${ANA};"Ana;ana@exemplo.com\n`),
        /^Arquivo CSV inválido na linha \d+: aspas abertas e não fechadas\. Nada foi gravado\.$/,
      );
      await assertNothingStored(ANA);
    });
  });
});
