import http from 'node:http';
import pino from 'pino';
import type { Envelope } from '../../api/schemas';
import { startApp, type App, type AppOverrides } from '../../index';
import { loadConfig } from '../../services/runtime/config';
import { TEST_MAIL_ENV } from './smtp';
import { dropOnClose, storeEnv } from './stores';

/**
 * The real service on an ephemeral port, configured as from the environment, on the suite's store
 * (in memory, or a MongoDB database of its own with `STORE=mongo`, dropped when the app closes).
 */

export interface TestApp extends App {
  baseUrl: string;
  /** POSTs JSON and returns status, headers and parsed body (a webhook's answer: the envelope). */
  post(path: string, body: unknown, headers?: Record<string, string>): Promise<TestResponse<Envelope>>;
}

/** An answer; its body parsed as JSON (the text when it is not), typed as the test expects it. */
export interface TestResponse<Body = unknown> {
  status: number;
  headers: Headers;
  body: Body;
}

export async function startTestApp(env: Record<string, string> = {}, overrides: AppOverrides = {}): Promise<TestApp> {
  const config = loadConfig({
    PORT: '0',
    HOST: '127.0.0.1',
    LOG_LEVEL: 'silent',
    OUTBOX_DIR: 'var/test-outbox',
    ...TEST_MAIL_ENV,
    ...(overrides.stores ? {} : storeEnv()),
    ...env,
  });
  const app = await startApp(config, { logger: pino({ level: 'silent' }), ...overrides });
  if (!overrides.stores) dropOnClose(app.stores);
  const baseUrl = `http://127.0.0.1:${app.port}`;
  return {
    ...app,
    baseUrl,
    post: (path, body, headers = {}) =>
      request<Envelope>(baseUrl + path, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: typeof body === 'string' ? body : JSON.stringify(body),
      }),
  };
}

/**
 * Resolves once the start's own check of the SMTP server is over (it runs beside the start and may
 * end after it, later still on a busy machine): `/ready` answers when that check has.
 */
export async function startMailCheckDone(app: TestApp): Promise<void> {
  await request(`${app.baseUrl}/ready`);
}

export async function request<Body = unknown>(url: string, init: RequestInit = {}): Promise<TestResponse<Body>> {
  const res = await fetch(url, init);
  const text = await res.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    /* not JSON: keep the text */
  }
  return { status: res.status, headers: res.headers, body: body as Body };
}

/**
 * POSTs a request's headers (and `start` of its body, when given) and never the rest, and resolves
 * with the answer: one that arrives proves the server decided without waiting for the body.
 */
export function answerBeforeBody<Body = Envelope>(url: string, headers: Record<string, string>, start?: string): Promise<TestResponse<Body>> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: 'POST', headers });
    req.on('response', (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => {
        req.destroy();
        resolve({ status: res.statusCode ?? 0, headers: new Headers(res.headers as Record<string, string>), body: JSON.parse(text) as Body });
      });
    });
    req.on('error', reject);
    req.flushHeaders();
    if (start !== undefined) req.write(start);
  });
}
