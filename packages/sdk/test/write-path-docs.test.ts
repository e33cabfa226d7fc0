// docs/write-path.md lists every setting of the write path with its variable and default: the tables must be
// the settings table of the code (runtime/settings.ts), entry for entry.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { type NumberSetting, RUNTIME_SETTINGS, SPOOL_SETTINGS } from '../src/runtime/settings.js';

const doc = readFileSync(new URL('../../../docs/write-path.md', import.meta.url), 'utf8');

/** Rows of the table after `<!-- settings:<name> -->`: option, variable, default (its first number). */
function table(name: string): [string, string, number][] {
  const start = doc.indexOf(`<!-- settings:${name} -->`);
  assert.ok(start >= 0, `docs/write-path.md has the ${name} settings table`);
  const end = doc.indexOf('<!--', start + 10);
  return doc
    .slice(start, end)
    .split('\n')
    .filter((l) => l.startsWith('| `'))
    .map((l) => {
      const cells = l.split('|').map((c) => c.trim());
      return [
        cells[1]!.replaceAll('`', ''),
        cells[2]!.replaceAll('`', ''),
        Number(/^[\d.]+/.exec(cells[3]!)?.[0]),
      ];
    });
}

function expected(settings: Record<string, NumberSetting>): [string, string, number][] {
  return Object.entries(settings).map(([option, s]) => [option, s.env, s.default]);
}

describe('docs/write-path.md settings', () => {
  it('lists every runtime setting with its environment variable and default', () => {
    assert.deepEqual(table('runtime'), expected(RUNTIME_SETTINGS));
  });
  it('lists every spool setting with its environment variable and default', () => {
    assert.deepEqual(table('spool'), expected(SPOOL_SETTINGS));
  });
});
