import { strict as assert } from 'node:assert';
import { EventEmitter } from 'node:events';
import { main } from '../../admin/cli';
import { exportValidations } from '../../admin/validations';
import { hashKey } from '../../services/domain/code';
import { decryptSecret } from '../../services/notify/secret';
import { createMemoryStores } from '../../services/store/memory';
import type { Stores } from '../../services/store/types';
import { newValidation } from '../../services/domain/validations';
import { CAER, capture, captureIo } from './helpers';

/**
 * The admin commands of the way back to GSAN: the notification destination, re-queuing, the CSV
 * export (streamed: it reads no further than what it could write), and the LGPD requests.
 */

const PEPPER = 'p'.repeat(32);
const ENV = { MONGODB_URI: 'mongodb://db.example:27017/gsan', CODE_PEPPER: PEPPER };
const MARIA = '52998224725';
const JOAO = '29378722040';

describe('admin: validations, notifications and LGPD requests', () => {
  let stores: Stores;

  beforeEach(async () => {
    stores = createMemoryStores();
    await stores.companies.insert({ ...CAER, keyHash: hashKey('k'), createdAt: new Date('2026-01-01T00:00:00Z') });
    await stores.clients.upsertMany([
      { companyId: 'CAER', document: MARIA, nome: 'Maria', email: null },
      { companyId: 'CAER', document: JOAO, nome: 'João', email: null },
    ]);
  });

  async function admin(...argv: string[]) {
    const out = capture();
    const err = capture();
    const code = await main(argv, { env: ENV, out, err, openStores: async () => stores });
    return { code, out: out.text, err: err.text };
  }

  const validate = (document: string, email: string, iso: string, notify = false) =>
    stores.clients.markEmailValidated('CAER', document, newValidation(email, new Date(iso), 'conversa', notify));

  it('configures a destination, prints its secret once and keeps it only encrypted; listar shows the destination and its backlog', async () => {
    const done = await admin('empresa', 'configurar-notificacao', '--sigla', 'caer', '--url', 'https://gsan.caer.com.br/validacoes');
    assert.equal(done.code, 0, done.err);
    assert.match(done.out, /^whsec_[A-Za-z0-9+/]{43}=\n$/, 'the secret alone on standard output');
    assert.match(done.err, /não será mostrado de novo/);
    const stored = (await stores.companies.findBySigla('CAER'))!.notification!;
    assert.equal(stored.url, 'https://gsan.caer.com.br/validacoes');
    assert.ok(!stored.secret.includes(done.out.trim().slice(6)), 'not kept in clear');
    assert.equal(decryptSecret(stored.secret, PEPPER), done.out.trim());

    await validate(MARIA, 'maria@x.com', '2026-11-10T12:00:00Z', true);
    const listed = await admin('empresa', 'listar');
    assert.match(listed.out, /^ {2}notificação: https:\/\/gsan\.caer\.com\.br\/validacoes$/m);
    assert.match(listed.out, /^ {2}a entregar: {2}1 pendente, 0 com falha \(a mais antiga na fila desde 2026-11-10 12:00:00 UTC\)$/m);
    const json = JSON.parse((await admin('empresa', 'listar', '--json')).out) as { notificacao: { url: string }; aEntregar: { pendentes: number } }[];
    assert.equal(json[0].notificacao.url, 'https://gsan.caer.com.br/validacoes');
    assert.equal(json[0].aEntregar.pendentes, 1);
    assert.doesNotMatch(JSON.stringify(json), /whsec_|v1\./, 'never the secret');

    const removed = await admin('empresa', 'remover-notificacao', '--sigla', 'CAER');
    assert.equal(removed.code, 0);
    assert.equal((await stores.companies.findBySigla('CAER'))!.notification, null);
    assert.match((await admin('empresa', 'listar')).out, /^ {2}notificação: não configurada$/m);
  });

  it('refuses a destination that is not https (http only to loopback), and an unknown company, changing nothing', async () => {
    for (const url of ['http://gsan.caer.com.br/x', 'ftp://x', 'https://user:pw@gsan.caer.com.br/', 'nada']) {
      const r = await admin('empresa', 'configurar-notificacao', '--sigla', 'CAER', '--url', url);
      assert.equal(r.code, 2, url);
      assert.match(r.err, /^Erro: URL inválida: /m);
    }
    assert.equal((await stores.companies.findBySigla('CAER'))!.notification, undefined);
    assert.equal((await admin('empresa', 'configurar-notificacao', '--sigla', 'CAER', '--url', 'http://127.0.0.1:9/x')).code, 0);
    const unknown = await admin('empresa', 'configurar-notificacao', '--sigla', 'NADA', '--url', 'https://x.com.br/');
    assert.equal(unknown.code, 1);
    assert.match(unknown.err, /Empresa NADA não encontrada/);
  });

  it('re-queues only with a destination, and says how many', async () => {
    await validate(MARIA, 'maria@x.com', '2026-11-10T12:00:00Z');
    const refused = await admin('validacoes', 'reenviar', '--sigla', 'CAER', '--desde', '2026-11-01');
    assert.equal(refused.code, 1);
    assert.match(refused.err, /não tem notificação configurada/);
    await admin('empresa', 'configurar-notificacao', '--sigla', 'CAER', '--url', 'https://x.com.br/');
    const before = await admin('validacoes', 'reenviar', '--sigla', 'CAER', '--desde', '2026-11-01', '--ate', '2026-11-09');
    assert.match(before.err, /Nenhuma validação/);
    const done = await admin('validacoes', 'reenviar', '--sigla', 'CAER', '--desde', '2026-11-01', '--ate', '2026-11-10', '--json');
    assert.deepEqual(JSON.parse(done.out), { sigla: 'CAER', reenfileiradas: 1 }, '--ate counts its whole day');
  });

  it('exports a period as CSV with a header, client by client, progress on standard error', async () => {
    await validate(JOAO, 'joao@x.com', '2026-11-20T08:00:00Z');
    await validate(MARIA, 'maria@x.com', '2026-11-10T12:00:00Z');
    await validate(MARIA, 'maria@x.com', '2026-10-31T23:59:59Z');
    const r = await admin('validacoes', 'exportar', '--sigla', 'CAER', '--desde', '2026-11-01', '--ate', '2026-11-30');
    assert.equal(r.code, 0, r.err);
    assert.equal(r.out, `cpfCnpj;email;validadoEm\n${MARIA};maria@x.com;2026-11-10T12:00:00.000Z\n${JOAO};joao@x.com;2026-11-20T08:00:00.000Z\n`);
    assert.match(r.err, /^2 validações exportadas da empresa CAER, de 2026-11-01 00:00:00 a 2026-12-01 00:00:00 UTC \(exclusive\)\.$/m);

    const io = captureIo();
    await exportValidations(stores, io, { sigla: 'CAER', desde: '2026-01-01' }, { progressEvery: 1 });
    assert.deepEqual(io.err.text.split('\n').filter((l) => l.startsWith('Exportando')), ['Exportando: 1 linha', 'Exportando: 2 linhas', 'Exportando: 3 linhas']);
  });

  it('refuses bad dates, an empty period, a period that has not begun and --json for the export, before opening anything', async () => {
    const tomorrow = new Date(Date.now() + 24 * 60 * 60_000).toISOString().slice(0, 10);
    for (const argv of [
      ['validacoes', 'exportar', '--sigla', 'CAER', '--desde', '01/11/2026'],
      ['validacoes', 'exportar', '--sigla', 'CAER', '--desde', '2026-11-01T08:00'],
      ['validacoes', 'exportar', '--sigla', 'CAER', '--desde', '2026-02-30'],
      ['validacoes', 'exportar', '--sigla', 'CAER', '--desde', '2026-02-30T10:00Z'],
      ['validacoes', 'exportar', '--sigla', 'CAER', '--desde', '2026-11-01T24:00Z'],
      ['validacoes', 'exportar', '--sigla', 'CAER', '--desde', '2026-11-02', '--ate', '2026-11-01'],
      ['validacoes', 'exportar', '--sigla', 'CAER', '--desde', tomorrow],
      ['validacoes', 'reenviar', '--sigla', 'CAER', '--desde', tomorrow],
      ['validacoes', 'exportar', '--sigla', 'CAER', '--desde', '2026-11-01', '--json'],
      ['validacoes', 'reenviar', '--sigla', 'CAER'],
    ]) {
      let opened = false;
      const code = await main(argv, { env: ENV, out: capture(), err: capture(), openStores: async () => ((opened = true), stores) });
      assert.equal(code, 2, argv.join(' '));
      assert.equal(opened, false);
    }
  });

  it('streams: while the output is full, it reads no further from the database', async () => {
    const rows = 5000;
    let read = 0;
    const source = stores.validations.exportRows.bind(stores.validations);
    stores.validations.exportRows = async function* (...args) {
      for await (const row of source(...args)) {
        read++;
        yield row;
      }
    };
    await stores.clients.upsertMany(Array.from({ length: rows }, (_, i) => ({ companyId: 'CAER', document: String(10_000_000_000 + i), nome: 'C', email: null })));
    for (let i = 0; i < rows; i++) await validate(String(10_000_000_000 + i), `c${i}@exemplo.com.br`, '2026-11-10T12:00:00Z');

    // A stream that is full after its first write, until the test drains it.
    const out = Object.assign(new EventEmitter(), { chunks: [] as string[], write(text: string) { this.chunks.push(text); return false; } });
    const io = { out, err: capture(), json: false };
    const exporting = exportValidations(stores, io, { sigla: 'CAER', desde: '2026-11-01' });
    while (out.chunks.length === 0) await new Promise((resolve) => setImmediate(resolve));
    for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));
    const firstChunkRows = out.chunks[0].split('\n').length - 2;
    assert.ok(read <= firstChunkRows + 1, `read ${read} rows while ${firstChunkRows} could be written`);
    assert.ok(read < rows);
    while (out.chunks.join('').split('\n').length - 2 < rows) {
      out.emit('drain');
      await new Promise((resolve) => setImmediate(resolve));
    }
    out.emit('drain');
    assert.equal(await exporting, rows);
  });

  it('shows what it holds about a client, never a code, and forgets it on request', async () => {
    await admin('empresa', 'configurar-notificacao', '--sigla', 'CAER', '--url', 'https://x.com.br/');
    await validate(MARIA, 'maria@x.com', '2026-11-10T12:00:00Z', true);
    await stores.codes.replace({ companyId: 'CAER', document: MARIA, email: 'maria@x.com', codeHash: 'f'.repeat(64), attempts: 0, createdAt: new Date(), expiresAt: new Date(Date.now() + 600_000) });

    const seen = await admin('clientes', 'consultar', '--sigla', 'CAER', '--cpf', '529.982.247-25');
    assert.equal(seen.code, 0, seen.err);
    assert.match(seen.out, /^ {2}email: {13}maria@x\.com$/m);
    assert.match(seen.out, /^ {4}2026-11-10T12:00:00\.000Z {2}maria@x\.com {2}pela conversa {2}notificação: pendente$/m);
    // One delivery tried and to be retried: its attempt and its error are shown too.
    const claimed = (await stores.validations.claim(['CAER'], new Date(), 'test', new Date(Date.now() + 60_000)))!;
    await stores.validations.settle(claimed, { kind: 'retry', at: new Date(Date.now() + 30_000), error: 'HTTP 503' }, new Date());
    const retried = await admin('clientes', 'consultar', '--sigla', 'CAER', '--cpf', MARIA);
    assert.match(retried.out, /^ {4}2026-11-10T12:00:00\.000Z {2}maria@x\.com {2}pela conversa {2}notificação: pendente, 1 tentativa \(último erro: HTTP 503\)$/m);
    assert.match(seen.out, /^ {2}códigos vivos: {5}1 \(vencem: /m);
    assert.doesNotMatch(seen.out, /ffff/);
    const json = JSON.parse((await admin('clientes', 'consultar', '--sigla', 'CAER', '--cpf', MARIA, '--json')).out) as Record<string, unknown>;
    assert.deepEqual(Object.keys(json), ['empresa', 'cpfCnpj', 'nome', 'email', 'emailValidadoEm', 'validacoes', 'codigosVivosAte']);

    const forgot = await admin('clientes', 'esquecer', '--sigla', 'CAER', '--cpf', MARIA, '--json');
    assert.equal(forgot.code, 0, forgot.err);
    assert.deepEqual(JSON.parse(forgot.out), { empresa: 'CAER', cpfCnpj: MARIA, apagados: { email: true, validacoes: 1, notificacoesPendentes: 1, codigos: 1 } });
    const after = JSON.parse((await admin('clientes', 'consultar', '--sigla', 'CAER', '--cpf', MARIA, '--json')).out) as Record<string, unknown>;
    assert.deepEqual(after, { empresa: 'CAER', cpfCnpj: MARIA, nome: 'Maria', email: null, emailValidadoEm: null, validacoes: [], codigosVivosAte: [] });
    assert.deepEqual(await stores.validations.backlog(), []);
    assert.equal((await admin('validacoes', 'exportar', '--sigla', 'CAER', '--desde', '2026-01-01')).out, 'cpfCnpj;email;validadoEm\n');

    const unknown = await admin('clientes', 'esquecer', '--sigla', 'CAER', '--cpf', '11144477735');
    assert.equal(unknown.code, 1);
    assert.match(unknown.err, /não encontrado/);
    assert.equal((await admin('clientes', 'consultar', '--sigla', 'CAER', '--cpf', '123')).code, 2);
  });
});
