// Benchmark of the collection hot path: Collector.collect() through to the file, against
// (a) raw JSON.stringify + a buffered file append and (b) pino writing the same objects to a file.
// Ratios are what matter: all three run in the same process, interleaved, best of several rounds.
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

export async function runCollectBench({ rounds = 3, scale = 1 } = {}) {
  const results = [];
  for (const [rowCount, calls] of [
    [1, Math.round(100_000 * scale)],
    [10, Math.round(30_000 * scale)],
  ]) {
    const rows = rowsOf(rowCount);
    const best = { raw: null, pino: null, mdc: null };
    for (let r = 0; r < rounds; r++) {
      for (const [name, fn] of [
        ['raw', benchRaw],
        ['pino', benchPino],
        ['mdc', benchMdc],
      ]) {
        const dir = mkdtempSync(join(tmpdir(), `mdc-bench-${name}-`));
        global.gc?.();
        const res = await fn(dir, rows, calls);
        rmSync(dir, { recursive: true, force: true });
        if (!best[name] || res.total < best[name].total) best[name] = res;
      }
    }
    const usPer = (x) => (x.total * 1000) / calls;
    results.push({
      rows: rowCount,
      calls,
      rawUsPerEvent: usPer(best.raw),
      pinoUsPerEvent: usPer(best.pino),
      mdcUsPerEvent: usPer(best.mdc),
      mdcEventsPerSec: calls / (best.mdc.total / 1000),
      mdcEventLoopUsPerCollect: (best.mdc.loopMs * 1000) / calls,
      costVsRaw: best.mdc.total / best.raw.total,
      throughputVsPino: best.pino.total / best.mdc.total,
    });
  }
  return results;
}

export function printCollectBench(results) {
  console.log('\n## collect() to file (23-column credit-default row), best of rounds');
  console.log(
    'rows/call | mdc µs/event | raw µs/event | pino µs/event | mdc events/s | event-loop µs/collect | mdc/raw cost (target ≤1.5) | mdc/pino throughput (target ≥2)',
  );
  for (const r of results) {
    console.log(
      `${r.rows} | ${r.mdcUsPerEvent.toFixed(2)} | ${r.rawUsPerEvent.toFixed(2)} | ${r.pinoUsPerEvent.toFixed(2)} | ${Math.round(r.mdcEventsPerSec)} | ${r.mdcEventLoopUsPerCollect.toFixed(2)} | ${r.costVsRaw.toFixed(2)}× | ${r.throughputVsPino.toFixed(2)}×`,
    );
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const scale = Number(process.env.BENCH_SCALE ?? 1);
  printCollectBench(await runCollectBench({ scale }));
  // data_collector.redact's cost on the same path (bench/redact-collect.mjs).
  const { printRedactBench, runRedactBench } = await import('./redact-collect.mjs');
  printRedactBench(await runRedactBench({ scale }));
}
