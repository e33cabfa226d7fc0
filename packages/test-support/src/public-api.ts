// Pins a package's main export: the names outsiders use are listed on purpose, every name the README and docs/
// import from the package is among them, and the `./internal` entry the other mdc packages import is a superset
// holding the very same objects.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './temp.js';

/** The value names that the README, docs/*.md and the packages' READMEs import from `pkg`. */
export function documentedImports(pkg: string): string[] {
  const docs = [
    'README.md',
    ...readdirSync(join(ROOT, 'docs'))
      .filter((f) => f.endsWith('.md'))
      .map((f) => `docs/${f}`),
    ...readdirSync(join(ROOT, 'packages')).map((p) => `packages/${p}/README.md`),
  ];
  const escaped = pkg.replace(/[/.-]/g, '\\$&');
  const re = new RegExp(`import\\s*\\{([^}]*)\\}\\s*from\\s*'${escaped}'`, 'g');
  const names = new Set<string>();
  for (const doc of docs) {
    let text: string;
    try {
      text = readFileSync(join(ROOT, doc), 'utf8');
    } catch {
      continue;
    }
    for (const m of text.matchAll(re))
      for (const part of m[1]!.split(',')) {
        const name = part.trim().split(/\s+as\s+/)[0]!;
        if (name && !name.startsWith('type ')) names.add(name);
      }
  }
  return [...names].sort();
}

export function assertPublicApi(
  pkg: string,
  main: Record<string, unknown>,
  internal: Record<string, unknown>,
  expected: readonly string[],
): void {
  assert.deepEqual(Object.keys(main).sort(), [...expected].sort());
  for (const name of documentedImports(pkg)) assert.ok(name in main, `the docs import ${name} from ${pkg}`);
  for (const k of Object.keys(main)) assert.equal(internal[k], main[k], `internal.${k}`);
  assert.ok(
    Object.keys(internal).length > Object.keys(main).length,
    'the internal entry adds what the siblings need',
  );
}
