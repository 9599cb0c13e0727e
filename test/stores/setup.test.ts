import { strict as assert } from 'node:assert';
import { MongoClient, type CommandStartedEvent, type Db } from 'mongodb';
import { main } from '../../admin/cli';
import { BOT_STATE_INDEXES } from '../../bots/stateCollection';
import { hashKey } from '../../services/domain/code';
import { DEMO_CLIENTS, DEMO_COMPANY, DEMO_KEY, seedDemo } from '../../services/runtime/demo';
import {
  applyIndexesOn,
  describeIndexChange,
  planIndex,
  STORE_INDEXES,
  type ExistingIndex,
  type IndexSpec,
} from '../../services/store/indexes';
import { createMongoStores } from '../../services/store/mongo';
import { newValidation } from '../../services/domain/validations';
import { captureIo } from '../admin/helpers';
import { request, startTestApp } from '../support/app';
import { captureLogs } from '../support/logs';
import { testDatabaseName, TEST_PEPPER } from '../support/stores';
import { forEachStore } from './harness';

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

/**
 * docs/operations.md "Indexes": a start creates only what a new database or an empty collection
 * lacks, and says what else differs; `indices aplicar` changes the rest. On MongoDB (`MONGODB_URI`).
 */
describe('the indexes, at start and with `indices aplicar` [MongoDB]', () => {
  const uri = process.env.MONGODB_URI;
  const ALL = [...STORE_INDEXES, ...BOT_STATE_INDEXES];
  let client: MongoClient;
  let db: Db;
  /** The commands the test's own client sent, for what a server without them cannot show. */
  const sent: CommandStartedEvent[] = [];

  before(async function () {
    if (!uri) return this.skip();
    client = new MongoClient(uri, { monitorCommands: true });
    client.on('commandStarted', (event) => sent.push(event));
  });
  beforeEach(() => {
    db = client.db(testDatabaseName());
    sent.length = 0;
  });
  afterEach(async () => {
    await db?.dropDatabase();
  });
  after(async () => {
    await client?.close();
  });

  const start = () => createMongoStores({ uri: uri!, dbName: db.databaseName, timeoutMs: 4000, moreIndexes: BOT_STATE_INDEXES });
  const indexesOf = async (collection: string) => (await db.collection(collection).listIndexes().toArray()) as ExistingIndex[];
  /** The specs of `ALL` the database does not hold as they say. */
  const unmet = async () => {
    const left: string[] = [];
    for (const spec of ALL) if (planIndex(spec, await indexesOf(spec.collection)).kind !== 'keep') left.push(JSON.stringify(spec));
    return left;
  };
  /** A database an older version left: clients with a document and only the `_id` index, the codes' TTL of another length. */
  const olderDatabase = async () => {
    await db.collection('clients').insertOne({ companyId: 'CAER', document: '02789078220' });
    await db.collection('codes').createIndex({ expiresAt: 1 }, { expireAfterSeconds: 600 });
    await db.collection('companies').insertOne({ sigla: 'CAER' });
    await db.collection('companies').createIndex({ sigla: 1 });
  };

  it('gives a new database every index at its first start, with nothing left to apply', async () => {
    const stores = await start();
    try {
      assert.deepEqual(stores.indexChanges, []);
      assert.deepEqual(await unmet(), []);
    } finally {
      await stores.close();
    }
  });

  it('builds nothing over existing documents and changes no index at start: it answers what differs', async () => {
    await olderDatabase();
    const stores = await start();
    try {
      assert.deepEqual(stores.indexChanges.map(describeIndexChange).sort(), [
        'clients {"companyId":1,"deliveryDue":1}: missing',
        'clients {"companyId":1,"document":1}: missing',
        'clients {"companyId":1,"validations.validatedAt":1}: missing',
        'clients {"validations.delivery":1}: missing',
        'codes {"expiresAt":1}: expireAfterSeconds 600 instead of 0',
        'companies {"keyHash":1}: missing',
        'companies {"previousKeyHash":1}: missing',
        'companies {"sigla":1}: unique differs (dropped and built again)',
      ]);
      assert.deepEqual((await indexesOf('clients')).map((i) => i.name), ['_id_'], 'nothing built over the client');
      assert.deepEqual((await indexesOf('companies')).map((i) => [i.name, i.unique]), [['_id_', undefined], ['sigla_1', undefined]]);
      assert.equal((await indexesOf('codes')).find((i) => i.name === 'expiresAt_1')?.expireAfterSeconds, 600, 'the TTL as it was');
      // The codes hold no document: their missing index is created, as on a new database.
      assert.ok((await indexesOf('codes')).some((i) => i.name === 'companyId_1_document_1_email_1' && i.unique));
    } finally {
      await stores.close();
    }
  });

  it("is said by the service's start in one warn line naming the command, and the service serves", async () => {
    await olderDatabase();
    const logs = captureLogs();
    const env = { MONGODB_URI: uri!, MONGODB_DB: db.databaseName, CODE_PEPPER: TEST_PEPPER, ALLOW_ANONYMOUS_BOT: 'true', SEED_DEMO: 'false' };
    const app = await startTestApp(env, { logger: logs.logger });
    try {
      const said = logs.lines().filter((line) => /index/i.test(line.msg));
      assert.deepEqual(
        said.map((line) => [line.level, line.msg, (line.indexes as string[]).length]),
        [['warn', 'MongoDB indexes differ from what this version expects: apply them with `npx gsan-email-admin indices aplicar`', 8]],
      );
      assert.equal((await request(`${app.baseUrl}/ready`)).status, 200);
    } finally {
      await app.close();
    }
  });

  it('applies with `indices aplicar` what the start left, after which a start has nothing to say', async () => {
    await olderDatabase();
    await db.collection('codes').dropIndex('expiresAt_1'); // a TTL change is collMod's, tried below
    const io = captureIo();
    const env = { MONGODB_URI: uri!, MONGODB_DB: db.databaseName, CODE_PEPPER: TEST_PEPPER };
    assert.equal(await main(['indices', 'aplicar'], { env, out: io.out, err: io.err }), 0, io.err.text);
    assert.match(io.err.text, /^clients \{"companyId":1,"document":1\}: criando…$/m);
    assert.match(io.err.text, /^companies \{"sigla":1\}: refazendo \(outras opções\)…$/m);
    assert.match(io.err.text, /^7 índices aplicados\.$/m);
    assert.deepEqual(await unmet(), []);
    assert.equal(await db.collection('clients').countDocuments(), 1, 'the documents stay');

    const again = await start();
    await again.close();
    assert.deepEqual(again.indexChanges, []);
    const twice = captureIo(true);
    assert.equal(await main(['indices', 'aplicar', '--json'], { env, out: twice.out, err: twice.err }), 0, twice.err.text);
    assert.deepEqual(JSON.parse(twice.out.text), []);
    assert.match(twice.err.text, /nada foi alterado/);
  });

  it('`indices aplicar` names the index MongoDB refuses, and what it said', async () => {
    // Two companies with one sigla, from before the sigla was unique.
    await db.collection('companies').insertMany([{ sigla: 'CAER' }, { sigla: 'CAER' }]);
    await db.collection('companies').createIndex({ sigla: 1 });
    const io = captureIo();
    const env = { MONGODB_URI: uri!, MONGODB_DB: db.databaseName, CODE_PEPPER: TEST_PEPPER };
    assert.equal(await main(['indices', 'aplicar'], { env, out: io.out, err: io.err }), 1, io.err.text);
    assert.match(io.err.text, /^Erro: O MongoDB recusou o índice companies \{"sigla":1\}: .*duplicate key.*\. Corrija o que ele aponta e rode de novo/m);
    assert.equal(io.out.text, '');
  });

  it('changes a TTL in place with collMod, never dropping the index', async () => {
    await db.collection('botState').createIndex({ updatedAt: 1 }, { expireAfterSeconds: 3600 });
    sent.length = 0;
    const applied = await applyIndexesOn(db, BOT_STATE_INDEXES).catch((err: unknown) => err);
    const changes = sent.filter((e) => ['collMod', 'dropIndexes', 'createIndexes'].includes(e.commandName) && e.command[e.commandName] === 'botState');
    assert.deepEqual(
      changes.map((e) => [e.commandName, e.command.index as unknown]),
      [['collMod', { name: 'updatedAt_1', expireAfterSeconds: BOT_STATE_INDEXES[0].expireAfterSeconds }]],
    );
    if (applied instanceof Error) {
      // A server without collMod (the suite's wire-protocol stand-in) refuses it; mongod has had it since 2.2.
      assert.equal((applied as { code?: unknown }).code, 59, String(applied));
    } else {
      assert.equal((await indexesOf('botState')).find((i) => i.name === 'updatedAt_1')?.expireAfterSeconds, BOT_STATE_INDEXES[0].expireAfterSeconds);
    }
  });
});
