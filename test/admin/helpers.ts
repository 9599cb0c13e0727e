import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AdminIo, Output } from '../../admin/common';
import { DEMO_COMPANY } from '../../services/runtime/demo';

/** An `Output` that keeps what was written. */
export function capture(): Output & { text: string } {
  return {
    text: '',
    write(chunk: string) {
      this.text += chunk;
    },
  };
}

/** Both outputs of a command, kept. */
export function captureIo(json = false): AdminIo & { out: { text: string }; err: { text: string } } {
  return { out: capture(), err: capture(), json };
}

/** The key a company command printed, alone on its line, on standard output. */
export function keyIn(text: string): string {
  const m = /^([A-Za-z0-9_-]{43})$/m.exec(text);
  if (!m) throw new Error(`no key in:\n${text}`);
  return m[1];
}

export const CAER = DEMO_COMPANY;

/** A temporary directory per test, removed afterwards. */
export function tempDir(): { file(name: string, content: string | Buffer): Promise<string>; path(name: string): string } {
  let dir = '';
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'gsan-admin-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });
  return {
    path: (name) => join(dir, name),
    async file(name, content) {
      const path = join(dir, name);
      await writeFile(path, content);
      return path;
    },
  };
}
