import type { Collection } from 'mongodb';
import type { Backlog, ClaimedValidation, DeliveryResult, ExportRow, ValidationRecord, ValidationStore } from './types';
import { BACKLOG_STATES, backlogTotals, pendingInOrder, periodCondition, requeuableConditions, requeueChange, rowsInPeriod, settled, type BacklogCount } from '../domain/validations';
import type { ClientDoc } from './mongoStores';

/** The delivery queue of the validations' notifications on MongoDB, kept on the clients' documents (`ClientDoc`). */

export class MongoValidationStore implements ValidationStore {
  constructor(private readonly col: Collection<ClientDoc>) {}

  /*
   * `deliveryDue` may be early, never late: moving it earlier (`$min`, or "due now") is always safe,
   * since a claim looks at the validations themselves; moving it later, or removing it, is done only
   * when `deliveryVersion` says the validations are as the claim read them. Every write that adds or
   * re-queues a validation bumps the version.
   */

  async claim(companyIds: readonly string[], now: Date, owner: string, leaseUntil: Date): Promise<ClaimedValidation | null> {
    // A client whose next validation is not yet due (or with none) has its `deliveryDue` set right and
    // the claim tries the next one, as the in-memory store looks past it: each try takes one client out
    // of the running (set right, or skipped when a write changed it meanwhile), so the loop ends.
    const skipped: { companyId: string; document: string }[] = [];
    for (;;) {
      const doc = await this.col.findOneAndUpdate(
        {
          companyId: { $in: [...companyIds] },
          deliveryDue: { $lte: now },
          'deliveryLease.until': { $not: { $gt: now } },
          ...(skipped.length ? { $nor: skipped } : {}),
        },
        { $set: { deliveryLease: { owner, until: leaseUntil } } },
        { sort: { deliveryDue: 1 }, returnDocument: 'after', projection: { _id: 0, companyId: 1, document: 1, validations: 1, deliveryVersion: 1 } },
      );
      if (!doc) return null;
      const { companyId, document } = doc;
      // Always set where there are validations; a document without one only ever takes the safe paths below.
      const version = doc.deliveryVersion ?? -1;
      const [next, following] = pendingInOrder(doc.validations ?? []);
      if (next?.nextAttemptAt && next.nextAttemptAt <= now) {
        // The token lets the result set `deliveryDue` right (`settle`).
        return { companyId, document, owner, validation: next, token: { version, following: following?.nextAttemptAt ?? null } };
      }
      // Due too early (a newer validation was queued while the next one waits for its retry), or
      // nothing pending: set it right, unless something changed since the read.
      const leased = { companyId, document, 'deliveryLease.owner': owner };
      const corrected = await this.col.updateOne(
        { ...leased, deliveryVersion: version },
        next?.nextAttemptAt
          ? { $set: { deliveryDue: next.nextAttemptAt }, $unset: { deliveryLease: '' } }
          : { $unset: { deliveryDue: '', deliveryLease: '' } },
      );
      if (corrected.matchedCount === 0) {
        await this.col.updateOne(leased, { $unset: { deliveryLease: '' } });
        skipped.push({ companyId, document });
      }
    }
  }

  async settle(claim: ClaimedValidation, result: DeliveryResult, now: Date): Promise<boolean> {
    const read = claim.token ?? { version: -1, following: null };
    const record = settled(claim.validation, result, now);
    const leased = { companyId: claim.companyId, document: claim.document, 'deliveryLease.owner': claim.owner, 'validations.eventId': record.eventId };
    if (result.kind === 'release') return (await this.col.updateOne(leased, { $unset: { deliveryLease: '' } })).matchedCount === 1;
    // This one waits for its retry and holds the others back; or the next one is due; or none is left.
    const due = record.delivery === 'pending' ? record.nextAttemptAt : read.following;
    const exact = await this.col.updateOne(
      { ...leased, deliveryVersion: read.version },
      due
        ? { $set: { 'validations.$': record, deliveryDue: due }, $unset: { deliveryLease: '' } }
        : { $set: { 'validations.$': record }, $unset: { deliveryDue: '', deliveryLease: '' } },
    );
    if (exact.matchedCount === 1) return true;
    // Validations were added or re-queued meanwhile (or the lease was lost): due now, for the next claim to look.
    const r = await this.col.updateOne(leased, { $set: { 'validations.$': record, deliveryDue: now }, $unset: { deliveryLease: '' } });
    return r.matchedCount === 1;
  }

  async backlog(): Promise<Backlog[]> {
    const groups = await this.col
      .aggregate<{ _id: Pick<BacklogCount, 'companyId' | 'delivery'>; count: number; oldest: Date | null }>([
        { $match: { 'validations.delivery': { $in: [...BACKLOG_STATES] } } },
        { $unwind: '$validations' },
        { $match: { 'validations.delivery': { $in: [...BACKLOG_STATES] } } },
        {
          $group: {
            _id: { companyId: '$companyId', delivery: '$validations.delivery' },
            count: { $sum: 1 },
            oldest: { $min: '$validations.queuedAt' },
          },
        },
      ])
      .toArray();
    return backlogTotals(groups.map((g) => ({ ...g._id, count: g.count, oldest: g.oldest })));
  }

  async requeue(companyId: string, since: Date, until: Date, now: Date): Promise<number> {
    const match = requeuableConditions(since, until);
    const [counted] = await this.col
      .aggregate<{ count: number }>([
        { $match: { companyId, validations: { $elemMatch: match } } },
        { $unwind: '$validations' },
        { $match: { 'validations.delivery': match.delivery, 'validations.validatedAt': match.validatedAt } },
        { $count: 'count' },
      ])
      .toArray();
    if (!counted) return 0;
    // The change of `requeued()`, made in the database on every element that matches. The field the
    // array filter reads goes last, so the update holds even where the filter is re-read per field.
    const change = Object.entries(requeueChange(now)).map(([field, value]) => [`validations.$[v].${field}`, value] as const);
    await this.col.updateMany(
      { companyId, validations: { $elemMatch: match } },
      {
        $set: Object.fromEntries(change),
        $min: { deliveryDue: now },
        $inc: { deliveryVersion: 1 },
      },
      { arrayFilters: [{ 'v.delivery': match.delivery, 'v.validatedAt': match.validatedAt }] },
    );
    return counted.count;
  }

  async list(companyId: string, document: string): Promise<ValidationRecord[]> {
    const doc = await this.col.findOne({ companyId, document }, { projection: { _id: 0, validations: 1 } });
    return doc?.validations ?? [];
  }

  async *exportRows(companyId: string, since: Date, until: Date): AsyncIterable<ExportRow> {
    // A plain cursor, fetched a batch at a time as the rows are consumed: no server-side sort to
    // buffer, and no more than one batch of clients held here.
    const cursor = this.col.find(
      { companyId, 'validations.validatedAt': periodCondition(since, until) },
      { projection: { _id: 0, document: 1, 'validations.email': 1, 'validations.validatedAt': 1 }, batchSize: EXPORT_BATCH },
    );
    for await (const doc of cursor) yield* rowsInPeriod(doc.document, doc.validations ?? [], since, until);
  }
}

/** Clients fetched per round trip of an export. */
const EXPORT_BATCH = 1000;
