#!/usr/bin/env node
// Runs every test file under packages/*/test with node's test runner (TypeScript through tsx).
// Node 20's --test takes no globs, so the files are listed here. Pass paths or substrings to run a subset.
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const files = [];
const walk = (dir) => {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p);
    else if (name.endsWith('.test.ts')) files.push(p);
  }
};
for (const pkg of readdirSync(join(root, 'packages'))) {
  const dir = join(root, 'packages', pkg, 'test');
  try {
    statSync(dir);
  } catch {
    continue;
  }
  walk(dir);
}
const filters = process.argv.slice(2);
const selected = filters.length ? files.filter((f) => filters.some((s) => f.includes(s))) : files;
if (selected.length === 0) {
  console.error('no test files matched', filters);
  process.exit(1);
}
// One file at a time by default: the fault and end-to-end tests start servers and child processes, and on a
// 2-core machine running them side by side turns deadlines into flakes. MDC_TEST_CONCURRENCY=2 to go faster.
const concurrency = process.env.MDC_TEST_CONCURRENCY ?? '1';
const res = spawnSync(
  process.execPath,
  [
    '--import',
    'tsx',
    '--test',
    `--test-concurrency=${concurrency}`,
    '--test-reporter=spec',
    ...selected.sort(),
  ],
  // `npm test` builds every package (typecheck) before it runs this: test helpers need not build again.
  { stdio: 'inherit', cwd: root, env: { MDC_TEST_SKIP_BUILD: '1', ...process.env } },
);
process.exit(res.status ?? 1);
