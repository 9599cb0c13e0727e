import { strict as assert } from 'node:assert';
import { conversationKey, TurnQueue } from '../../bots/turnQueue';

/** bots/turnQueue.ts: one turn at a time per conversation (docs/api.md §6), proved by the order of events. */

/** A turn that runs until released, noting when it starts and ends. */
function heldTurn(name: string, events: string[]) {
  let release!: (fail?: boolean) => void;
  const released = new Promise<boolean>((resolve) => (release = (fail = false) => resolve(fail)));
  return {
    release,
    run: async () => {
      events.push(`${name} start`);
      const fail = await released;
      events.push(`${name} end`);
      if (fail) throw new Error(`${name} failed`);
      return name;
    },
  };
}

const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('one turn at a time per conversation (bots/turnQueue.ts)', () => {
  it('runs the turns of a conversation one after the other, in order, and those of others beside them', async () => {
    const queue = new TurnQueue();
    const events: string[] = [];
    const [a1, a2, b1] = [heldTurn('a1', events), heldTurn('a2', events), heldTurn('b1', events)];
    const results = [queue.run('a', a1.run), queue.run('a', a2.run), queue.run('b', b1.run)];
    await settle();
    assert.deepEqual(events, ['a1 start', 'b1 start'], 'a2 waits for a1; b1 does not');
    a2.release();
    await settle();
    assert.deepEqual(events, ['a1 start', 'b1 start'], 'released early, a2 still waits for a1');
    a1.release();
    b1.release();
    assert.deepEqual(await Promise.all(results), ['a1', 'a2', 'b1']);
    assert.deepEqual(events.filter((e) => e.startsWith('a')), ['a1 start', 'a1 end', 'a2 start', 'a2 end']);
  });

  it('a failed turn fails its own caller only; the next one runs', async () => {
    const queue = new TurnQueue();
    const events: string[] = [];
    const [first, second] = [heldTurn('first', events), heldTurn('second', events)];
    const results = [queue.run('a', first.run), queue.run('a', second.run)];
    first.release(true);
    second.release();
    await assert.rejects(results[0], /first failed/);
    assert.equal(await results[1], 'second');
  });

  it('keeps no entry for a conversation with nothing running or waiting', async () => {
    const queue = new TurnQueue();
    const events: string[] = [];
    const turns = Array.from({ length: 50 }, (_, i) => heldTurn(`t${i}`, events));
    const results = turns.map((t, i) => queue.run(`conversation ${i % 5}`, t.run));
    await settle();
    assert.equal(queue.size, 5);
    turns.forEach((t, i) => t.release(i % 7 === 0));
    await Promise.allSettled(results);
    await settle();
    assert.equal(queue.size, 0);
  });

  it('keys a conversation by its channel and its id, unambiguously; none without them', () => {
    assert.equal(conversationKey({ channelId: 'msteams', conversation: { id: 'c1' } }), conversationKey({ channelId: 'msteams', conversation: { id: 'c1' } }));
    assert.notEqual(conversationKey({ channelId: 'a/b', conversation: { id: 'c' } }), conversationKey({ channelId: 'a', conversation: { id: 'b/c' } }));
    assert.notEqual(conversationKey({ channelId: 'emulator', conversation: { id: 'c' } }), conversationKey({ channelId: 'msteams', conversation: { id: 'c' } }));
    assert.equal(conversationKey({ channelId: 'emulator' }), undefined);
    assert.equal(conversationKey({ conversation: { id: 'c' } }), undefined);
  });
});
