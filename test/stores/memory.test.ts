import { strict as assert } from 'node:assert';
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
