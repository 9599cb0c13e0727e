import { strict as assert } from 'node:assert';
import { ConversationState, TestAdapter, TurnContext } from 'botbuilder';
import { forEachStorage } from './harness';

/** An item as these tests write it, read back with its eTag. */
interface Item {
  [field: string]: unknown;
  eTag: string;
}

/** botbuilder's `Storage` contract, as MemoryStorage keeps it: the MongoDB storage must behave the same. */
forEachStorage('bot Storage', (storage) => {
  const KEY = 'emulator/conversations/conv-1/';
  /** `storage().read`, its items typed (botbuilder types them `any`). */
  const readItems = async (keys: string[]) => (await storage().read(keys)) as Record<string, Item>;

  it('reads nothing for keys never written', async () => {
    assert.deepEqual(await storage().read([KEY, 'other']), {});
    assert.deepEqual(await storage().read([]), {});
  });

  it('writes and reads back items, each with an eTag', async () => {
    await storage().write({ [KEY]: { count: 1, nested: { list: [1, 'a'] } }, 'user/1': { name: 'x' } });
    const items = await readItems([KEY, 'user/1', 'missing']);
    assert.deepEqual(Object.keys(items).sort(), [KEY, 'user/1']);
    assert.equal(items[KEY].count, 1);
    assert.deepEqual(items[KEY].nested, { list: [1, 'a'] });
    assert.equal(typeof items[KEY].eTag, 'string');
    assert.notEqual(items[KEY].eTag, '*');
  });

  it('round-trips keys and fields a document could not carry as is', async () => {
    const key = 'msteams/conversations/a:b.c$d|e/';
    const item = { $type: 'x', 'a.b': { $c: 1 }, text: 'ção\u0000' };
    await storage().write({ [key]: item });
    const { eTag, ...back } = (await readItems([key]))[key];
    assert.ok(eTag);
    assert.deepEqual(back, item);
  });

  it('overwrites unconditionally without an eTag or with "*"', async () => {
    await storage().write({ [KEY]: { v: 1 } });
    await storage().write({ [KEY]: { v: 2 } });
    await storage().write({ [KEY]: { v: 3, eTag: '*' } });
    assert.equal((await readItems([KEY]))[KEY].v, 3);
  });

  it('writes with the current eTag and gives the item a new one', async () => {
    await storage().write({ [KEY]: { v: 1 } });
    const first = (await readItems([KEY]))[KEY];
    await storage().write({ [KEY]: { ...first, v: 2 } });
    const second = (await readItems([KEY]))[KEY];
    assert.equal(second.v, 2);
    assert.notEqual(second.eTag, first.eTag);
  });

  it('refuses a write with a stale eTag and keeps what is stored', async () => {
    await storage().write({ [KEY]: { v: 1 } });
    const stale = (await readItems([KEY]))[KEY];
    await storage().write({ [KEY]: { ...stale, v: 2 } });
    await assert.rejects(storage().write({ [KEY]: { ...stale, v: 3 } }), /eTag conflict/);
    assert.equal((await readItems([KEY]))[KEY].v, 2);
  });

  it('lets exactly one of two writers holding the same eTag win', async () => {
    await storage().write({ [KEY]: { v: 0 } });
    const read = (await readItems([KEY]))[KEY];
    const results = await Promise.allSettled([
      storage().write({ [KEY]: { ...read, v: 'a' } }),
      storage().write({ [KEY]: { ...read, v: 'b' } }),
    ]);
    assert.equal(results.filter((r) => r.status === 'fulfilled').length, 1);
    assert.ok((['a', 'b'] as unknown[]).includes((await readItems([KEY]))[KEY].v));
  });

  it('creates an item written with an eTag when none is stored', async () => {
    await storage().write({ [KEY]: { v: 1, eTag: 'from-elsewhere' } });
    assert.equal((await readItems([KEY]))[KEY].v, 1);
  });

  it('deletes items, and deleting a missing key is no error', async () => {
    await storage().write({ [KEY]: { v: 1 }, keep: { v: 2 } });
    await storage().delete([KEY, 'never-written']);
    assert.deepEqual(Object.keys(await storage().read([KEY, 'keep'])), ['keep']);
  });

  it("carries botbuilder's ConversationState across turns and deletes it", async () => {
    const state = new ConversationState(storage());
    const step = state.createProperty<number>('step');
    const adapter = new TestAdapter();
    const turn = () =>
      new TurnContext(adapter, {
        type: 'message',
        channelId: 'test',
        conversation: { id: 'c1', isGroup: false, conversationType: '', name: '' },
        from: { id: 'u', name: 'u' },
        recipient: { id: 'b', name: 'b' },
      });
    const first = turn();
    await step.set(first, 2);
    await state.saveChanges(first);
    const second = turn();
    assert.equal(await step.get(second), 2);
    await state.delete(second);
    assert.equal(await step.get(turn()), undefined);
  });
});
