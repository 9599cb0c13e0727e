import { ActivityTypes, type Activity, type TurnContext } from 'botbuilder';
import { AuthenticationError } from 'botframework-connector';
import type { Logger } from 'pino';
import type { Request, Response } from 'restify';
import { DeadlineError, withDeadline } from '../services/deadline';
import { describeError } from '../services/runtime/logging';
import { readJsonBody, type BodyRefusal, type BodyResult } from '../services/runtime/httpBody';
import type { DoorAdapter } from './adapter';
import { isLoopbackAddress, isLoopbackHostHeader, isLoopbackOrigin, loopbackReplyUrl } from './loopback';
import { conversationKey, TurnQueue } from './turnQueue';

/**
 * The bot door's HTTP side: the handlers of `POST /api/messages` (the body read and checked before
 * the adapter sees it, the one call into the adapter, the answer within Bot Framework's window, the
 * refusals in a line a developer can act on) and `GET /manifest/:name`, registered on the service's
 * restify server by bots/lazyDoor.ts.
 */

/** Activities are small (a channel's message, a skill's event): this bounds what is buffered. */
const MAX_ACTIVITY_BYTES = 64 * 1024;
/**
 * When a turn still running is answered `202` and left to finish (docs/api.md §6): Bot Framework gives
 * a bot 15 s to answer an activity, and the answer still has to travel. The service's own work in a
 * turn is bounded by 5 s (services/port.ts); the rest is the replies, each posted within its own
 * bound (`BOT_REPLY_TIMEOUT_MS`), whose time is the caller's.
 */
export const TURN_WINDOW_MS = 14_000;
/** Ids of channels are short (Teams' longest are about 150 characters); longer ones would only fill the state store. */
const MAX_ID_LENGTH = 512;

export interface BotTurnReport {
  /** The activity type of the turn (`message`, `event`, …), or `error` when it was refused. */
  outcome: string;
  durationMs: number;
  req: Request;
}

export interface BotRoutesOptions {
  adapter: DoorAdapter;
  /** What runs each turn (the bot's `run`). */
  logic: (context: TurnContext) => Promise<void>;
  /** The skill manifests by file name, filled (bots/manifest.ts). */
  manifests: ReadonlyMap<string, string>;
  /** Without bot credentials: callers and replies on this machine only (bots/loopback.ts). */
  anonymous: boolean;
  logger: Logger;
  /** When a turn still running is answered `202` (`TURN_WINDOW_MS`). */
  turnWindowMs: number;
  /** Called once per turn, for the turn's log line and metrics. */
  onTurn?(turn: BotTurnReport): void;
  /** The id the request's log line carries, for the log lines of its turn. */
  requestId?(req: Request): string | undefined;
}

export interface BotRoutes {
  /** `POST /api/messages`: one activity, one turn (registered by bots/lazyDoor.ts). */
  messages(req: Request, res: Response): Promise<void>;
  /** `GET /manifest/:name`: a skill manifest. */
  manifest(req: Request, res: Response): Promise<void>;
  /** Resolves when every turn answered `202` before it finished has finished too (for a clean stop). */
  settled(): Promise<void>;
}

