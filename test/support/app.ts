import pino from 'pino';
import type { Envelope } from '../../api/schemas';
import { startApp, type App, type AppOverrides } from '../../index';
import { loadConfig } from '../../services/config';

/** The real service on an ephemeral port, configured as from the environment. */

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
  const config = loadConfig({ PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'silent', OUTBOX_DIR: 'var/test-outbox', ...env });
  const app = await startApp(config, { logger: pino({ level: 'silent' }), ...overrides });
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
