import { strict as assert } from 'node:assert';
import sinon from 'sinon';
import { CachedCompanyStore, COMPANY_CACHE_MS } from '../../services/store/companyCache';
import { createMemoryStores } from '../../services/store/memory';
import type { CompanyStore } from '../../services/store/types';

/**
 * The companies an instance keeps a few seconds (services/store/companyCache.ts): what a change made
 * by another process (the admin command) means, and how long it takes. The database here is the
 * in-memory store; the instance sees it through the cache, the admin command straight.
 */

const CAER = {
  sigla: 'CAER',
  nome: 'Companhia de Águas e Esgotos de Roraima',
  assistente: 'ED - Assistente virtual da CAER',
  site: 'www.caer.com.br',
  remetente: 'nao-responda@caer.com.br',
  keyHash: 'old',
  createdAt: new Date('2026-01-01T00:00:00Z'),
};

describe('the companies an instance keeps for a few seconds', () => {
  let clock: sinon.SinonFakeTimers;
  let admin: CompanyStore;
  let instance: CachedCompanyStore;
  let reads: sinon.SinonSpy[];

  beforeEach(async () => {
    clock = sinon.useFakeTimers({ now: new Date('2026-03-01T12:00:00Z'), toFake: ['Date'] });
    admin = createMemoryStores().companies;
    await admin.insert({ ...CAER });
    reads = [sinon.spy(admin, 'findByKeyHash'), sinon.spy(admin, 'findBySigla')];
    instance = new CachedCompanyStore(admin);
  });
  afterEach(() => clock.restore());
  const readsMade = () => reads.reduce((n, spy) => n + spy.callCount, 0);

  it('reads a company once, then answers it from memory until COMPANY_CACHE_MS have passed', async () => {
    assert.equal((await instance.findByKeyHash('old'))?.sigla, 'CAER');
    assert.equal((await instance.findBySigla('CAER'))?.keyHash, 'old');
    clock.tick(COMPANY_CACHE_MS - 1);
    assert.equal((await instance.findByKeyHash('old'))?.sigla, 'CAER');
    assert.equal((await instance.findBySigla('CAER'))?.sigla, 'CAER');
    assert.equal(readsMade(), 2, 'one read by key, one by sigla');
    clock.tick(1);
    await instance.findByKeyHash('old');
    await instance.findBySigla('CAER');
    assert.equal(readsMade(), 4);
  });

  it('a key replaced by another process stops opening the company within COMPANY_CACHE_MS, and at once for a fresh lookup', async () => {
    await instance.findByKeyHash('old');
    await admin.setKeyHash('CAER', 'new');
    assert.equal(await instance.findByKeyHash('old', { fresh: true }), null);
    assert.equal((await instance.findByKeyHash('new'))?.sigla, 'CAER', 'the new key, never kept unknown, works at once');
    clock.tick(COMPANY_CACHE_MS);
    assert.equal(await instance.findByKeyHash('old'), null);
  });

  it('a key replaced through the instance\'s own stores stops at once', async () => {
    await instance.findByKeyHash('old');
    await instance.setKeyHash('CAER', 'new');
    assert.equal(await instance.findByKeyHash('old'), null);
    await instance.findBySigla('CAER');
    await instance.setNotification('CAER', { url: 'https://gsan.caer.com.br/x', secret: 's', configuredAt: new Date() });
    assert.equal((await instance.findBySigla('CAER'))?.notification?.url, 'https://gsan.caer.com.br/x');
  });

  it('a previous key kept by a rotation stops at its time exactly, kept or not', async () => {
    const until = new Date(Date.now() + 60_000);
    await admin.setKeyHash('CAER', 'new', until);
    assert.equal((await instance.findByKeyHash('old'))?.sigla, 'CAER');
    clock.tick(59_999);
    await instance.findByKeyHash('old');
    clock.tick(1);
    assert.equal(await instance.findByKeyHash('old'), null, 'refused though looked up a moment ago');
    assert.equal((await instance.findByKeyHash('new'))?.sigla, 'CAER');
  });

  it('keeps no unknown key, and only companies while they are fresh', async () => {
    assert.equal(await instance.findByKeyHash('nope'), null);
    assert.equal(await instance.findByKeyHash('nope'), null);
    assert.equal(readsMade(), 2, 'an unknown key is read every time: a company created with it works at once');
    await admin.insert({ ...CAER, sigla: 'AGESPISA', keyHash: 'nope' });
    assert.equal((await instance.findByKeyHash('nope'))?.sigla, 'AGESPISA');
  });

  it('hands every caller the same company, which none can change', async () => {
    const company = await instance.findBySigla('CAER');
    assert.throws(() => Object.assign(company!, { remetente: 'x@y.z' }), TypeError);
  });
});
