import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Activity } from 'botbuilder';

/**
 * An in-test HTTP server that plays the Bot Framework channel (or a root bot) at `serviceUrl`:
 * it receives the bot's replies (`POST /v3/conversations/:id/activities[/:replyToId]`) and keeps
 * them in order.
 */

export interface ChannelReply {
  conversationId: string;
  replyToId: string | undefined;
  activity: Partial<Activity>;
}

export interface TestChannel {
  serviceUrl: string;
  replies: ChannelReply[];
  /** How long the channel takes to answer each post (a real channel: a few hundred ms to over a second). */
  delayMs: number;
  /** While set, posts are received and never answered (until `release()`). */
  holding: boolean;
  /** Posts received and not answered yet. */
  held(): number;
  /** Answers the posts held, as late as that, and stops holding. */
  release(): void;
  close(): Promise<void>;
}

export interface ChannelOptions {
  /**
   * Activities the channel answers `400 Invalid input` instead of taking, as Teams and the Agents
   * Playground do with a bot's `endOfConversation`.
   */
  refuse?(activity: Partial<Activity>): boolean;
  delayMs?: number;
  /** Where it listens: `127.0.0.1` unless given (`localhost`: the first address the name resolves to). */
  host?: string;
  /** Before `/v3/conversations/…`, as the Agents Playground's `/_connector`. */
  basePath?: string;
}

/** The Bot Framework connector's reply routes, under any base path. */
const REPLY_PATH = /\/v3\/conversations\/([^/]+)\/activities(?:\/([^/]+))?$/;

export async function startChannel(options: ChannelOptions = {}): Promise<TestChannel> {
  const replies: ChannelReply[] = [];
  const parked: (() => void)[] = [];
  const answer = async (req: IncomingMessage, res: ServerResponse) => {
    const match = req.method === 'POST' ? REPLY_PATH.exec(req.url ?? '') : null;
    if (!match) {
      // Not chained: restify, loaded in the same process, replaces writeHead with one returning nothing.
      res.writeHead(404);
      res.end();
      return;
    }
    const activity = JSON.parse(await readBody(req)) as Partial<Activity>;
    if (channel.holding) await new Promise<void>((resolve) => parked.push(resolve));
    else if (channel.delayMs > 0) await new Promise((resolve) => setTimeout(resolve, channel.delayMs));
    // The bot gave up waiting: nothing was delivered.
    if (req.socket.destroyed) return;
    if (options.refuse?.(activity)) {
      res.writeHead(400, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { code: 'BadArgument', message: 'Invalid input' } }));
      return;
    }
    replies.push({
      conversationId: decodeURIComponent(match[1]),
      replyToId: match[2] && decodeURIComponent(match[2]),
      activity,
    });
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ id: randomUUID() }));
  };
  const server: Server = createServer((req, res) => void answer(req, res));
  await new Promise<void>((resolve) => server.listen(0, options.host ?? '127.0.0.1', resolve));
  const { address, port } = server.address() as AddressInfo;
  const host = options.host === 'localhost' ? 'localhost' : address.includes(':') ? `[${address}]` : address;
  const channel: TestChannel = {
    serviceUrl: `http://${host}:${port}${options.basePath ?? ''}`,
    replies,
    delayMs: options.delayMs ?? 0,
    holding: false,
    held: () => parked.length,
    release() {
      channel.holding = false;
      parked.splice(0).forEach((answerNow) => answerNow());
    },
    close: () =>
      new Promise<void>((resolve) => {
        channel.release();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
  return channel;
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

export interface TurnResult {
  status: number;
  /** The answer's body, parsed: an `expectReplies` turn's `{ activities }`, or a refusal's `{ error }`. */
  body: unknown;
  /** The activities the bot sent back during this turn, in order, typing indicators left out. */
  replies: Partial<Activity>[];
  /** Whether the bot showed a typing indicator during the turn. */
  typing: boolean;
}

/**
 * One conversation with the bot over HTTP: each `send` POSTs an activity to `/api/messages`
 * and answers with the replies the channel collected while the bot handled it.
 */
export class HttpConversation {
  readonly id = `conv-${randomUUID()}`;
  readonly user = { id: 'user-1', name: 'Cliente' };
  readonly bot = { id: 'gsan-email-validation', name: 'GSAN' };

  constructor(
    private readonly baseUrl: string,
    private readonly channel: TestChannel,
    private readonly channelId = 'emulator',
    /** `skill` when a root bot plays the caller. */
    private readonly recipientRole?: string,
    /** `expectReplies`: the replies come back in the HTTP answer, as Copilot Studio asks for them. */
    private readonly deliveryMode?: 'expectReplies',
  ) {}

  /** Sends to this conversation's service, or to `baseUrl`: another instance of it. */
  async send(activity: Partial<Activity>, baseUrl = this.baseUrl): Promise<TurnResult> {
    const seen = this.channel.replies.length;
    const body = {
      id: randomUUID(),
      channelId: this.channelId,
      serviceUrl: this.channel.serviceUrl,
      timestamp: new Date().toISOString(),
      from: this.user,
      recipient: this.recipientRole ? { ...this.bot, role: this.recipientRole } : this.bot,
      conversation: { id: this.id },
      locale: 'pt-BR',
      ...(this.deliveryMode && { deliveryMode: this.deliveryMode }),
      ...activity,
    };
    const res = await fetch(`${baseUrl}/api/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    const answer = await res.text();
    const parsed: unknown = answer === '' ? undefined : JSON.parse(answer);
    const all = this.deliveryMode
      ? ((parsed as { activities?: Partial<Activity>[] } | undefined)?.activities ?? [])
      : this.channel.replies
          .slice(seen)
          .filter((r) => r.conversationId === this.id)
          .map((r) => r.activity);
    return { status: res.status, body: parsed, replies: all.filter((a) => a.type !== 'typing'), typing: all.some((a) => a.type === 'typing') };
  }

  /** Sends a message and returns the reply texts (non-message replies as `<type>`). */
  async say(text: string, baseUrl = this.baseUrl): Promise<string[]> {
    const { replies } = await this.send({ type: 'message', text }, baseUrl);
    return replies.map((a) => a.text ?? `<${a.type}>`);
  }

  /** The state key botbuilder's ConversationState uses for this conversation. */
  get stateKey(): string {
    return `${this.channelId}/conversations/${this.id}/`;
  }
}
