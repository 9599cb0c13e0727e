import type { Storage } from 'botbuilder';
import { createBotStorage } from '../../bots/storage';
import { createMemoryStores } from '../../services/store/memory';
import { createMongoStores } from '../../services/store/mongo';
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
}

export const storeLegs: StoreLeg[] = [
  {
    name: 'in-memory',
    open: async () => createMemoryStores(),
  },
];

const mongoUri = process.env.MONGODB_URI;
if (mongoUri) {
  storeLegs.push({
    name: 'MongoDB',
    open: async () => dropOnClose(await createMongoStores({ uri: mongoUri, dbName: testDatabaseName(), timeoutMs: 4000 })),
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
        storage = createBotStorage(stores);
      });
      afterEach(async () => {
        await stores.close();
      });
      suite(() => storage);
    });
  }
}
