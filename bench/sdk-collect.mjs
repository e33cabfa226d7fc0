// Benchmark of the collection hot path: Collector.collect() through to the file, against
// (a) raw JSON.stringify + a buffered file append and (b) pino writing the same objects to a file.
// Ratios are what matter: all three run in the same process, in alternating rounds, and the medians are reported.
// Pinned: `taskset -c 1 node bench/sdk-collect.mjs` (BENCH_SCALE shortens it, BENCH_ROUNDS sets the rounds).
import { randomUUID } from 'node:crypto';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, statSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import pino from 'pino';
import { Collector, DataCollectorRuntime, resolveDeployment } from '../packages/sdk/dist/internal.js';

import { CHUNK, ROW, tick } from './credit-row.mjs';

const SOURCE =
  '/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/local/providers/Microsoft.MachineLearningServices/workspaces/bench/onlineEndpoints/ep/deployments/dp';

const rowsOf = (n) => Array.from({ length: n }, (_, i) => ({ ...ROW, AGE: ROW.AGE + i }));

async function benchRaw(dir, rows, calls) {
  const fd = openSync(join(dir, 'raw.jsonl'), 'a');
  let buf = [];
  let size = 0;
  const t0 = performance.now();
  for (let i = 0; i < calls; i += CHUNK) {
    for (let j = 0; j < CHUNK && i + j < calls; j++) {
      const line =
        JSON.stringify({
          specversion: '1.0',
          id: randomUUID(),
          source: SOURCE,
          type: 'azureml.inference.model_inputs',
          datacontenttype: 'application/json',
          time: new Date().toISOString().slice(0, 19) + 'Z',
          data: rows,
          correlationid: 'c',
          xrequestid: 'c',
          modelversion: 'default',
        }) + '\n';
      buf.push(line);
      size += line.length;
      if (size >= 1 << 20) {
        writeSync(fd, buf.join(''));
        buf = [];
        size = 0;
      }
    }
    await tick();
  }
  writeSync(fd, buf.join(''));
  const total = performance.now() - t0;
  closeSync(fd);
  return { total, bytes: statSync(join(dir, 'raw.jsonl')).size };
}

async function benchPino(dir, rows, calls) {
  const file = join(dir, 'pino.jsonl');
  const dest = pino.destination({ dest: file, minLength: 8192, sync: false });
  await new Promise((r) => dest.once('ready', r));
  const logger = pino({ base: null, timestamp: pino.stdTimeFunctions.isoTime }, dest);
  const t0 = performance.now();
  for (let i = 0; i < calls; i += CHUNK) {
    for (let j = 0; j < CHUNK && i + j < calls; j++) {
      logger.info({
        type: 'azureml.inference.model_inputs',
        id: randomUUID(),
        correlationid: 'c',
        data: rows,
      });
    }
    await tick();
  }
  await new Promise((r) => {
    dest.flush(() => r());
  });
  const total = performance.now() - t0;
  dest.end();
  return { total, bytes: statSync(file).size };
}

/** CPU milliseconds of this process's main thread (Linux /proc); elsewhere the whole process's. */
function mainThreadCpuMs() {
  try {
    const stat = readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) * 10; // clock ticks of 10 ms
  } catch {
    const u = process.cpuUsage();
    return (u.user + u.system) / 1000;
  }
}

/** The floor of any JSON logger of these rows: JSON.stringify of the rows alone, kept nowhere (main-thread CPU). */
async function benchStringify(_dir, rows, calls) {
  let bytes = 0;
  const loop0 = mainThreadCpuMs();
  const t0 = performance.now();
  for (let i = 0; i < calls; i += CHUNK) {
    for (let j = 0; j < CHUNK && i + j < calls; j++) bytes += JSON.stringify(rows).length;
    await tick();
  }
  return { total: performance.now() - t0, loopMs: mainThreadCpuMs() - loop0, bytes };
}

async function benchMdc(dir, rows, calls) {
  const runtime = new DataCollectorRuntime({
    workspace: dir,
    deployment: resolveDeployment({ endpoint_name: 'ep', name: 'dp' }),
    handleProcessExit: false,
    maxQueueEvents: 1_000_000,
    maxQueueBytes: 1 << 30,
  });
  const c = new Collector({ name: 'model_inputs', runtime });
  // The main thread's CPU time, not only the collect() calls: the writes' completions run on the loop too
  // (libuv's threads do the writing itself).
  const loop0 = mainThreadCpuMs();
  const t0 = performance.now();
  for (let i = 0; i < calls; i += CHUNK) {
    for (let j = 0; j < CHUNK && i + j < calls; j++) c.collect(rows);
    await tick();
  }
  await runtime.flush();
  const total = performance.now() - t0;
  const loopMs = mainThreadCpuMs() - loop0;
  const st = runtime.stats().collections.model_inputs;
  await runtime.shutdown();
  if (st.written !== calls || st.dropped !== 0)
    throw new Error(`mdc wrote ${st.written}/${calls}, dropped ${st.dropped}`);
  return { total, loopMs, bytes: st.bytesWritten };
}

