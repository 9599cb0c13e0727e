import { strict as assert } from 'node:assert';
import { createCompany, listCompanies, rotateCompanyKey } from '../../admin/companies';
import { AdminError, UsageError } from '../../admin/common';
import { hashKey } from '../../services/domain/code';
import { createMemoryStores } from '../../services/store/memory';
import type { Stores } from '../../services/store/types';
import { CAER, capture, captureIo, keyIn } from './helpers';

describe('admin: empresa criar / nova-chave / listar', () => {
  let stores: Stores;
  beforeEach(() => {
    stores = createMemoryStores();
  });

  async function create(args: Record<string, string> = CAER): Promise<string> {
    const io = captureIo();
    await createCompany(stores, io, args as typeof CAER);
    return keyIn(io.out.text);
  }

  describe('criar', () => {
    it('prints a new key once, alone on standard output, and that key then authenticates the company', async () => {
      const io = captureIo();
      const now = new Date('2026-11-29T12:00:00Z');
      await createCompany(stores, io, CAER, { now: () => now });

      assert.match(io.err.text, /^Empresa CAER criada\.$/m);
      assert.match(io.err.text, /não será mostrada de novo/);
      const key = keyIn(io.out.text);
      assert.equal(io.out.text, `${key}\n`, 'the key alone');
      assert.match(key, /^[A-Za-z0-9_-]{43}$/, '32 random bytes in base64url: 256 bits');

      const found = await stores.companies.findByKeyHash(hashKey(key));
      assert.deepEqual(found, { ...CAER, keyHash: hashKey(key), createdAt: now });
      assert.ok(!JSON.stringify(await stores.companies.list()).includes(key), 'only the hash is stored');
    });

    it('gives every company its own key', async () => {
      const a = await create();
      const b = await create({ ...CAER, sigla: 'CAGEPA', remetente: 'nao-responda@cagepa.pb.gov.br' });
      assert.notEqual(a, b);
      assert.equal((await stores.companies.findByKeyHash(hashKey(b)))?.sigla, 'CAGEPA');
    });

    it('trims the texts and upper-cases the sigla', async () => {
      const key = await create({ ...CAER, sigla: ' caer ', nome: '  Companhia  ', remetente: ' nao-responda@caer.com.br ' });
      const found = await stores.companies.findByKeyHash(hashKey(key));
      assert.equal(found?.sigla, 'CAER');
      assert.equal(found?.nome, 'Companhia');
      assert.equal(found?.remetente, 'nao-responda@caer.com.br');
    });

    it('refuses a sigla that already exists and keeps the first key', async () => {
      const first = await create();
      const { out } = captureIo();
      await assert.rejects(createCompany(stores, { out, err: capture(), json: false }, { ...CAER, nome: 'Outra' }), (err: Error) => {
        assert.ok(err instanceof AdminError);
        assert.equal(err.message, 'A empresa CAER já existe. Para trocar a chave, use "empresa nova-chave".');
        return true;
      });
      assert.equal(out.text, '', 'no key printed');
      const stored = await stores.companies.findBySigla('CAER');
      assert.equal(stored?.keyHash, hashKey(first));
      assert.equal(stored?.nome, CAER.nome);
    });

    const bad: [string, Record<string, string>, string][] = [
      ['no remetente', { ...CAER, remetente: undefined as unknown as string }, 'Informe --remetente.'],
      ['a malformed remetente', { ...CAER, remetente: 'caer.com.br' }, 'O remetente deve ser um endereço de email válido'],
      ['an empty nome', { ...CAER, nome: '   ' }, '--nome não pode ser vazio.'],
      ['a sigla with spaces', { ...CAER, sigla: 'CA ER' }, 'A sigla deve ter de 2 a 20 letras ou dígitos'],
    ];
    for (const [what, args, message] of bad) {
      it(`refuses ${what} and stores nothing`, async () => {
        const out = capture();
        await assert.rejects(createCompany(stores, { out, err: capture(), json: false }, args as typeof CAER), (err: Error) => {
          assert.ok(err instanceof UsageError);
          assert.ok(err.message.startsWith(message), err.message);
          return true;
        });
        assert.deepEqual(await stores.companies.list(), []);
        assert.equal(out.text, '');
      });
    }
  });

  describe('nova-chave', () => {
    it('prints a new key that works, and the old one stops working at once', async () => {
      const oldKey = await create();
      const io = captureIo();
      await rotateCompanyKey(stores, io, { sigla: 'caer' });

      assert.match(io.err.text, /A chave anterior deixou de valer\./);
      const newKey = keyIn(io.out.text);
      assert.notEqual(newKey, oldKey);
      assert.equal(await stores.companies.findByKeyHash(hashKey(oldKey)), null);
      assert.equal((await stores.companies.findByKeyHash(hashKey(newKey)))?.sigla, 'CAER');
    });

    it('leaves the other companies alone', async () => {
      await create();
      const other = await create({ ...CAER, sigla: 'CAGEPA' });
      await rotateCompanyKey(stores, captureIo(), { sigla: 'CAER' });
      assert.equal((await stores.companies.findByKeyHash(hashKey(other)))?.sigla, 'CAGEPA');
    });

    it('refuses an unknown sigla', async () => {
      const key = await create();
      await assert.rejects(rotateCompanyKey(stores, captureIo(), { sigla: 'XYZ' }), {
        name: 'AdminError',
        message: 'Empresa XYZ não encontrada.',
      });
      assert.equal((await stores.companies.findByKeyHash(hashKey(key)))?.sigla, 'CAER');
    });
  });

  describe('listar', () => {
    it('shows every company with its details, but neither key nor hash', async () => {
      const caerKey = await create();
      const otherKey = await create({ ...CAER, sigla: 'AGESPISA', nome: 'Águas e Esgotos do Piauí' });
      const out = capture();
      await listCompanies(stores, out);

      assert.match(out.text, /^AGESPISA - Águas e Esgotos do Piauí$/m);
      assert.match(out.text, /^CAER - Companhia de Águas e Esgotos de Roraima$/m);
      assert.match(out.text, /^ {2}assistente: ED - Assistente virtual da CAER$/m);
      assert.match(out.text, /^ {2}site: {7}www\.caer\.com\.br$/m);
      assert.match(out.text, /^ {2}remetente: {2}nao-responda@caer\.com\.br$/m);
      assert.match(out.text, /^ {2}criada em: {2}\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC$/m);
      assert.ok(out.text.indexOf('AGESPISA') < out.text.indexOf('CAER -'), 'sorted by sigla');
      for (const key of [caerKey, otherKey]) {
        assert.ok(!out.text.includes(key), 'no key');
        assert.ok(!out.text.includes(hashKey(key)), 'no hash');
      }
    });

    it('says so when there is none', async () => {
      const out = capture();
      await listCompanies(stores, out);
      assert.equal(out.text, 'Nenhuma empresa cadastrada.\n');
    });
  });
});
