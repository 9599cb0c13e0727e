/**
 * One turn at a time per conversation, within the process (docs/api.md §6). botbuilder's
 * `ConversationState` reads the state at a turn's start and saves it at its end with eTag `*`: two
 * turns of a conversation running together would both read the old state, and the last save would
 * win (a message answered `202` past the window still runs when the next one arrives). Each turn
 * waits for the one before it of the same conversation; a conversation with nothing running or
 * waiting has no entry, so the map holds only the conversations busy now.
 */
export class TurnQueue {
  /** Per conversation, the end of its last turn queued (settled either way, never rejected). */
  private readonly tails = new Map<string, Promise<void>>();

  /** Runs `turn` once every turn queued before it under `key` has settled; settles like `turn`. */
  run<T>(key: string, turn: () => Promise<T>): Promise<T> {
    const result = (this.tails.get(key) ?? Promise.resolve()).then(turn);
    const tail = result.then(
      () => {},
      () => {},
    );
    this.tails.set(key, tail);
    void tail.then(() => {
      if (this.tails.get(key) === tail) this.tails.delete(key);
    });
    return result;
  }

  /** How many conversations have a turn running or waiting. */
  get size(): number {
    return this.tails.size;
  }
}

/** The key of an activity's conversation (channel and conversation ids), or none without them. */
export function conversationKey(activity: { channelId?: unknown; conversation?: { id?: unknown } }): string | undefined {
  const { channelId } = activity;
  const id = activity.conversation?.id;
  return typeof channelId === 'string' && typeof id === 'string' ? JSON.stringify([channelId, id]) : undefined;
}
