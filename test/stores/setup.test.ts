import { newValidation } from '../../services/validations';
import { strict as assert } from 'node:assert';
import { hashKey } from '../../services/code';
import { DEMO_CLIENTS, DEMO_COMPANY, DEMO_KEY, seedDemo } from '../../services/demo';
import { ensureIndex, planIndex, type ExistingIndex, type IndexSpec } from '../../services/store/indexes';
import type { MongoStores } from '../../services/store/mongo';
import { forEachStore, storeLegs } from './harness';

/** What a start does to a database that is not new: the demo seed and the indexes. */

forEachStore('seeding the demo data', (stores) => {
  const documents = DEMO_CLIENTS.map((c) => c.document);
  const clients = async () => Promise.all(documents.map((d) => stores().clients.find(DEMO_COMPANY.sigla, d)));

  it('creates the company and every client on a new database', async () => {
    await seedDemo(stores());
    assert.equal((await stores().companies.findByKeyHash(hashKey(DEMO_KEY)))?.sigla, DEMO_COMPANY.sigla);
    assert.deepEqual((await clients()).map((c) => c?.document), documents);
  });

  it('completes a seed that stopped after the company, and leaves what exists as it is', async () => {
    await stores().companies.insert({ ...DEMO_COMPANY, keyHash: hashKey('a-rotated-key'), createdAt: new Date() });
    await stores().clients.upsertMany([{ ...DEMO_CLIENTS[0], companyId: DEMO_COMPANY.sigla }]);
    const validatedAt = new Date('2026-11-01T10:00:00Z');
    await stores().clients.markEmailValidated(DEMO_COMPANY.sigla, DEMO_CLIENTS[0].document, newValidation('maria@exemplo.com', validatedAt, 'webhook', false));

    await seedDemo(stores());
    const [maria, ...rest] = await clients();
    assert.deepEqual([maria?.email, maria?.emailValidatedAt?.toISOString()], ['maria@exemplo.com', validatedAt.toISOString()]);
    assert.deepEqual(rest.map((c) => c?.document), documents.slice(1));
    assert.equal((await stores().companies.findBySigla(DEMO_COMPANY.sigla))?.keyHash, hashKey('a-rotated-key'), 'the key stays rotated');
  });

  it('lets instances that start together seed at the same time', async () => {
    await Promise.all([seedDemo(stores()), seedDemo(stores()), seedDemo(stores())]);
    assert.equal((await stores().companies.list()).length, 1);
    assert.equal((await clients()).filter(Boolean).length, DEMO_CLIENTS.length);
  });
});

describe('bringing an index up to date (planIndex)', () => {
  // Shaped as mongod's listIndexes answers.
  const existing: ExistingIndex[] = [
    { name: '_id_', key: { _id: 1 } },
    { name: 'updatedAt_1', key: { updatedAt: 1 }, expireAfterSeconds: 86400 },
    { name: 'sigla_1', key: { sigla: 1 }, unique: true },
    { name: 'due', key: { companyId: 1, deliveryDue: 1 }, partialFilterExpression: { deliveryDue: { $exists: true } } },
  ];
  const due = (partialFilterExpression?: Record<string, unknown>): IndexSpec => ({ collection: 'clients', key: { companyId: 1, deliveryDue: 1 }, partialFilterExpression });
  const ttl = (expireAfterSeconds?: number): IndexSpec => ({ collection: 'botState', key: { updatedAt: 1 }, expireAfterSeconds });

  it('keeps an index whose options are the same', () => {
    assert.deepEqual(planIndex(ttl(86400), existing), { kind: 'keep' });
    assert.deepEqual(planIndex({ collection: 'companies', key: { sigla: 1 }, unique: true }, existing), { kind: 'keep' });
    assert.deepEqual(planIndex(due({ deliveryDue: { $exists: true } }), existing), { kind: 'keep' });
  });

  it('creates a missing one', () => {
    assert.deepEqual(planIndex({ collection: 'companies', key: { keyHash: 1 }, unique: true }, existing), { kind: 'create' });
    assert.deepEqual(planIndex(ttl(60), []), { kind: 'create' });
  });

  it('changes a TTL in place (collMod), which createIndex would refuse with IndexOptionsConflict', () => {
    assert.deepEqual(planIndex(ttl(3600), existing), { kind: 'setTtl', name: 'updatedAt_1' });
  });

  it('rebuilds an index that gains or loses uniqueness, its TTL or its partial filter', () => {
    assert.deepEqual(planIndex({ collection: 'companies', key: { sigla: 1 } }, existing), { kind: 'rebuild', name: 'sigla_1' });
    assert.deepEqual(planIndex(due(), existing), { kind: 'rebuild', name: 'due' });
    assert.deepEqual(planIndex(due({ deliveryDue: { $type: 'date' } }), existing), { kind: 'rebuild', name: 'due' });
    assert.deepEqual(planIndex(ttl(undefined), existing), { kind: 'rebuild', name: 'updatedAt_1' });
  });
});

const mongo = storeLegs.find((leg) => leg.name === 'MongoDB');
describe('an index option changed between two starts [MongoDB]', () => {
  before(function () {
    if (!mongo) this.skip();
  });

  it('is applied, not refused: the index ends with the new TTL', async function () {
    const stores = (await mongo!.open()) as MongoStores;
    const { db } = stores;
    try {
      const spec = (expireAfterSeconds: number): IndexSpec => ({ collection: 'ttlChange', key: { updatedAt: 1 }, expireAfterSeconds });
      assert.equal(await ensureIndex(db, spec(86400)), 'create');
      assert.equal(await ensureIndex(db, spec(86400)), 'keep', 'a start with the same options changes nothing');
      try {
        assert.equal(await ensureIndex(db, spec(3600)), 'setTtl');
      } catch (err) {
        // The test stand-in has no collMod (mongod has had it since 2.2): nothing more to learn there.
        if ((err as { code?: unknown }).code === 59) this.skip();
        throw err;
      }
      const indexes = (await db.collection('ttlChange').listIndexes().toArray()) as ExistingIndex[];
      assert.deepEqual(
        indexes.filter((i) => i.name !== '_id_').map((i) => [i.name, i.expireAfterSeconds]),
        [['updatedAt_1', 3600]],
      );
    } finally {
      await stores.close();
    }
  });
});
