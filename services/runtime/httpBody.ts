import type { IncomingMessage, ServerResponse } from 'node:http';

/**
 * Reading a JSON request body within bounds, for every HTTP door (the GSAN webhooks, the bot's
 * `/api/messages`): each answers a refusal in its own terms.
 */

/** Why a body was not read: not JSON (or compressed), larger than allowed, or not parseable. */
export type BodyRefusal = 'notJson' | 'tooLarge' | 'unreadable';

export type BodyResult = { ok: true; value: unknown } | { ok: false; refusal: BodyRefusal };

const JSON_TYPE = /^application\/json\s*(;|$)/i;

/**
 * Reads the request body as JSON: `notJson` unless it says it is JSON, uncompressed; `tooLarge`
 * past `maxBytes` (decided from `Content-Length` before reading when it is given); `unreadable` when
 * it does not parse. Nothing is inflated, buffered past the bound or written to disk.
 */
export function readJsonBody(req: IncomingMessage, res: ServerResponse, maxBytes: number): Promise<BodyResult> {
  const encoding = (req.headers['content-encoding'] ?? 'identity').trim().toLowerCase();
  if (!JSON_TYPE.test(req.headers['content-type'] ?? '') || encoding !== 'identity') {
    return Promise.resolve(refuse(req, res, 'notJson'));
  }
  const declared = Number(req.headers['content-length']);
  if (declared > maxBytes) return Promise.resolve(refuse(req, res, 'tooLarge'));

  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    const finish = (result: BodyResult) => {
      if (done) return;
      done = true;
      req.removeListener('data', onData);
      resolve(result);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBytes) finish(refuse(req, res, 'tooLarge'));
      else chunks.push(chunk);
    };
    req.on('data', onData);
    req.on('error', () => finish({ ok: false, refusal: 'unreadable' }));
    req.on('end', () => {
      try {
        // A UTF-8 byte order mark, as some Windows tools write, is not part of the JSON.
        finish({ ok: true, value: JSON.parse(Buffer.concat(chunks).toString('utf8').replace(/^\uFEFF/, '')) });
      } catch {
        finish({ ok: false, refusal: 'unreadable' });
      }
    });
  });
}

/** Refuses without reading the rest of the body: it is drained and the connection closed after the answer. */
function refuse(req: IncomingMessage, res: ServerResponse, refusal: BodyRefusal): BodyResult {
  req.resume();
  res.setHeader('Connection', 'close');
  return { ok: false, refusal };
}
