import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';

/**
 * Files that ship beside the code (the manifest templates) are found from the package's top
 * folder, the one holding `package.json`: the same place whether the code runs as TypeScript
 * (`bots/manifest.ts`) or compiled (`dist/bots/manifest.js`).
 */
function packageRoot(from: string): string {
  for (let dir = from; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    if (dirname(dir) === dir) throw new Error(`no package.json above ${from}`);
  }
}

export const PACKAGE_ROOT = packageRoot(__dirname);

/** A path inside the package, e.g. `packagePath('manifest')`. */
export function packagePath(...parts: string[]): string {
  return join(PACKAGE_ROOT, ...parts);
}

/** Whether this code runs compiled (`dist/**.js`) rather than as TypeScript through tsx. */
export const COMPILED = __filename.endsWith('.js');
