import { strict as assert } from 'node:assert';
import { dirname, join } from 'node:path';
import { commands, main, type MainDeps } from '../../admin/cli';
import { hashKey } from '../../services/domain/code';
import { decryptSecret } from '../../services/notify/secret';
import { createMemoryStores } from '../../services/store/memory';
import type { Stores } from '../../services/store/types';
import { CAER, capture, keyIn, tempDir } from './helpers';

const MONGO_ENV = { MONGODB_URI: 'mongodb://db.example:27017/gsan', CODE_PEPPER: 'p'.repeat(32) };
const MARIA = '52998224725';

describe('admin: the command line (npm run admin)', () => {
  const tmp = tempDir();
  let stores: Stores;
  let opened: number;

  beforeEach(() => {
    stores = createMemoryStores();
    opened = 0;
  });

  /** Runs `main` as the CLI would, on the in-memory store standing in for MONGODB_URI's. */
  async function admin(argv: string[], deps: MainDeps = {}) {
    const out = capture();
    const err = capture();
    const code = await main(argv, {
      env: MONGO_ENV,
      out,
      err,
      openStores: async () => {
        opened++;
        return stores;
      },
      ...deps,
    });
    return { code, out: out.text, err: err.text };
  }

  const createArgs = ['empresa', 'criar', '--sigla', 'CAER', '--nome', CAER.nome, '--assistente', CAER.assistente,
    '--site', CAER.site, '--remetente', CAER.remetente];

  it('takes a utility from an empty database to a working key and its clients', async () => {
    const created = await admin(createArgs);
    assert.equal(created.code, 0, created.err);
    const key = keyIn(created.out);
    assert.equal(created.out, `${key}\n`, 'the key alone on standard output');
    assert.match(created.err, /^Empresa CAER criada\.$/m);
    assert.equal((await stores.companies.findByKeyHash(hashKey(key)))?.sigla, 'CAER');

    const file = await tmp.file('clientes.csv', `cpfCnpj;nome;email\n${MARIA};Maria;\n11111111111;Inválido;\n`);
    const imported = await admin(['clientes', 'importar', '--sigla', 'CAER', file]);
    assert.equal(imported.code, 0, imported.err);
    assert.equal(imported.out, '');
    assert.match(imported.err, /^Inseridos: +1$/m);
    assert.match(imported.err, /^ {2}linha 3: CPF\/CNPJ inválido$/m, 'rejected rows do not fail the command');
    assert.equal((await stores.clients.find('CAER', MARIA))?.nome, 'Maria');

    const listed = await admin(['empresa', 'listar']);
    assert.equal(listed.code, 0);
    assert.match(listed.out, /^CAER - Companhia de Águas e Esgotos de Roraima$/m);
    assert.ok(!listed.out.includes(key));

    const rotated = await admin(['empresa', 'nova-chave', '--sigla=CAER']);
    assert.equal(rotated.code, 0);
    assert.equal(await stores.companies.findByKeyHash(hashKey(key)), null);
    assert.equal((await stores.companies.findByKeyHash(hashKey(keyIn(rotated.out))))?.sigla, 'CAER');
  });

  it('rotates a key keeping the previous one for a stated time, and lists when it stops', async () => {
    const key = keyIn((await admin(createArgs)).out);
    const rotated = await admin(['empresa', 'nova-chave', '--sigla', 'CAER', '--manter-anterior', '24h']);
    assert.equal(rotated.code, 0, rotated.err);
    const until = /continua valendo até (\d{4}-\d\d-\d\d \d\d:\d\d:\d\d) UTC/.exec(rotated.err)?.[1];
    assert.ok(until, rotated.err);
    assert.equal((await stores.companies.findByKeyHash(hashKey(key)))?.sigla, 'CAER', 'the previous key still works');
    assert.equal((await stores.companies.findByKeyHash(hashKey(keyIn(rotated.out))))?.sigla, 'CAER');
    const listed = await admin(['empresa', 'listar']);
    assert.match(listed.out, new RegExp(`^  chave anterior vale até: ${until} UTC$`, 'm'));
  });

  it('changes the signing secret keeping the previous one for a stated time, and lists until when it signs', async () => {
    await admin(createArgs);
    const notify = ['empresa', 'configurar-notificacao', '--sigla', 'CAER', '--url', 'https://gsan.caer.com.br/validacoes'];
    const first = await admin(notify);
    assert.equal(first.code, 0, first.err);
    assert.match(first.err, /O segredo anterior, se havia, deixou de valer\.$/m);
    // Nothing to keep yet: the option is said to have done nothing, not silently ignored.
    await admin(['empresa', 'criar', '--sigla', 'OUTRA', ...createArgs.slice(4)]);
    const nothingKept = await admin(['empresa', 'configurar-notificacao', '--sigla', 'OUTRA', '--url', 'https://gsan.outra.com.br/v', '--manter-anterior', '1h']);
    assert.match(nothingKept.err, /Não havia segredo anterior a manter: --manter-anterior não teve efeito\.$/m);
    const changed = await admin([...notify, '--manter-anterior', '24h', '--json']);
    assert.equal(changed.code, 0, changed.err);
    const { segredo, segredoAnteriorValeAte } = JSON.parse(changed.out) as { segredo: string; segredoAnteriorValeAte: string };
    const until = /O segredo anterior continua assinando cada notificação até (\d{4}-\d\d-\d\d \d\d:\d\d:\d\d) UTC\.$/m.exec(changed.err)?.[1];
    assert.ok(until, changed.err);
    const stored = (await stores.companies.findBySigla('CAER'))!.notification!;
    assert.equal(decryptSecret(stored.secret, MONGO_ENV.CODE_PEPPER), segredo);
    assert.equal(decryptSecret(stored.previousSecret!, MONGO_ENV.CODE_PEPPER), first.out.trim(), 'the previous one, encrypted the same way');
    assert.equal(stored.previousSecretUntil?.toISOString(), segredoAnteriorValeAte);
    assert.match((await admin(['empresa', 'listar'])).out, new RegExp(`^  segredo anterior assina até: ${until} UTC$`, 'm'));
  });

  it('encrypts the signing secrets again under CODE_PEPPER, reading those under CODE_PEPPER_FALLBACK, and names any it cannot read', async () => {
    const [oldPepper, newPepper, unknownPepper] = ['a', 'b', 'z'].map((c) => c.repeat(32));
    const withPepper = (CODE_PEPPER: string, CODE_PEPPER_FALLBACK?: string) => ({ env: { ...MONGO_ENV, CODE_PEPPER, ...(CODE_PEPPER_FALLBACK ? { CODE_PEPPER_FALLBACK } : {}) } });
    const notify = (sigla: string) => ['empresa', 'configurar-notificacao', '--sigla', sigla, '--url', 'https://gsan.exemplo.com.br/v'];
    await admin(createArgs);
    await admin(['empresa', 'criar', '--sigla', 'OUTRA', ...createArgs.slice(4)]);
    const secret = (await admin(notify('CAER'), withPepper(oldPepper))).out.trim();
    await admin(notify('OUTRA'), withPepper(unknownPepper));

    const r = await admin(['empresa', 'recifrar-segredos', '--json'], withPepper(newPepper, oldPepper));
    assert.equal(r.code, 1);
    assert.deepEqual(JSON.parse(r.out), { recifradas: ['CAER'], atuais: [], ilegiveis: ['OUTRA'], alteradas: [] });
    assert.match(r.err, /^Empresa OUTRA: segredo ilegível sob CODE_PEPPER e CODE_PEPPER_FALLBACK; configure a notificação de novo\.$/m);
    assert.match(r.err, /^Erro: 1 empresa ficou sem recifrar \(acima\)\.$/m);
    const stored = (await stores.companies.findBySigla('CAER'))!.notification!.secret;
    assert.equal(decryptSecret(stored, newPepper), secret, 'the same secret, under the new pepper alone');

    // Again, once done: what is under CODE_PEPPER is left as it is, and said so.
    await admin(['empresa', 'remover-notificacao', '--sigla', 'OUTRA']);
    const again = await admin(['empresa', 'recifrar-segredos', '--json'], withPepper(newPepper, oldPepper));
    assert.equal(again.code, 0, again.err);
    assert.deepEqual(JSON.parse(again.out), { recifradas: [], atuais: ['CAER'], ilegiveis: [], alteradas: [] });
    assert.match(again.err, /^Nenhum segredo de assinatura precisou ser cifrado de novo; os de 1 empresa já estavam sob ele\.$/m);
    assert.equal((await stores.companies.findBySigla('CAER'))!.notification!.secret, stored, 'not touched');
  });

  it('recifrar-segredos without CODE_PEPPER_FALLBACK: a secret under another pepper names the missing variable', async () => {
    await admin(createArgs);
    await admin(['empresa', 'configurar-notificacao', '--sigla', 'CAER', '--url', 'https://gsan.exemplo.com.br/v'], { env: { ...MONGO_ENV, CODE_PEPPER: 'a'.repeat(32) } });
    const r = await admin(['empresa', 'recifrar-segredos'], { env: { ...MONGO_ENV, CODE_PEPPER: 'b'.repeat(32) } });
    assert.equal(r.code, 1);
    assert.match(r.err, /^Empresa CAER: segredo ilegível sob CODE_PEPPER, e CODE_PEPPER_FALLBACK não está definida: defina-a com o valor anterior de CODE_PEPPER e rode de novo\.$/m);
  });

  it('refuses to run without MONGODB_URI, since the in-memory store would vanish', async () => {
    const r = await admin(createArgs, { env: {} });
    assert.equal(r.code, 1);
    assert.match(r.err, /^Erro: Este comando precisa de MONGODB_URI/);
    assert.equal(r.out, '');
    assert.equal(opened, 0, 'no store opened');
    assert.deepEqual(await stores.companies.list(), []);
  });

  it('names CODE_PEPPER when MONGODB_URI comes without it', async () => {
    const r = await admin(['empresa', 'listar'], { env: { MONGODB_URI: MONGO_ENV.MONGODB_URI } });
    assert.equal(r.code, 1);
    assert.match(r.err, /^Erro: Configuração inválida: CODE_PEPPER: /);
  });

  it('says when MongoDB cannot be reached', async () => {
    const r = await admin(['empresa', 'listar'], {
      openStores: async () => {
        throw new Error('Server selection timed out after 2000 ms');
      },
    });
    assert.equal(r.code, 1);
    assert.equal(r.err, 'Erro: Não foi possível conectar ao MongoDB: Server selection timed out after 2000 ms\n');
  });

  it('shows the usage on --help, without needing a database, and one command\'s with <comando> --help', async () => {
    const r = await admin(['--help'], { env: {} });
    assert.equal(r.code, 0);
    assert.match(r.out, /^Uso: npx gsan-email-admin <comando> \[opções\] \[--json\]/);
    assert.match(r.out, /^ {2}empresa criar --sigla SIGLA/m);
    assert.match(r.out, /clientes importar --sigla SIGLA ARQUIVO\.csv/);
    const one = await admin(['empresa', 'nova-chave', '--help'], { env: {} });
    assert.equal(one.code, 0);
    assert.match(one.out, /^ {2}empresa nova-chave --sigla SIGLA \[--manter-anterior 24h\]$/m);
    assert.doesNotMatch(one.out, /clientes importar/);
  });

  it('lists every command of its table on --help, and each one\'s own help on <comando> --help, nothing undefined', async () => {
    const all = (await admin(['--help'], { env: {} })).out;
    for (const name of Object.keys(commands)) {
      assert.match(all, new RegExp(`^ {2}${name}( |$)`, 'm'), `--help lists ${name}`);
      const one = await admin([...name.split(' '), '--help'], { env: {} });
      assert.equal(one.code, 0);
      assert.match(one.out, new RegExp(`^ {2}${name}( |$)`, 'm'), `${name} --help shows its line`);
      assert.doesNotMatch(one.out, /undefined/, `${name} --help`);
    }
  });

  it('answers --json with one JSON document on standard output, for scripts', async () => {
    const created = await admin([...createArgs, '--json']);
    const { sigla, chave } = JSON.parse(created.out) as { sigla: string; chave: string };
    assert.equal(sigla, 'CAER');
    assert.equal((await stores.companies.findByKeyHash(hashKey(chave)))?.sigla, 'CAER');
    const listed = JSON.parse((await admin(['empresa', 'listar', '--json'])).out) as { sigla: string; criadaEm: string }[];
    assert.deepEqual(listed.map((c) => c.sigla), ['CAER']);
    const file = await tmp.file('clientes.csv', `cpfCnpj;nome;email\n${MARIA};Maria;\n`);
    const imported = JSON.parse((await admin(['clientes', 'importar', '--sigla', 'CAER', file, '--json'])).out) as { inserted: number };
    assert.equal(imported.inserted, 1);
  });

  it('reads a relative CSV path from the folder the command was run from (INIT_CWD), and names the path it tried', async () => {
    await admin(createArgs);
    const file = await tmp.file('clientes.csv', `cpfCnpj;nome;email\n${MARIA};Maria;\n`);
    const folder = dirname(file);
    const ok = await admin(['clientes', 'importar', '--sigla', 'CAER', 'clientes.csv'], { env: { ...MONGO_ENV, INIT_CWD: folder } });
    assert.equal(ok.code, 0, ok.err);
    const missing = await admin(['clientes', 'importar', '--sigla', 'CAER', 'outro.csv'], { env: { ...MONGO_ENV, INIT_CWD: folder } });
    assert.equal(missing.code, 1);
    assert.match(missing.err, new RegExp(`Arquivo não encontrado: ${join(folder, 'outro.csv').replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
  });

  describe('on bad arguments: exit code 2, a pt-BR message, the usage, and nothing changed', () => {
    let key: string;
    beforeEach(async () => {
      key = keyIn((await admin(createArgs)).out);
      opened = 0;
    });

    const cases: [string, string[], string][] = [
      ['no command', [], 'Comando desconhecido: (nenhum).'],
      ['an unknown command', ['empresa', 'apagar', '--sigla', 'CAER'], 'Comando desconhecido: empresa apagar.'],
      ['an unknown option', ['empresa', 'nova-chave', '--sigla', 'CAER', '--chave', 'x'], 'Opção desconhecida: --chave.'],
      ['an option without its value', ['empresa', 'nova-chave', '--sigla'], 'A opção --sigla precisa de um valor.'],
      ['a missing option', ['empresa', 'nova-chave'], 'Informe --sigla.'],
      ['a bad time to keep the key', ['empresa', 'nova-chave', '--sigla', 'CAER', '--manter-anterior', '2 dias'],
        'Valor inválido para --manter-anterior: use horas ou minutos, por exemplo 24h ou 30min (no máximo 168h).'],
      ['too long a time to keep the key', ['empresa', 'nova-chave', '--sigla', 'CAER', '--manter-anterior', '169h'],
        'Valor inválido para --manter-anterior: use horas ou minutos, por exemplo 24h ou 30min (no máximo 168h).'],
      ['a bad time to keep the signing secret',
        ['empresa', 'configurar-notificacao', '--sigla', 'CAER', '--url', 'https://gsan.caer.com.br/v', '--manter-anterior', '0min'],
        'Valor inválido para --manter-anterior: use horas ou minutos, por exemplo 24h ou 30min (no máximo 168h).'],
      ['a bad sigla', ['empresa', 'nova-chave', '--sigla', 'C'], 'A sigla deve ter de 2 a 20 letras ou dígitos, sem espaços (ex.: CAER).'],
      ['a bad sender', [...createArgs.slice(0, 3), 'NOVA', ...createArgs.slice(4, -1), 'nao-responda'],
        'O remetente deve ser um endereço de email válido (ex.: nao-responda@caer.com.br).'],
      ['a stray argument', ['empresa', 'listar', 'CAER'], 'Argumento inesperado: CAER.'],
      ['an import without a file', ['clientes', 'importar', '--sigla', 'CAER'], 'Informe o arquivo CSV.'],
      ['an import of two files', ['clientes', 'importar', '--sigla', 'CAER', 'a.csv', 'b.csv'], 'Informe um só arquivo CSV.'],
    ];
    for (const [what, argv, message] of cases) {
      it(`for ${what}`, async () => {
        const r = await admin(argv);
        assert.equal(r.code, 2);
        assert.equal(r.err.split('\n')[0], `Erro: ${message}`);
        assert.match(r.err, /\nUso: /);
        assert.equal(r.out, '');
        assert.equal(opened, 0, 'refused before opening the database');
        const companies = await stores.companies.list();
        assert.deepEqual(companies.map((c) => c.sigla), ['CAER']);
        assert.equal(companies[0].keyHash, hashKey(key));
      });
    }
  });

  it('exits 1 and writes nothing for an unknown sigla or a bad file', async () => {
    await admin(createArgs);
    const good = await tmp.file('ok.csv', `cpfCnpj;nome;email\n${MARIA};Maria;\n`);
    const bad = await tmp.file('bad.csv', `documento;nome\n${MARIA};Maria\n`);

    const unknown = await admin(['clientes', 'importar', '--sigla', 'XYZ', good]);
    assert.deepEqual([unknown.code, unknown.err], [1, 'Erro: Empresa XYZ não encontrada.\n']);
    const badHeader = await admin(['clientes', 'importar', '--sigla', 'CAER', bad]);
    assert.equal(badHeader.code, 1);
    assert.match(badHeader.err, /^Erro: Cabeçalho inválido: .* Nada foi gravado\.\n$/);
    const missing = await admin(['clientes', 'importar', '--sigla', 'CAER', tmp.path('nada.csv')]);
    assert.equal(missing.code, 1);
    assert.match(missing.err, /^Erro: Arquivo não encontrado: /);
    assert.equal(await stores.clients.find('CAER', MARIA), null);
  });

  it('exits 1 when the company already exists, keeping its key', async () => {
    const key = keyIn((await admin(createArgs)).out);
    const again = await admin(createArgs);
    assert.equal(again.code, 1);
    assert.match(again.err, /^Erro: A empresa CAER já existe\./);
    assert.equal((await stores.companies.findByKeyHash(hashKey(key)))?.sigla, 'CAER');
  });
});
