#!/usr/bin/env node
// mdc query over ~1 GB of collected JSONL vs DuckDB's own read_json over the same files, in the same run,
// and the peak memory of `mdc read --format parquet --out` over the same data.
// Usage (after a build): node packages/reader/bench/query-bench.mjs [SIZE] [--runs N] [--keep]
//   SIZE: bytes of JSONL to generate, e.g. 1GB (default), 200MB, 5e8.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Reader } from '@model-data-collector/reader';
import { Collector, DataCollectorRuntime, resolveDeployment } from 'model-data-collector/internal';

const root = new URL('../../../', import.meta.url).pathname;
const args = process.argv.slice(2);
const flag = (name, dflt) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : dflt;
};
const sizeArg = args.find((a, i) => !a.startsWith('--') && !args[i - 1]?.startsWith('--')) ?? '1GB';
const runs = Number(flag('--runs', '3'));
const keep = args.includes('--keep');

function parseSize(s) {
  const m = /^([\d.e+]+)\s*(k|m|g)?i?b?$/i.exec(s.trim());
  if (!m) throw new Error(`size ${s}: expected e.g. 1GB, 200MB or a byte count`);
  return Math.round(
    Number(m[1]) * { k: 1024, m: 1024 ** 2, g: 1024 ** 3 }[(m[2] ?? '').toLowerCase()] || Number(m[1]),
  );
}
const target = parseSize(sizeArg);

// Credit-default rows like the reference's batched example: 23 integer columns.
let seed = 42;
const rand = () => {
  seed = (seed * 1103515245 + 12345) & 0x7fffffff;
  return seed / 0x7fffffff;
};
const int = (lo, hi) => lo + Math.floor(rand() * (hi - lo + 1));
function creditRow() {
  return {
    LIMIT_BAL: int(10_000, 800_000),
    AGE: int(21, 75),
    BILL_AMT1: int(-50_000, 500_000),
    BILL_AMT2: int(-50_000, 500_000),
    BILL_AMT3: int(-50_000, 500_000),
    BILL_AMT4: int(-50_000, 500_000),
    BILL_AMT5: int(-50_000, 500_000),
    BILL_AMT6: int(-50_000, 500_000),
    PAY_AMT1: int(-5_000, 90_000),
    PAY_AMT2: int(-5_000, 90_000),
    PAY_AMT3: int(-5_000, 90_000),
    PAY_AMT4: int(-5_000, 90_000),
    PAY_AMT5: int(-5_000, 90_000),
    PAY_AMT6: int(-5_000, 90_000),
    SEX: int(1, 2),
    EDUCATION: int(1, 4),
    MARRIAGE: int(1, 3),
    PAY_0: int(-2, 8),
    PAY_2: int(-2, 8),
    PAY_3: int(-2, 8),
    PAY_4: int(-2, 8),
    PAY_5: int(-2, 8),
    PAY_6: int(-2, 8),
  };
}

function du(dir) {
  let bytes = 0;
  let files = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) {
      const s = du(p);
      bytes += s.bytes;
      files += s.files;
    } else {
      bytes += statSync(p).size;
      files++;
    }
  }
  return { bytes, files };
}

async function generate(ws) {
  const start = Date.UTC(2024, 2, 5, 0, 0, 0);
  let now = start;
  const runtime = new DataCollectorRuntime({
    workspace: ws,
    deployment: resolveDeployment({
      endpoint_name: 'credit-default',
      name: 'blue',
      data_collector: { collections: { model_inputs: { enabled: 'True' } }, rolling_rate: 'Hour' },
    }),
    clock: () => now,
    handleProcessExit: false,
    instanceId: 'bench-instance',
  });
  let dropped = 0;
  const inputs = new Collector({ name: 'model_inputs', runtime, onError: () => dropped++ });
  const folder = join(
    ws,
    'datastores/workspaceblobstore/modelDataCollector/credit-default/blue/model_inputs',
  );
  let events = 0;
  let rows = 0;
  const t0 = performance.now();
  for (;;) {
    for (let i = 0; i < 5000; i++) {
      const batch = Array.from({ length: 1 + int(0, 2) }, creditRow);
      inputs.collect(batch);
      events++;
      rows += batch.length;
      now += 100; // 10 events a second: a new hour folder every 36,000 events
    }
    await runtime.flush();
    if (events % 100_000 === 0 && du(folder).bytes >= target) break;
  }
  await runtime.shutdown();
  const s = du(folder);
  return { ...s, events, rows, dropped, seconds: (performance.now() - t0) / 1000, folder };
}

const rssHook = join(tmpdir(), `mdc-bench-rss-${process.pid}.mjs`);
writeFileSync(
  rssHook,
  "import { writeSync } from 'node:fs';\nprocess.on('exit', () => writeSync(2, '\\nMDC_BENCH_MAXRSS_KB ' + process.resourceUsage().maxRSS + '\\n'));\n",
);

function timed(argv) {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, ['--import', `file://${rssHook}`, ...argv], {
    cwd: root,
    encoding: 'utf8',
    maxBuffer: 1 << 26,
  });
  const ms = performance.now() - t0;
  if (r.status !== 0) throw new Error(`${argv.join(' ')} failed (${r.status}):\n${r.stderr}`);
  const rss = Number(/MDC_BENCH_MAXRSS_KB (\d+)/.exec(r.stderr)?.[1] ?? 0);
  return { ms, stdout: r.stdout.trim(), rssMB: rss / 1024 };
}

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

