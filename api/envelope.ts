import type { Request, Response } from 'restify';
import { outcomes, type Outcome } from '../services/outcome';
import type { Envelope } from './schemas';

/** HTTP plumbing shared by every GSAN door: the envelope, and a bounded JSON body. */

export const MAX_BODY_BYTES = 8 * 1024;

/** Writes `outcome` in the GSAN envelope, `Retry-After` included when it has one. */
export function sendEnvelope(res: Response, key: string, outcome: Outcome): void {
  const envelope: Envelope = { key, body: { validado: outcome.validado, mensagemCritica: outcome.mensagemCritica } };
  const headers: Record<string, string> = { 'Content-Type': 'application/json; charset=utf-8' };
  if (outcome.retryAfterSeconds !== undefined) headers['Retry-After'] = String(Math.ceil(outcome.retryAfterSeconds));
  res.sendRaw(outcome.status, JSON.stringify(envelope), headers);
}

export type BodyResult = { ok: true; value: unknown } | { ok: false; outcome: Outcome };

const JSON_TYPE = /^application\/json\s*(;|$)/i;

/**
 * Reads the request body as JSON: 415 unless it says it is JSON, uncompressed; 413 past `maxBytes`
 * (decided from `Content-Length` before reading when it is given); 400 when it does not parse.
 * Every door that takes a body reads it here: nothing is inflated, buffered past the bound or
 * written to disk.
 */
export function readJsonBody(req: Request, res: Response, maxBytes = MAX_BODY_BYTES): Promise<BodyResult> {
  const encoding = (req.headers['content-encoding'] ?? 'identity').trim().toLowerCase();
  if (!JSON_TYPE.test(req.headers['content-type'] ?? '') || encoding !== 'identity') {
    return Promise.resolve(refuse(req, res, outcomes.notJson()));
  }
  const declared = Number(req.headers['content-length']);
  if (declared > maxBytes) return Promise.resolve(refuse(req, res, outcomes.tooLarge()));

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
      if (size > maxBytes) finish(refuse(req, res, outcomes.tooLarge()));
      else chunks.push(chunk);
    };
    req.on('data', onData);
    req.on('error', () => finish({ ok: false, outcome: outcomes.invalidRequest() }));
    req.on('end', () => {
      try {
        finish({ ok: true, value: JSON.parse(Buffer.concat(chunks).toString('utf8')) });
      } catch {
        finish({ ok: false, outcome: outcomes.invalidRequest() });
      }
    });
  });
}

/** Refuses without reading the rest of the body: it is drained and the connection closed after the answer. */
function refuse(req: Request, res: Response, outcome: Outcome): BodyResult {
  req.resume();
  res.setHeader('Connection', 'close');
  return { ok: false, outcome };
}