export function botRoutes(opts: BotRoutesOptions): BotRoutes {
  const { adapter, logger, turnWindowMs } = opts;
  /** Turns answered `202` that still run (or still wait for their conversation's previous turn). */
  const late = new Set<Promise<void>>();
  const queue = new TurnQueue();

  /** A turn answered before it finished: it runs on, and how it ends is logged. */
  const finishLate = (turn: Promise<unknown>, reqId: string | undefined, started: number) => {
    const done = turn.then(
      () => logger.info({ reqId, durationMs: Date.now() - started }, 'bot turn finished after its answer'),
      (err: unknown) => logger.error({ reqId, error: describeError(err) }, 'bot turn failed after its answer'),
    );
    late.add(done);
    void done.finally(() => late.delete(done));
  };

  const messages = async (req: Request, res: Response): Promise<void> => {
    const started = Date.now();
    const checked = await checkActivity(await readJsonBody(req, res, MAX_ACTIVITY_BYTES), opts.anonymous, req);
    if ('refusal' in checked) {
      refuse(res, checked.refusal);
      opts.onTurn?.({ outcome: 'error', durationMs: Date.now() - started, req });
      return;
    }
    const reqId = opts.requestId?.(req);
    const run = () => adapter.runTurn(req.headers.authorization ?? '', withDates(checked.activity), reqId, opts.logic);
    // One turn at a time per conversation; the window counts from the request, waiting included.
    const key = conversationKey(checked.activity);
    const turn = key === undefined ? run() : queue.run(key, run);
    try {
      const invoke = await withDeadline(turn, turnWindowMs, 'bot turn');
      if (invoke?.body === undefined) {
        res.writeHead(invoke?.status ?? 200);
        res.end();
      } else {
        sendJson(res, invoke.status, invoke.body);
      }
    } catch (err) {
      if (err instanceof DeadlineError) {
        // The caller was slow to take the replies, not the service to do its work: never an error status.
        res.writeHead(202);
        res.end();
        logger.warn({ reqId, windowMs: turnWindowMs }, 'bot turn still running at the end of the window: answered 202, left to finish');
        finishLate(turn, reqId, started);
      } else {
        const [status, error] = turnFailure(err);
        const line = { reqId, status, error: describeError(err) };
        if (status === 500) logger.error(line, 'bot turn failed');
        else logger.warn({ ...line, error: { type: line.error.type, message: line.error.message } }, 'bot turn refused');
        sendJson(res, status, { error });
      }
    }
    // Never the text, which may hold a CPF/CNPJ, an email or a code: only the activity type, and
    // only a type Bot Framework defines (a metric label per invented type would grow without bound).
    const { type } = checked.activity;
    const outcome = res.statusCode >= 400 ? 'error' : KNOWN_TYPES.has(type) ? type : 'other';
    opts.onTurn?.({ outcome, durationMs: Date.now() - started, req });
  };

  const manifest = async (req: Request, res: Response): Promise<void> => {
    const text = opts.manifests.get(String((req.params as Record<string, unknown>).name));
    if (text === undefined) return sendJson(res, 404, { error: 'no such manifest' });
    res.writeHead(200, { 'Content-Type': 'application/json; charset=utf-8' });
    res.end(text);
  };

  return {
    messages,
    manifest,
    settled: async () => {
      while (late.size > 0) await Promise.all(late);
    },
  };
}

const KNOWN_TYPES: ReadonlySet<string> = new Set(Object.values(ActivityTypes));

interface ActivityShape {
  type: string;
  serviceUrl?: unknown;
  id?: unknown;
  channelId?: unknown;
  replyToId?: unknown;
  conversation?: { id?: unknown };
  from?: { id?: unknown };
  recipient?: { id?: unknown };
}

/** Enough of an activity for the adapter to route it; anything else is a bad request, not a fault. */
function isActivity(value: unknown): value is ActivityShape {
  return typeof value === 'object' && value !== null && typeof (value as { type?: unknown }).type === 'string';
}

/** The longest of the ids an activity carries (they key the conversation's state). */
function longestId(a: ActivityShape): number {
  const ids = [a.id, a.channelId, a.replyToId, a.conversation?.id, a.from?.id, a.recipient?.id];
  return Math.max(0, ...ids.map((id) => (typeof id === 'string' ? id.length : 0)));
}

type Refusal = BodyRefusal | 'notAnActivity' | 'idTooLong' | 'badServiceUrl' | 'notLoopbackClient' | 'notLoopbackHost' | 'notLoopbackServiceUrl';

