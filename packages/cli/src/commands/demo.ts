import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import {
  BasicCorrelationContext,
  type CollectionStats,
  Collector,
  DataCollectorRuntime,
  localDatastoreRoot,
  resolveDeployment,
  UsageError,
} from 'model-data-collector/internal';
import {
  DEMO_DRIFT,
  demoTraffic,
  LABEL_COLUMN,
  seededRandom,
  TRAIN_CSV,
  trainingRows,
} from '../demo/credit-data.js';
import { workspaceOption } from './workspace-option.js';

export function registerDemo(program: Command): void {
  program
    .command('demo')
    .description(
      'serve the credit-default demo deployment over HTTP, send it scoring requests and show what was collected (what `npm start` runs)',
    )
    .option('-n, --requests <n>', 'number of scoring requests', positiveInt('--requests'), 300)
    .action(async (opts: { requests: number }, cmd: Command) => {
      await runDemo({ workspace: workspaceOption(cmd), requests: opts.requests });
    });
}

function positiveInt(option: string) {
  return (v: string) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 1)
      throw new UsageError(`${option} must be a positive integer; got "${v}"`);
    return n;
  };
}

/** The demo deployment YAML (no scoring script: the built-in ONNX scorer serves the MLflow model). */
export const DEMO_DEPLOYMENT = fileURLToPath(
  new URL('../../../../examples/credit-default/deployment.yml', import.meta.url),
);

/** The collection the demo logs the training labels of its rows into, as ground truth that arrives later. */
export const GROUND_TRUTH_COLLECTION = 'ground_truth';

/**
 * A short id of one demo run: correlation ids are `demo-<run>-<n>`, so running the demo again on the same
 * workspace never repeats a correlation id (joins stay one-to-one).
 */
export function demoRunId(): string {
  return randomBytes(4).toString('hex');
}

export async function runDemo(opts: { workspace?: string; requests: number; runId?: string }): Promise<void> {
  const out = (s = '') => process.stdout.write(`${s}\n`);
  const { prepareDeployment, startInstance, urlOf } = await import('@model-data-collector/server/internal');
  const prepared = prepareDeployment({ file: DEMO_DEPLOYMENT, workspace: opts.workspace });
  const instance = await startInstance(prepared, { file: DEMO_DEPLOYMENT, port: 0, logLevel: 'warn' });
  const url = `${urlOf(instance.address)}/score`;
  const runId = opts.runId ?? demoRunId();
  const requestId = (i: number) => `demo-${runId}-${i}`;
  out(`Serving ${relative(process.cwd(), DEMO_DEPLOYMENT)} at ${url}`);
  out(
    `Run ${runId}: requests ${requestId(0)} … ${requestId(opts.requests - 1)}, rows drawn from ${relative(process.cwd(), TRAIN_CSV)} with ${DEMO_DRIFT.description} (drift on purpose)`,
  );
  // The same rows every run (seeded), so every run's drift report says the same; only the ids are new.
  const next = demoTraffic(seededRandom(42), trainingRows());
  const rand = seededRandom(7);
  const labels: number[][] = [];
  let rows = 0;
  let failed = 0;
  let sent = 0;
  // A few clients at once, as real traffic; each request carries its own x-request-id.
  const client = async () => {
    while (sent < opts.requests) {
      const i = sent++;
      const batch = Array.from({ length: 1 + Math.floor(rand() * 3) }, next);
      labels[i] = batch.map((r) => r.label);
      rows += batch.length;
      const res = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-request-id': requestId(i) },
        body: JSON.stringify({ dataframe_records: batch.map((r) => r.features) }),
      });
      await res.arrayBuffer();
      if (!res.ok) failed++;
    }
  };
  await Promise.all(Array.from({ length: 8 }, client));
  await instance.close();

  const runtime = instance.runtime;
  const truth = await logGroundTruth(runtime, labels, requestId);
  const ds = runtime.workspace.datastores.get('workspaceblobstore')!;
  const root = localDatastoreRoot(runtime.workspace, ds as { path: string });
  out(
    `Scored ${opts.requests} requests over HTTP (${rows} rows, ${failed} failed) on credit-default/blue; collected into ${root}`,
  );
  out();
  const mine = new Set([runtime.instanceId, truth.instanceId].map((id) => `${id}.jsonl`));
  const files = listFiles(join(root, 'modelDataCollector', 'credit-default', 'blue')).filter((f) =>
    f.endsWith('.jsonl'),
  );
  const thisRun = files.filter((f) => mine.has(basename(f)));
  for (const f of thisRun) {
    const lines = readFileSync(f, 'utf8').split('\n').filter(Boolean).length;
    out(`  ${relative(root, f)}  ${statSync(f).size} bytes, ${lines} events`);
  }
  if (files.length > thisRun.length)
    out(`  (and ${files.length - thisRun.length} files of earlier runs on this workspace)`);
  out();
  for (const [name, c] of Object.entries({ ...runtime.stats().collections, ...truth.stats })) {
    out(`  ${name}: ${c.written} written, ${c.dropped} dropped, ${c.failed} failed, ${c.bytesWritten} bytes`);
  }
  const id = requestId(opts.requests - 1);
  out();
  out(`The four events of request ${id} (run ${runId}), joined on correlationid:`);
  for (const collection of ['request', 'model_inputs', 'model_outputs', 'response']) {
    for (const f of thisRun.filter((p) => p.includes(`/${collection}/`))) {
      const line = readFileSync(f, 'utf8')
        .split('\n')
        .find((l) => l.includes(`"correlationid":"${id}"`));
      if (line) out(JSON.stringify(JSON.parse(line)));
    }
  }
  out();
  out(
    `Its ground truth (the training label of each row) is in the ${GROUND_TRUTH_COLLECTION} collection, under the same correlationid.`,
  );
  out(
    `Drift to find: ${DEMO_DRIFT.description}; \`mdc monitor drift --production model_inputs --window P1D --reference ${relative(process.cwd(), TRAIN_CSV)} --target ${LABEL_COLUMN} --categorical SEX,EDUCATION,MARRIAGE\` flags ${DEMO_DRIFT.feature} only.`,
  );
}

/**
 * Logs each request's training labels as the `ground_truth` collection of credit-default/blue, with the
 * request's correlation id and one row per scored row, so its `id` column matches model_outputs' (what a
 * labelling job would do once the outcomes are known).
 */
async function logGroundTruth(
  server: { workspace: { dir: string } },
  labels: readonly number[][],
  requestId: (i: number) => string,
): Promise<{ instanceId: string; stats: Record<string, CollectionStats> }> {
  const runtime = new DataCollectorRuntime({
    workspace: server.workspace.dir,
    deployment: resolveDeployment({
      endpoint_name: 'credit-default',
      name: 'blue',
      data_collector: {
        collections: { [GROUND_TRUTH_COLLECTION]: { enabled: 'True' } },
        rolling_rate: 'Hour',
      },
    }),
    handleProcessExit: false,
  });
  const truth = new Collector({ name: GROUND_TRUTH_COLLECTION, runtime });
  labels.forEach((rows, i) => {
    truth.collect(
      rows.map((label) => ({ [LABEL_COLUMN]: label })),
      new BasicCorrelationContext(requestId(i)),
    );
  });
  await runtime.shutdown();
  return { instanceId: runtime.instanceId, stats: runtime.stats().collections };
}

function listFiles(dir: string): string[] {
  const found: string[] = [];
  const walk = (d: string) => {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else found.push(p);
    }
  };
  walk(dir);
  return found;
}
