import type { Storage } from 'botbuilder';
import type { Db } from 'mongodb';
import { createBotStorage } from '../../bots/storage';
import { createMemoryStores } from '../../services/store/memory';
import { createMongoStores, type MongoStores } from '../../services/store/mongo';
import type { Stores } from '../../services/store/types';
import { dropOnClose, testDatabaseName } from '../support/stores';

/**
 * The legs every store contract runs on: the in-memory twin always, MongoDB when
 * `MONGODB_URI` is set (each run in a database of its own, dropped afterwards).
 */
export interface StoreLeg {
  name: string;
  /** Fresh, empty stores; closing them drops what they created. */
  open(): Promise<Stores>;
  /** The MongoDB database of stores this leg opened (the bot's state lives beside them); none in memory. */
  database(stores: Stores): Db | undefined;
}

export const storeLegs: StoreLeg[] = [
  {
    name: 'in-memory',
    open: async () => createMemoryStores(),
    database: () => undefined,
  },
];

const mongoUri = process.env.MONGODB_URI;
if (mongoUri) {
  storeLegs.push({
    name: 'MongoDB',
    open: async () => dropOnClose(await createMongoStores({ uri: mongoUri, dbName: testDatabaseName(), timeoutMs: 4000 })),
    database: (stores) => (stores as MongoStores).db,
  });
} else {
  console.log('  (MONGODB_URI is not set: the MongoDB leg of the store contract suite is skipped)');
}

/** Runs `suite` once per leg, with fresh stores for every test. */
export function forEachStore(title: string, suite: (get: () => Stores) => void): void {
  for (const leg of storeLegs) {
    describe(`${title} [${leg.name}]`, () => {
      let stores: Stores;
      beforeEach(async () => {
        stores = await leg.open();
      });
      afterEach(async () => {
        await stores.close();
      });
      suite(() => stores);
    });
  }
}

/**
 * Runs `suite` once per leg against botbuilder `Storage` built by the same code as the app
 * (`createBotStorage`): botbuilder's MemoryStorage on the in-memory leg, `MongoStorage` on MongoDB.
 */
export function forEachStorage(title: string, suite: (get: () => Storage) => void): void {
  for (const leg of storeLegs) {
    describe(`${title} [${leg.name}]`, () => {
      let stores: Stores;
      let storage: Storage;
      beforeEach(async () => {
        stores = await leg.open();
        storage = createBotStorage(leg.database(stores));
      });
      afterEach(async () => {
        await stores.close();
      });
      suite(() => storage);
    });
  }
}
