import type { Collection } from 'mongodb';
import {
  DuplicateError,
  type Client,
  type ClientStore,
  type CodeKey,
  type CodeRecord,
  type CodeStore,
  type Company,
  type CompanyStore,
  type NotificationSecrets,
  type NotificationTarget,
  type UpsertCounts,
  type ValidationRecord,
} from './types';
import { emailKeyOf, keepsValidationExpr, keyOpensFilter, liveFilter, liveOfClientFilter, mayMarkValidatedFilter } from './storeRules';
import { isDuplicateKey } from './duplicateKey';

/**
 * The MongoDB stores of companies, clients and codes, on the official driver. Rules that matter
 * (expiry, attempts, single use) are in the query filters themselves (storeRules.ts); the TTL index
 * on `expiresAt` only cleans up. The delivery queue is in mongoDelivery.ts, the start in mongo.ts.
 */

/**
 * A client, with its validations and their delivery: `deliveryDue` is set while some validation's
 * notification is pending (when the next one may be attempted: what the workers look for), and
 * `deliveryLease` while an instance is delivering one.
 */
export type ClientDoc = Client & {
  emailKey: string | null;
  validations?: ValidationRecord[];
  deliveryDue?: Date;
  deliveryLease?: { owner: string; until: Date };
  /** Bumped by every write that adds or re-queues validations (see `MongoValidationStore`). */
  deliveryVersion?: number;
};

/** What a client is to the rest of the service: not its validations, nor their delivery. */
const CLIENT_FIELDS = { projection: { _id: 0, companyId: 1, document: 1, nome: 1, email: 1, emailValidatedAt: 1 } } as const;

function rethrowDuplicate(err: unknown, what: string): never {
  if (isDuplicateKey(err)) throw new DuplicateError(what);
  throw err;
}

const NO_ID = { projection: { _id: 0 } } as const;

export class MongoCompanyStore implements CompanyStore {
  constructor(private readonly col: Collection<Company>) {}

  findByKeyHash(keyHash: string): Promise<Company | null> {
    return this.col.findOne(keyOpensFilter(keyHash, new Date()), NO_ID);
  }

  findBySigla(sigla: string): Promise<Company | null> {
    return this.col.findOne({ sigla }, NO_ID);
  }

  async insert(company: Company): Promise<void> {
    try {
      await this.col.insertOne({ ...company });
    } catch (err) {
      rethrowDuplicate(err, `Empresa ${company.sigla}`);
    }
  }

  async setKeyHash(sigla: string, keyHash: string, keepPreviousUntil?: Date): Promise<boolean> {
    try {
      // One update reads the key it replaces: the previous hash is the one stored at that moment.
      const r = await this.col.updateOne({ sigla }, [
        {
          $set: {
            previousKeyHash: keepPreviousUntil ? '$keyHash' : null,
            previousKeyUntil: { $literal: keepPreviousUntil ?? null },
            keyHash: { $literal: keyHash },
          },
        },
      ]);
      return r.matchedCount === 1;
    } catch (err) {
      rethrowDuplicate(err, 'Chave');
    }
  }

  async setNotification(sigla: string, notification: NotificationTarget | null, keepPreviousUntil?: Date): Promise<boolean> {
    const target = notification && { url: notification.url, secret: notification.secret, configuredAt: notification.configuredAt };
    if (!target || !keepPreviousUntil) {
      const r = await this.col.updateOne({ sigla }, { $set: { notification: target } });
      return r.matchedCount === 1;
    }
    // One update reads the secret it replaces, as setKeyHash reads the key: the one stored at that moment.
    const kept = { $ifNull: ['$notification.secret', null] };
    const r = await this.col.updateOne({ sigla }, [
      {
        $set: {
          notification: {
            url: { $literal: target.url },
            secret: { $literal: target.secret },
            configuredAt: { $literal: target.configuredAt },
            previousSecret: kept,
            previousSecretUntil: { $cond: [{ $eq: [kept, null] }, null, { $literal: keepPreviousUntil }] },
          },
        },
      },
    ]);
    return r.matchedCount === 1;
  }

  async replaceSecrets(sigla: string, from: NotificationSecrets, to: NotificationSecrets): Promise<boolean> {
    const r = await this.col.updateOne(
      { sigla, 'notification.secret': from.secret, 'notification.previousSecret': from.previousSecret ?? null },
      {
        $set: {
          'notification.secret': to.secret,
          'notification.previousSecret': to.previousSecret ?? null,
          'notification.previousSecretUntil': to.previousSecretUntil ?? null,
        },
      },
    );
    return r.matchedCount === 1;
  }

