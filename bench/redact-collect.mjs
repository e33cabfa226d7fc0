// The cost of data_collector.redact on collect(): the same 23-column rows plus EMAIL, PHONE and a free-text NOTE,
// collected to a local file with the rules on and off. Rounds alternate (off, on, off, on …) so the load
// of other processes hits both alike; the ratio of each pair is taken, and the median of the ratios reported.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Collector, DataCollectorRuntime, resolveDeployment } from '../packages/sdk/dist/internal.js';
import { Redactor, resolveRedactRules } from '../packages/sdk/dist/redact/index.js';
import { CHUNK, ROW, tick } from './credit-row.mjs';

const RULES = [
  { columns: ['EMAIL', 'PHONE'], action: 'hash' },
  {
    patterns: ['email', 'credit_card', 'iban', 'phone', 'ipv4', 'ACC-[0-9]{8}'],
    action: 'mask',
    collections: ['request', 'response', 'model_inputs'],
  },
];

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

function rowsOf(n) {
  return Array.from({ length: n }, (_, i) => ({
    ...ROW,
    AGE: ROW.AGE + i,
    EMAIL: `user${i}@example.com`,
    PHONE: '+1 415 555 2671',
    NOTE: `customer asked to move the payment to the card ending 1111, reference ${i}`,
  }));
}

async function collectOnce(rows, calls, redact) {
  const dir = mkdtempSync(join(tmpdir(), 'mdc-bench-redact-'));
  const runtime = new DataCollectorRuntime({
    workspace: dir,
    deployment: resolveDeployment({
      endpoint_name: 'ep',
      name: 'dp',
      data_collector: {
        collections: { model_inputs: { enabled: true } },
        ...(redact ? { redact: RULES } : {}),
      },
    }),
    handleProcessExit: false,
    maxQueueEvents: 1_000_000,
    maxQueueBytes: 1 << 30,
  });
  const c = new Collector({ name: 'model_inputs', runtime });
  global.gc?.();
  const t0 = performance.now();
  for (let i = 0; i < calls; i += CHUNK) {
    for (let j = 0; j < CHUNK && i + j < calls; j++) c.collect(rows);
    await tick();
  }
  await runtime.flush();
  const ms = performance.now() - t0;
  const st = runtime.stats().collections.model_inputs;
  await runtime.shutdown();
  rmSync(dir, { recursive: true, force: true });
  if (st.written !== calls) throw new Error(`wrote ${st.written}/${calls}`);
  return ms;
}

/** µs per redactJson call on a payload, with and without something to redact. */
function payloadCost(text, n = 20_000) {
  const r = new Redactor(resolveRedactRules(RULES), () => Buffer.alloc(32, 1));
  for (let i = 0; i < 1000; i++) r.redactJson(text);
  const t0 = performance.now();
  for (let i = 0; i < n; i++) r.redactJson(text);
  return ((performance.now() - t0) * 1000) / n;
}

export async function runRedactBench({ rounds = 5, scale = 1 } = {}) {
  const results = [];
  for (const [rowCount, calls] of [
    [1, Math.round(50_000 * scale)],
    [10, Math.round(15_000 * scale)],
  ]) {
    const rows = rowsOf(rowCount);
    const ratios = [];
    const off = [];
    const on = [];
    for (let r = 0; r < rounds; r++) {
      const a = await collectOnce(rows, calls, false);
      const b = await collectOnce(rows, calls, true);
      off.push((a * 1000) / calls);
      on.push((b * 1000) / calls);
      ratios.push(b / a);
    }
    results.push({ rows: rowCount, calls, offUs: median(off), onUs: median(on), ratio: median(ratios) });
  }
  const clean = JSON.stringify({
    input_data: { columns: Object.keys(ROW), data: [Object.values(ROW)] },
    note: 'x'.repeat(600),
  });
  const dirty = clean.replace('x'.repeat(40), 'write to ann.lee@example.com or +1 415 555 2671');
  return {
    collect: results,
    payload: { bytes: clean.length, cleanUs: payloadCost(clean), dirtyUs: payloadCost(dirty) },
  };
}

export function printRedactBench(r) {
  console.log(
    "\n## collect() with the issue's redact rules vs none (same rows: 23 columns + EMAIL, PHONE, NOTE)",
  );
  console.log('medians of alternating rounds; ratio = median of the per-round on/off ratios');
  console.log('rows/call | µs/event off | µs/event on | on/off');
  for (const x of r.collect)
    console.log(`${x.rows} | ${x.offUs.toFixed(2)} | ${x.onUs.toFixed(2)} | ${x.ratio.toFixed(2)}×`);
  console.log(
    `payload redaction (${r.payload.bytes}-byte JSON request): ${r.payload.cleanUs.toFixed(2)} µs with nothing to replace, ${r.payload.dirtyUs.toFixed(2)} µs with an email and a phone number`,
  );
}

if (import.meta.url === `file://${process.argv[1]}`) {
  printRedactBench(await runRedactBench({ scale: Number(process.env.BENCH_SCALE ?? 1) }));
}
