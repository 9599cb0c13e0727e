import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { LogLine } from './logs';
import { TEST_MAIL_ENV } from './smtp';

/**
 * The real service as a child process, `node --import tsx index.ts` of the repository (the same
 * code `node dist/index.js` runs once compiled), with its JSON log read line by line.
 */

const ROOT = resolve(__dirname, '../..');

/** Where it runs unless told: a folder of its own with no `.env`, so a developer's `.env` in the clone never reaches it. */
const SERVICE_CWD = join(ROOT, 'var', 'test-service');

/** Spawns the service in `cwd` (where it reads `.env` from) with only `env`, `PATH` and the test defaults. */
function spawnService(env: Record<string, string>, cwd = SERVICE_CWD) {
  mkdirSync(cwd, { recursive: true });
  return spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'index.ts')], {
    cwd,
    env: { PATH: process.env.PATH, PORT: '0', HOST: '127.0.0.1', OUTBOX_DIR: 'var/test-outbox', ...TEST_MAIL_ENV, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

export interface ServiceProcess {
  child: ChildProcess;
  port: number;
  baseUrl: string;
  /** Every line of standard output, parsed: it must all be JSON. */
  lines(): LogLine[];
  /** Resolves with the first line that satisfies `match`, waiting for it. */
  line(match: (line: LogLine) => boolean): Promise<LogLine>;
  stderr(): string;
  /** The exit code. */
  exit: Promise<number | null>;
  /** SIGTERM, and the exit code once it stopped. */
  stop(): Promise<number | null>;
}

export async function startService(env: Record<string, string>, cwd?: string): Promise<ServiceProcess> {
  const child = spawnService({ LOG_LEVEL: 'info', ...env }, cwd);
  let stdout = '';
  let stderr = '';
  const listeners = new Set<() => void>();
  child.stdout.on('data', (chunk) => {
    stdout += chunk;
    listeners.forEach((l) => l());
  });
  child.stderr.on('data', (chunk) => (stderr += chunk));
  const exit = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));

  // Complete lines only: a chunk may end in the middle of one.
  const lines = () =>
    stdout
      .slice(0, stdout.lastIndexOf('\n') + 1)
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => JSON.parse(l) as LogLine);
  const line = (match: (l: LogLine) => boolean) =>
    new Promise<LogLine>((found, fail) => {
      const check = () => {
        const hit = lines().find(match);
        if (hit) {
          listeners.delete(check);
          found(hit);
        }
      };
      listeners.add(check);
      void exit.then(() => fail(new Error(`the service exited; stderr: ${stderr}`)));
      check();
    });

  const listening = await line((l) => l.msg === 'listening');
  const port = listening.port as number;
  return {
    child,
    port,
    baseUrl: `http://127.0.0.1:${port}`,
    lines,
    line,
    stderr: () => stderr,
    exit,
    stop: () => {
      child.kill('SIGTERM');
      return exit;
    },
  };
}

/** Runs the service until it exits by itself (a start that fails): its exit code and output. */
export function runToExit(env: Record<string, string>, cwd?: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawnService(env, cwd);
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk) => (stdout += chunk));
  child.stderr.on('data', (chunk) => (stderr += chunk));
  return new Promise((done) => child.once('close', (code) => done({ code, stdout, stderr })));
}
