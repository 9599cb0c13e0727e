import http from 'node:http';
import https from 'node:https';
import type { LookupFunction } from 'node:net';

/**
 * One POST of a notification over `node:http(s)`, which lets every new connection go through a
 * `lookup` of ours (services/notify/destination.ts checks the address actually connected to). A
 * redirect is never followed and the answer's body never read: only its status counts.
 */

export interface PostAnswer {
  status: number;
  retryAfter: string | null;
}

export interface PostOptions {
  headers: Record<string, string>;
  /** Cuts the request, connecting included, when it aborts. */
  signal: AbortSignal;
  lookup: LookupFunction;
}

export function post(url: string, body: string, opts: PostOptions): Promise<PostAnswer> {
  const target = new URL(url);
  const transport = target.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    const req = transport.request(
      target,
      {
        method: 'POST',
        headers: { ...opts.headers, 'content-length': String(Buffer.byteLength(body)) },
        signal: opts.signal,
        lookup: opts.lookup,
      },
      (res) => {
        const retryAfter = res.headers['retry-after'];
        resolve({ status: res.statusCode ?? 0, retryAfter: typeof retryAfter === 'string' ? retryAfter : null });
        res.destroy();
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}
