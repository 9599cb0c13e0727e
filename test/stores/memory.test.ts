import { strict as assert } from 'node:assert';
import sinon from 'sinon';
import { ExpiringMemoryStorage } from '../../bots/storage';
import { companyLookupLimit, CONVERSATION_DOCUMENT_LIMIT, RECIPIENT_LIMIT, SEND_LIMIT } from '../../services/domain/rules';
import { createMemoryStores } from '../../services/store/memory';

describe('the in-memory code store', () => {
  it('sweeps expired codes away, as the TTL index does on MongoDB', async () => {
    const stores = createMemoryStores();
    const now = new Date();
    const later = (s: number) => new Date(now.getTime() + s * 1000);
    const key = { companyId: 'CAER', document: '02789078220', email: 'a@b.com' };
    const record = { ...key, codeHash: 'h', attempts: 0, createdAt: now };
    await stores.codes.replace({ ...record, expiresAt: later(600) });
    await stores.codes.replace({ ...record, email: 'c@d.com', expiresAt: later(1200) });
    stores.codes.sweep(later(600));
    assert.equal(stores.codes.size(), 1);
    assert.ok(await stores.codes.findLive({ ...key, email: 'c@d.com' }, later(600), 5));
    await stores.close();
  });
});

describe('the in-memory limits', () => {
  it('forgets each counter once its window is over, not a day later', async () => {
    const stores = createMemoryStores();
    const now = Date.now();
    const minutes = (n: number) => now + n * 60_000;
    // Every counter made at `now`, however long the machine takes between them.
    const clock = sinon.useFakeTimers({ now, toFake: ['Date'] });
    try {
      assert.ok((await stores.limits.take(RECIPIENT_LIMIT, 'mailbox')).ok);
      assert.ok((await stores.limits.take(SEND_LIMIT, 'CAER:02789078220')).ok);
      assert.equal(await stores.limits.count(companyLookupLimit(600), 'CAER'), 0);
      assert.equal(await stores.limits.addDistinct(CONVERSATION_DOCUMENT_LIMIT, 'conversation', 'document'), 0);
    } finally {
      clock.restore();
    }
    stores.limits.sweep(minutes(1) + 1);
    assert.equal(stores.limits.ids().length, 3, 'the lookups of a 60 s window are gone after a minute');
    stores.limits.sweep(minutes(60) + 1);
    assert.deepEqual(stores.limits.ids(), [], 'the rest after the hour of their windows');
    await stores.close();
  });
});

describe('the in-memory bot state', () => {
  afterEach(() => sinon.restore());

  it('forgets a conversation left untouched for a day, as the TTL index does on MongoDB', async () => {
    const clock = sinon.useFakeTimers({ now: new Date('2026-11-29T12:00:00Z'), toFake: ['Date'] });
    const storage = new ExpiringMemoryStorage();
    await storage.write({ 'emulator/conversations/left/': { step: 2 }, 'emulator/conversations/active/': { step: 1 } });
    clock.tick(23 * 3600_000);
    await storage.write({ 'emulator/conversations/active/': { step: 2 } });
    clock.tick(3600_000);
    assert.deepEqual(Object.keys(await storage.read(['emulator/conversations/left/', 'emulator/conversations/active/'])), [
      'emulator/conversations/active/',
    ]);
    // Swept on a later write too, read or not.
    await storage.write({ 'emulator/conversations/other/': {} });
    clock.tick(24 * 3600_000);
    await storage.write({ 'emulator/conversations/new/': {} });
    assert.equal(storage.size(), 1);
  });
});