/** Why an activity was refused, for the caller (a channel or a developer), with its status. */
const REFUSALS: Record<Refusal, [number, string]> = {
  notJson: [415, 'the body must be uncompressed JSON (Content-Type: application/json)'],
  tooLarge: [413, `an activity is at most ${MAX_ACTIVITY_BYTES / 1024} KiB`],
  unreadable: [400, 'the body is not valid JSON'],
  notAnActivity: [400, 'the body is not an activity: an object with a string "type"'],
  idTooLong: [400, `an activity's ids are at most ${MAX_ID_LENGTH} characters`],
  badServiceUrl: [400, 'serviceUrl must be an http(s) URL'],
  notLoopbackClient: [403, 'without bot credentials, /api/messages answers requests from this machine (loopback) only'],
  notLoopbackHost: [403, 'without bot credentials, /api/messages answers requests addressed to localhost, 127.0.0.0/8 or [::1], from no web page of another site (Host and Origin)'],
  notLoopbackServiceUrl: [400, 'without bot credentials, serviceUrl must be http(s) to 127.0.0.0/8, [::1] or localhost (resolving to loopback only)'],
};

/**
 * The activity a body holds, or why it is refused before the adapter sees it: unreadable, not an
 * activity, a `serviceUrl` that is not a URL, and, without credentials, a caller or a `serviceUrl`
 * off this machine, or a request addressed by another name or sent by a web page of another site (a
 * browser's DNS rebinding). Decided before any outbound call; without credentials, `localhost` in the
 * `serviceUrl` is replaced by the loopback address it was checked to resolve to (bots/loopback.ts).
 */
async function checkActivity(
  read: BodyResult,
  anonymous: boolean,
  req: Request,
): Promise<{ activity: ActivityShape } | { refusal: Refusal }> {
  if (!read.ok) return { refusal: read.refusal };
  const activity = read.value;
  if (!isActivity(activity)) return { refusal: 'notAnActivity' };
  if (longestId(activity) > MAX_ID_LENGTH) return { refusal: 'idTooLong' };
  const { serviceUrl } = activity;
  if (serviceUrl !== undefined && (typeof serviceUrl !== 'string' || !URL.canParse(serviceUrl))) return { refusal: 'badServiceUrl' };
  if (!anonymous) return { activity };
  if (!isLoopbackAddress(req.socket.remoteAddress)) return { refusal: 'notLoopbackClient' };
  if (!isLoopbackHostHeader(req.headers.host) || !isLoopbackOrigin(req.headers.origin)) return { refusal: 'notLoopbackHost' };
  const replyUrl = typeof serviceUrl === 'string' ? await loopbackReplyUrl(serviceUrl) : null;
  if (replyUrl === null) return { refusal: 'notLoopbackServiceUrl' };
  return { activity: { ...activity, serviceUrl: replyUrl } };
}

/** The time fields a Bot Framework activity carries as ISO 8601 text, and where their text is kept. */
const TIME_FIELDS = [
  ['timestamp', 'rawTimestamp'],
  ['localTimestamp', 'rawLocalTimestamp'],
  ['expiration', 'rawExpiration'],
] as const;

/**
 * The activity as botbuilder's own HTTP handling hands it to a turn (what `CloudAdapter.process` does
 * before `processActivity`): each time field given as text becomes a `Date`, its text kept in `raw…`.
 */
function withDates(shape: ActivityShape): Activity {
  const activity: Record<string, unknown> = { ...shape };
  for (const [field, raw] of TIME_FIELDS) {
    const text = activity[field];
    if (typeof text !== 'string') continue;
    activity[raw] = text;
    activity[field] = new Date(text);
  }
  return activity as unknown as Activity;
}

function refuse(res: Response, why: Refusal): void {
  const [status, error] = REFUSALS[why];
  sendJson(res, status, { error });
}

/** A turn that did not run to its answer: the status and the one-line reason the caller gets. */
function turnFailure(err: unknown): [number, string] {
  if (err instanceof AuthenticationError) return [401, 'the caller is not authenticated for this bot'];
  return [500, 'the turn failed'];
}

function sendJson(res: Response, status: number, body: unknown): void {
  res.sendRaw(status, JSON.stringify(body), { 'Content-Type': 'application/json; charset=utf-8' });
}