  list(): Promise<Company[]> {
    return this.col.find({}, NO_ID).sort({ sigla: 1 }).toArray();
  }
}

export class MongoClientStore implements ClientStore {
  constructor(private readonly col: Collection<ClientDoc>) {}

  find(companyId: string, document: string): Promise<Client | null> {
    return this.col.findOne({ companyId, document }, CLIENT_FIELDS);
  }

  async upsertMany(clients: readonly Omit<Client, 'emailValidatedAt'>[]): Promise<UpsertCounts> {
    if (clients.length === 0) return { inserted: 0, updated: 0 };
    const ops = clients.map((c) => {
      const key = emailKeyOf(c.email);
      return {
        updateOne: {
          filter: { companyId: c.companyId, document: c.document },
          // A pipeline update reads a string that starts with `$` as a field path: every value from
          // the caller goes in as a literal.
          update: [
            {
              $set: {
                companyId: { $literal: c.companyId },
                document: { $literal: c.document },
                nome: { $literal: c.nome },
                email: { $literal: c.email },
                emailValidatedAt: { $cond: [keepsValidationExpr(key), '$emailValidatedAt', null] },
                emailKey: { $literal: key },
              },
            },
          ],
          upsert: true,
        },
      };
    });
    const r = await this.col.bulkWrite(ops, { ordered: false });
    return { inserted: r.upsertedCount, updated: r.matchedCount };
  }

  async markEmailValidated(companyId: string, document: string, validation: ValidationRecord): Promise<Client | null> {
    // One update: the email is never validated without its record, nor the record kept without it.
    return this.col.findOneAndUpdate(
      { companyId, document, ...mayMarkValidatedFilter(validation.email) },
      {
        $set: { email: validation.email, emailKey: emailKeyOf(validation.email), emailValidatedAt: validation.validatedAt },
        $push: { validations: validation },
        $inc: { deliveryVersion: 1 },
        ...(validation.nextAttemptAt ? { $min: { deliveryDue: validation.nextAttemptAt } } : {}),
      },
      { returnDocument: 'after', ...CLIENT_FIELDS },
    );
  }

  async forget(companyId: string, document: string): Promise<{ email: string | null; validations: ValidationRecord[] } | null> {
    const before = await this.col.findOneAndUpdate(
      { companyId, document },
      {
        $set: { email: null, emailKey: null, emailValidatedAt: null, validations: [] },
        $unset: { deliveryDue: '', deliveryLease: '' },
        $inc: { deliveryVersion: 1 },
      },
      { returnDocument: 'before', projection: { _id: 0, email: 1, validations: 1 } },
    );
    return before ? { email: before.email, validations: before.validations ?? [] } : null;
  }
}

export class MongoCodeStore implements CodeStore {
  constructor(private readonly col: Collection<CodeRecord>) {}

  async replace(record: CodeRecord): Promise<void> {
    const { companyId, document, email } = record;
    await this.col.replaceOne({ companyId, document, email }, { ...record }, { upsert: true });
  }

  findLive(key: CodeKey, now: Date, maxAttempts: number): Promise<CodeRecord | null> {
    return this.col.findOne(liveFilter(key, now, maxAttempts), NO_ID);
  }

  async consume(key: CodeKey, codeHash: string, now: Date, maxAttempts: number): Promise<boolean> {
    const r = await this.col.deleteOne({ ...liveFilter(key, now, maxAttempts), codeHash });
    return r.deletedCount === 1;
  }

  async addWrongAttempt(key: CodeKey, codeHash: string, now: Date, maxAttempts: number): Promise<number | null> {
    const doc = await this.col.findOneAndUpdate(
      { ...liveFilter(key, now, maxAttempts), codeHash },
      { $inc: { attempts: 1 } },
      { returnDocument: 'after', projection: { attempts: 1 } },
    );
    return doc ? doc.attempts : null;
  }

  async liveExpiries(companyId: string, document: string, now: Date, maxAttempts: number): Promise<Date[]> {
    const docs = await this.col.find(liveOfClientFilter(companyId, document, now, maxAttempts), { projection: { _id: 0, expiresAt: 1 } }).toArray();
    return docs.map((d) => d.expiresAt);
  }

  async removeAll(companyId: string, document: string): Promise<number> {
    return (await this.col.deleteMany({ companyId, document })).deletedCount;
  }
}
