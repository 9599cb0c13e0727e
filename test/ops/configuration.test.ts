import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CONFIG_VARIABLES } from '../../services/runtime/config';

/**
 * The configuration reference is the README's table, and `.env.example` lists the same variables:
 * both held to the schema that reads them, so a setting can be neither missing nor stale.
 */

const read = (file: string) => readFileSync(join(__dirname, '../..', file), 'utf8');

/** The variables the README's configuration table documents (a row may name two: `A`, `B` or `A` or `B`). */
function documented(): string[] {
  const readme = read('README.md');
  const table = /^## Configuration\n[\s\S]*?\n((?:\|.*\n)+)/m.exec(readme)?.[1];
  assert.ok(table, 'the README has a configuration table');
  return table
    .split('\n')
    .slice(2)
    .flatMap((row) => [...(row.split('|')[1] ?? '').matchAll(/`([A-Za-z_]+)`/g)].map((m) => m[1]));
}

describe('the configuration reference', () => {
  it('documents in the README every variable the service reads, and none it does not', () => {
    assert.deepEqual([...documented()].sort(), [...CONFIG_VARIABLES].sort());
  });

  it('lists the same variables in .env.example', () => {
    const listed = [...read('.env.example').matchAll(/^#?\s?([A-Za-z_]+)=/gm)].map((m) => m[1]);
    assert.deepEqual([...new Set(listed)].sort(), [...CONFIG_VARIABLES].sort());
  });
});
