#!/usr/bin/env node
// `npm run bench`: every benchmark of the project, each printing ratios against a baseline measured in the
// same run. Builds first. Pass names to run a subset: `npm run bench -- collect serve query`; flags after them go
// to the benches (`npm run bench -- soak --minutes 3`).
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const root = new URL('..', import.meta.url).pathname;
const benches = [
  {
    name: 'collect',
    script: 'bench/sdk-collect.mjs',
    what: 'collect() to file vs raw JSON.stringify and pino',
  },
  {
    name: 'serve',
    script: 'packages/server/bench/serve-bench.mjs',
    what: '/score with collection on vs off; proxy overhead',
  },
  {
    name: 'python',
    script: 'packages/server/bench/python-bench.mjs',
    what: 'a Python score.py under mdc serve vs a stdlib Python HTTP server; sidecar ingest',
  },
  {
    name: 'proxy',
    script: 'packages/server/bench/proxy-model-io-bench.mjs',
    what: 'mdc proxy turning 10-row Open Inference Protocol requests into model_inputs/model_outputs rows vs request/response only (target >= 0.9)',
  },
  {
    name: 'nginx',
    script: 'packages/server/bench/proxy-nginx-bench.mjs',
    what: 'mdc proxy collecting request/response vs nginx (keepalive upstream) in front of the same model server, next to a bare Node proxy and mdc proxy collecting nothing (target >= 0.8x nginx req/s, p99 <= 1.5x)',
  },
  {
    name: 'stream',
    script: 'packages/server/bench/stream-bench.mjs',
    what: 'OpenAI-compatible streams through mdc proxy vs direct: first byte p50 (target within 2 ms) and tokens/s at 64 concurrent streams (target >= 0.95)',
  },
  {
    name: 'drift',
    script: 'packages/monitor/bench/drift-bench.mjs',
    what: 'mdc monitor drift: 1M production rows × 25 columns against a 100k-row reference (target < 10 s)',
  },
  {
    name: 'query',
    script: 'packages/reader/bench/query-bench.mjs',
    what: 'mdc query vs DuckDB read_json; read --format parquet memory',
  },
  {
    name: 'faults',
    script: 'packages/server/bench/faults-bench.mjs',
    what: 'the fault suite at full size: 10,000 malformed inputs per fuzz target, 20 SIGKILLs under load',
  },
  {
    name: 'soak',
    script: 'packages/server/bench/soak-bench.mjs',
    what: 'minutes of mixed load through mdc serve with Azurite going down twice: RSS and fds flat, 0 lost, 0 duplicated (--minutes N, default 10)',
  },
  {
    name: 'storage',
    script: 'bench/storage-bench.mjs',
    what: 'events/s into Azurite, s3rver and NATS JetStream; RSS during a 60 s storage outage; the cost of a second destination (STORAGE_BENCH_ONLY=azurite|s3rver|nats)',
  },
];
// Names pick benches; flags (`--minutes 3`) go to each bench that was picked.
const wanted = [];
const flags = [];
for (let i = 2; i < process.argv.length; i++) {
  const a = process.argv[i];
  if (!a.startsWith('--')) wanted.push(a);
  else {
    flags.push(a);
    const v = process.argv[i + 1];
    if (v !== undefined && !v.startsWith('--')) flags.push(process.argv[++i]);
  }
}
const build = spawnSync('npm', ['run', 'build', '--silent'], { cwd: root, stdio: 'inherit' });
if (build.status !== 0) process.exit(build.status ?? 1);
let failed = 0;
for (const b of benches) {
  if (wanted.length && !wanted.includes(b.name)) continue;
  if (!existsSync(root + b.script)) {
    console.log(`\n# ${b.name}: ${b.script} not present, skipped`);
    continue;
  }
  console.log(`\n# ${b.name}: ${b.what}`);
  const res = spawnSync(process.execPath, ['--expose-gc', b.script, ...flags], {
    cwd: root,
    stdio: 'inherit',
  });
  if (res.status !== 0) failed++;
}
process.exit(failed ? 1 : 0);