/** The middle value (the mean of the two middle ones for an even count). */
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

/**
 * Rounds of raw, pino and mdc in alternating order (the machine's speed drifts between rounds); each figure is the
 * median over the rounds, and each ratio the median of the rounds' own ratios.
 */
export async function runCollectBench({ rounds = 5, scale = 1 } = {}) {
  const results = [];
  for (const [rowCount, calls] of [
    [1, Math.round(100_000 * scale)],
    [10, Math.round(30_000 * scale)],
  ]) {
    const rows = rowsOf(rowCount);
    const runs = { raw: [], pino: [], mdc: [], stringify: [] };
    const vsRaw = [];
    const vsPino = [];
    for (let r = 0; r < rounds; r++) {
      const order = [
        ['raw', benchRaw],
        ['pino', benchPino],
        ['mdc', benchMdc],
        ['stringify', benchStringify],
      ];
      if (r % 2) order.reverse();
      const round = {};
      for (const [name, fn] of order) {
        const dir = mkdtempSync(join(tmpdir(), `mdc-bench-${name}-`));
        global.gc?.();
        round[name] = await fn(dir, rows, calls);
        runs[name].push(round[name]);
        rmSync(dir, { recursive: true, force: true });
      }
      vsRaw.push(round.mdc.total / round.raw.total);
      vsPino.push(round.pino.total / round.mdc.total);
    }
    const usPer = (name) => median(runs[name].map((x) => (x.total * 1000) / calls));
    results.push({
      rows: rowCount,
      calls,
      rounds,
      rawUsPerEvent: usPer('raw'),
      pinoUsPerEvent: usPer('pino'),
      mdcUsPerEvent: usPer('mdc'),
      mdcEventsPerSec: calls / (median(runs.mdc.map((x) => x.total)) / 1000),
      mdcEventLoopUsPerCollect: median(runs.mdc.map((x) => (x.loopMs * 1000) / calls)),
      stringifyUsPerCall: median(runs.stringify.map((x) => (x.loopMs * 1000) / calls)),
      costVsRaw: median(vsRaw),
      throughputVsPino: median(vsPino),
      costVsRawRounds: vsRaw,
      throughputVsPinoRounds: vsPino,
    });
  }
  return results;
}

export function printCollectBench(results) {
  console.log(
    `\n## collect() to file (23-column credit-default row), medians of ${results[0]?.rounds} alternating rounds`,
  );
  console.log(
    'rows/call | mdc µs/event | raw µs/event | pino µs/event | mdc events/s | event-loop µs/collect (target ≤3 for 1 row) | floor: JSON.stringify(rows) alone, µs | mdc/raw cost (target ≤1.3) | mdc/pino throughput (target ≥2)',
  );
  const range = (xs) => `${Math.min(...xs).toFixed(2)}..${Math.max(...xs).toFixed(2)}`;
  for (const r of results) {
    console.log(
      `${r.rows} | ${r.mdcUsPerEvent.toFixed(2)} | ${r.rawUsPerEvent.toFixed(2)} | ${r.pinoUsPerEvent.toFixed(2)} | ${Math.round(r.mdcEventsPerSec)} | ${r.mdcEventLoopUsPerCollect.toFixed(2)} | ${r.stringifyUsPerCall.toFixed(2)} | ${r.costVsRaw.toFixed(2)}× (${range(r.costVsRawRounds)}) | ${r.throughputVsPino.toFixed(2)}× (${range(r.throughputVsPinoRounds)})`,
    );
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const scale = Number(process.env.BENCH_SCALE ?? 1);
  printCollectBench(await runCollectBench({ scale, rounds: Number(process.env.BENCH_ROUNDS ?? 5) }));
  // data_collector.redact's cost on the same path (bench/redact-collect.mjs).
  const { printRedactBench, runRedactBench } = await import('./redact-collect.mjs');
  printRedactBench(await runRedactBench({ scale }));
}