function best(argv) {
  const results = Array.from({ length: runs }, () => timed(argv));
  return {
    ms: median(results.map((r) => r.ms)),
    stdout: results[0].stdout,
    rssMB: Math.max(...results.map((r) => r.rssMB)),
  };
}

const ws = mkdtempSync(join(tmpdir(), 'mdc-query-bench-'));
try {
  console.log(`generating ~${(target / 1024 ** 2).toFixed(0)} MiB of model_inputs with the SDK in ${ws} …`);
  const g = await generate(ws);
  console.log(
    `  ${g.events.toLocaleString('en-US')} events, ${g.rows.toLocaleString('en-US')} rows, ${(g.bytes / 1024 ** 2).toFixed(0)} MiB in ${g.files} files, ${g.seconds.toFixed(1)} s (${g.dropped} dropped)`,
  );
  const glob = join(g.folder, '**', '*.jsonl');
  // DuckDB on its own: a small script opening DuckDB and running read_json over the same files, so both
  // sides pay a process start.
  const baselineScript = join(tmpdir(), `mdc-bench-duckdb-${process.pid}.mjs`);
  mkdirSync(tmpdir(), { recursive: true });
  writeFileSync(
    baselineScript,
    `import { DuckDBInstance } from ${JSON.stringify(join(root, 'node_modules/@duckdb/node-api/lib/index.js'))};\n` +
      'const db = await DuckDBInstance.create(":memory:");\nconst c = await db.connect();\n' +
      'const r = await c.runAndReadAll(process.argv[2]);\nconsole.log(JSON.stringify(r.getRowsJson()));\n',
  );
  const src = `read_json('${glob}', format = 'newline_delimited')`;
  const mdc = (sql) => [
    join(root, 'packages/cli/dist/bin.js'),
    '--workspace',
    ws,
    'query',
    sql,
    '--format',
    'csv',
  ];
  const cases = [
    {
      name: 'count(*) of rows',
      mdc: 'SELECT count(*) AS n FROM model_inputs',
      duckdb: `SELECT count(*) FROM (SELECT unnest(data) FROM ${src})`,
    },
    {
      name: 'group by AGE',
      mdc: 'SELECT AGE, count(*) AS n FROM model_inputs GROUP BY 1 ORDER BY 1',
      duckdb: `SELECT r.AGE, count(*) FROM (SELECT unnest(data) AS r FROM ${src}) GROUP BY 1 ORDER BY 1`,
    },
  ];
  // The SQL mdc itself gives DuckDB (explicit columns), run by plain DuckDB: what mdc adds on top of it.
  const reader = await Reader.open({ workspace: ws });
  const viewSql = (await reader.plan('model_inputs')).sql;
  await reader.close();
  cases[0].plain = `SELECT count(*) FROM (${viewSql})`;
  cases[1].plain = `SELECT AGE, count(*) FROM (${viewSql}) GROUP BY 1 ORDER BY 1`;
  const results = [];
  for (const c of cases) {
    const base = best([baselineScript, c.duckdb]);
    const plain = best([baselineScript, c.plain]);
    const ours = best(mdc(c.mdc));
    const baseRows = JSON.parse(base.stdout).length;
    const ourRows = ours.stdout.split('\n').length - 1;
    if (baseRows !== ourRows)
      throw new Error(`${c.name}: DuckDB gave ${baseRows} rows, mdc query ${ourRows}`);
    const ratio = ours.ms / base.ms;
    results.push({
      case: c.name,
      duckdbMs: Math.round(base.ms),
      duckdbSameSqlMs: Math.round(plain.ms),
      mdcMs: Math.round(ours.ms),
      ratio: Number(ratio.toFixed(3)),
      ratioSameSql: Number((ours.ms / plain.ms).toFixed(3)),
    });
    console.log(
      `  ${c.name.padEnd(18)} duckdb read_json ${base.ms.toFixed(0).padStart(6)} ms   mdc query ${ours.ms.toFixed(0).padStart(6)} ms   ratio ${ratio.toFixed(2)}× (target ≤ 1.25×)`,
    );
    console.log(
      `  ${''.padEnd(18)} duckdb given mdc's SQL ${plain.ms.toFixed(0).padStart(6)} ms: mdc's own overhead ${(ours.ms / plain.ms).toFixed(2)}×`,
    );
  }
  const out = join(ws, 'inputs.parquet');
  const read = timed([
    join(root, 'packages/cli/dist/bin.js'),
    '--workspace',
    ws,
    'read',
    'model_inputs',
    '--format',
    'parquet',
    '--out',
    out,
  ]);
  const pq = statSync(out).size;
  console.log(
    `  mdc read --format parquet: ${read.ms.toFixed(0)} ms, peak RSS ${read.rssMB.toFixed(0)} MiB for ${(g.bytes / 1024 ** 2).toFixed(0)} MiB of JSONL (Parquet ${(pq / 1024 ** 2).toFixed(0)} MiB)`,
  );
  results.push({
    case: 'read parquet',
    ms: Math.round(read.ms),
    peakRssMiB: Math.round(read.rssMB),
    jsonlMiB: Math.round(g.bytes / 1024 ** 2),
  });
  mkdirSync(join(root, 'bench-results'), { recursive: true });
  writeFileSync(
    join(root, 'bench-results', 'query.json'),
    `${JSON.stringify({ date: new Date().toISOString(), generated: g, results }, null, 2)}\n`,
  );
} finally {
  rmSync(rssHook, { force: true });
  if (!keep) rmSync(ws, { recursive: true, force: true });
  else console.log(`kept ${ws}`);
}
