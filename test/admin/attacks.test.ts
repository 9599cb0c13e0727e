import { strict as assert } from 'node:assert';
import iconv from 'iconv-lite';
import { main } from '../../admin/cli';
import { importClients, MAX_COLUMNS, MAX_RECORD_BYTES } from '../../admin/importClients';
import { hashKey } from '../../services/domain/code';
import type { Stores } from '../../services/store/types';
import { newValidation } from '../../services/domain/validations';
import { openTestStores } from '../support/stores';
import { CAER, capture, tempDir } from './helpers';

/**
 * What reaches the operator from files and from the database: a CSV export opened in a spreadsheet,
 * a client file made to exhaust memory, a name made to drive the terminal, a file in two encodings.
 * On the suite's store (in memory, or MongoDB with `STORE=mongo`).
 */

const MARIA = '52998224725';
const JOAO = '29378722040';
const ESC_NAME = 'Maria\u001b]0;pwned\u0007\u001b[2J';
const FORGED_NAME = 'Maria\r\n  email:             falso@exemplo.com\u009b31m';

describe('admin: what files and the database bring to the operator', () => {
  const tmp = tempDir();
  let stores: Stores;

  beforeEach(async () => {
    stores = await openTestStores();
    await stores.companies.insert({ ...CAER, keyHash: hashKey('k'), createdAt: new Date('2026-01-01T00:00:00Z') });
  });
  afterEach(() => stores.close());

  async function admin(...argv: string[]) {
    const out = capture();
    const err = capture();
    const code = await main(argv, {
      env: { MONGODB_URI: 'mongodb://db.example:27017/gsan', CODE_PEPPER: 'p'.repeat(32) },
      out,
      err,
      openStores: async () => ({ ...stores, close: async () => {} }),
    });
    return { code, out: out.text, err: err.text };
  }

  const importFile = (content: string | Buffer) => tmp.file('clientes.csv', content).then((file) => importClients(stores, capture(), { sigla: 'CAER', file }));

  it('exports addresses that would start a formula as inert text (OWASP: a leading quote)', async () => {
    const formulas = ["=cmd|'/Ccalc'!A0@x.com", '=1+1@x.com', '+1@x.com', '-2+3@x.com', '@SUM(1)@x.com', '\tx@x.com', '\rx@x.com'];
    const documents = [MARIA, JOAO, '02789078220', '09246762304', '57443958145', '63993840364', '11144477735'];
    await stores.clients.upsertMany(documents.map((document) => ({ companyId: 'CAER', document, nome: 'Cliente', email: null })));
    // Recorded before the address rule refused them (docs/api.md §1), straight in the store.
    for (const [i, email] of formulas.entries()) {
      await stores.clients.markEmailValidated('CAER', documents[i], newValidation(email, new Date('2026-11-10T12:00:00Z'), 'webhook', false));
    }
    const r = await admin('validacoes', 'exportar', '--sigla', 'CAER', '--desde', '2026-11-01');
    assert.equal(r.code, 0, r.err);
    const cells = r.out.split('\n').slice(1, -1).map((line) => line.slice(line.indexOf(';') + 1, line.lastIndexOf(';')));
    assert.deepEqual(
      cells.sort(),
      ["'+1@x.com", "'-2+3@x.com", "'=1+1@x.com", "'=cmd|'/Ccalc'!A0@x.com", "'@SUM(1)@x.com", "'\tx@x.com", `"'\rx@x.com"`].sort(),
    );
  });

  it('refuses a record past its column or byte bound before it is whole, naming its line, and writes nothing', async () => {
    const header = 'cpfCnpj;nome;email\n';
    const cases = [
      `${MARIA};Maria;maria@x.com\n${JOAO};João;${';'.repeat(100_000)}\n`, // one data row, then a run of separators
      `${MARIA};Maria;maria@x.com\n${JOAO};${' '.repeat(MAX_RECORD_BYTES)}João;joao@x.com\n`, // little content, many bytes
    ];
    const expected = [new RegExp(`linha 3: registro com mais de ${MAX_COLUMNS.toLocaleString('pt-BR')} colunas`), /linha 3: registro com mais de 64 KiB/];
    for (const [i, rows] of cases.entries()) {
      await assert.rejects(importFile(header + rows), (err: Error) => {
        assert.match(err.message, expected[i]);
        assert.match(err.message, /Nada foi gravado/);
        return true;
      });
      assert.equal(await stores.clients.find('CAER', MARIA), null);
    }
  });

  it('refuses control characters in a name, with its line; and never prints one raw', async () => {
    const csv = ['cpfCnpj;nome;email', `${MARIA};${ESC_NAME};`, `${JOAO};"${FORGED_NAME}";`, `09246762304;Ana;`].join('\n');
    const report = await importFile(csv);
    assert.deepEqual(
      report.rejected.map((r) => r.line),
      [2, 3],
    );
    assert.match(report.rejected[0].reason, /caractere de controle/);
    assert.equal(report.inserted, 1);

    // Names stored before this rule: shown escaped, so no terminal obeys them and no line is forged.
    await stores.clients.upsertMany([
      { companyId: 'CAER', document: MARIA, nome: ESC_NAME, email: null },
      { companyId: 'CAER', document: JOAO, nome: FORGED_NAME, email: null },
    ]);
    const shown = await admin('clientes', 'consultar', '--sigla', 'CAER', '--cpf', MARIA);
    assert.match(shown.out, /^ {2}nome: {14}Maria\\u001b\]0;pwned\\u0007\\u001b\[2J$/m);
    const forged = await admin('clientes', 'consultar', '--sigla', 'CAER', '--cpf', JOAO);
    assert.equal(forged.out.match(/^ {2}email:/gm)?.length, 1, 'one email line, not a forged second');
    assert.match(forged.out, /\\u000d\\u000a {2}email: {13}falso@exemplo\.com\\u009b31m/);
    const json = await admin('clientes', 'consultar', '--sigla', 'CAER', '--cpf', JOAO, '--json');
    assert.equal((JSON.parse(json.out) as { nome: string }).nome, FORGED_NAME, 'JSON keeps the value, escaped');
    // eslint-disable-next-line no-control-regex
    for (const text of [shown.out, forged.out, json.out]) assert.doesNotMatch(text, /[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/);
  });

  it('reads a file as Latin-1 only when all of it is; UTF-8 with a stray Latin-1 byte is refused at its line', async () => {
    const lines = ['cpfCnpj;nome;email', `${MARIA};João;`, `${JOAO};Conceição;`, '09246762304;Ana;'];
    const mixed = Buffer.concat([Buffer.from(`${lines.slice(0, 2).join('\n')}\n`), iconv.encode(`${lines[2]}\n`, 'latin1'), Buffer.from(lines[3])]);
    await assert.rejects(importFile(mixed), /a linha 3 não é UTF-8/);
    assert.equal(await stores.clients.find('CAER', MARIA), null, 'nothing read as mojibake ("JoÃ£o")');

    const latin1 = await importFile(iconv.encode(lines.join('\r\n'), 'latin1'));
    assert.equal(latin1.encoding, 'Latin-1');
    assert.equal((await stores.clients.find('CAER', JOAO))?.nome, 'Conceição');
    const utf8 = await importFile(lines.join('\n'));
    assert.equal(utf8.encoding, 'UTF-8');
    assert.equal((await stores.clients.find('CAER', MARIA))?.nome, 'João');
  });
});
