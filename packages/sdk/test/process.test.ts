// The SDK as a plain `node score.mjs` uses it: the built package, the default runtime from environment
// variables, flush at exit and on SIGTERM, and several processes writing at once.
import assert from 'node:assert/strict';
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { blobstore, listFiles, readEvents, tempDir, waitFor, writeText } from './helpers.js';

const DIST = new URL('../dist/index.js', import.meta.url);
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const TSC = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');

interface Run {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Writes `body` as an .mjs script that imports the built SDK as `sdk`, and returns its path. */
function script(dir: string, body: string): string {
  return writeText(join(dir, 'score.mjs'), `import * as sdk from ${JSON.stringify(DIST.href)};\n${body}\n`);
}

function start(
  file: string,
  env: Record<string, string>,
): ChildProcess & { out: { stdout: string; stderr: string } } {
  const child = spawn(process.execPath, [file], {
    cwd: join(file, '..'),
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  }) as ChildProcess & { out: { stdout: string; stderr: string } };
  child.out = { stdout: '', stderr: '' };
  child.stdout!.on('data', (d: Buffer) => {
    child.out.stdout += d.toString();
  });
  child.stderr!.on('data', (d: Buffer) => {
    child.out.stderr += d.toString();
  });
  return child;
}

/** Waits for a child to end (with a generous deadline, then kills it and fails). */
function ended(child: ReturnType<typeof start>, deadlineMs = 45_000): Promise<Run> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`child did not end in ${deadlineMs} ms; stderr: ${child.out.stderr}`));
    }, deadlineMs);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, ...child.out });
    });
  });
}

async function run(file: string, env: Record<string, string>): Promise<Run> {
  const r = await ended(start(file, env));
  assert.equal(r.code, 0, `exit code ${r.code}, stderr: ${r.stderr}`);
  return r;
}

/** 21 bursts of 500 events, yielding between them, then process.exit() while a write is in flight. */
const BURST_THEN_EXIT = `const c = new sdk.Collector({ name: 'model_inputs' });
let n = 0;
const burst = () => { for (let k = 0; k < 500; k++) c.collect([{ i: n++, pad: 'x'.repeat(200) }]); };
for (let round = 0; round < 20; round++) { burst(); await new Promise((r) => setImmediate(r)); }
burst();
process.exit(0);`;

describe('the SDK in a child process', () => {
  before(() => {
    // Build the package the scripts import (incremental: quick when dist is current).
    execFileSync(process.execPath, [TSC, '-b', join(ROOT, 'packages', 'sdk')], { cwd: ROOT, stdio: 'pipe' });
    assert.ok(existsSync(DIST), `${fileURLToPath(DIST)} exists`);
  });

  it('takes its deployment from MDC_WORKSPACE and MDC_DEPLOYMENT_FILE and writes where the YAML says', async () => {
    const dir = tempDir();
    const ws = join(dir, 'ws');
    const yaml = writeText(join(dir, 'deployment.yml'), [
      'endpoint_name: credit-default',
      'name: green',
      'model: azureml:credit-default:3',
      'data_collector:',
      '  rolling_rate: Day',
      '  collections:',
      '    model_inputs:',
      "      enabled: 'True'",
      '    model_outputs:',
      "      enabled: 'True'",
      '      data:',
      '        name: outputs-asset',
      '        path: azureml://datastores/workspaceblobstore/paths/custom/outputs',
      '    disabled_one:',
      "      enabled: 'False'",
    ]);
    const file = script(
      dir,
      `const inputs = new sdk.Collector({ name: 'model_inputs' });
const outputs = new sdk.Collector({ name: 'model_outputs' });
const off = new sdk.Collector({ name: 'disabled_one' });
const ctx = inputs.collect([{ AGE: 54, SEX: 2 }]);
outputs.collect([{ default: 1 }], ctx);
off.collect([{ x: 1 }]);
console.log(JSON.stringify({ id: ctx.id, instance: sdk.getDefaultRuntime().instanceId }));`,
    );
    const day = () => new Date().toISOString().slice(0, 10).replaceAll('-', '/');
    const days = new Set([day()]);
    const r = await run(file, { MDC_WORKSPACE: ws, MDC_DEPLOYMENT_FILE: yaml });
    days.add(day()); // the child reads the real clock: a run across midnight UTC may see either day
    const { id, instance } = JSON.parse(r.stdout) as { id: string; instance: string };
    const files = listFiles(blobstore(ws));
    assert.equal(files.length, 2, files.join(', '));
    const folderDay = files[0]!.split('/').slice(2, 5).join('/');
    assert.ok(days.has(folderDay), `rolled by Day: ${files[0]}`);
    assert.equal(files[0], `custom/outputs/${folderDay}/${instance}.jsonl`);
    assert.equal(
      files[1],
      `modelDataCollector/credit-default/green/model_inputs/${folderDay}/${instance}.jsonl`,
    );
    const events = readEvents(blobstore(ws)).map((l) => l.event);
    for (const e of events) {
      assert.equal(e.correlationid, id);
      assert.equal(e.modelversion, '3');
      assert.match(
        e.source as string,
        /\/workspaces\/ws\/onlineEndpoints\/credit-default\/deployments\/green$/,
      );
    }
    assert.deepEqual(listFiles(join(ws, 'data-assets')), [
      'credit-default-green-model_inputs/1.json',
      'outputs-asset/1.json',
    ]);
  });

  it('writes everything on a normal exit without flush() (and on process.exit)', async () => {
    for (const ending of ['', 'process.exit(0);']) {
      const dir = tempDir();
      const ws = join(dir, 'ws');
      const file = script(
        dir,
        `const c = new sdk.Collector({ name: 'model_inputs' });
const d = new sdk.Collector({ name: 'model_outputs' });
for (let i = 0; i < 3000; i++) {
  const ctx = c.collect([{ i, text: 'données ' + i }]);
  if (i % 10 === 0) d.collect(new Uint8Array([i % 256, 1, 2]), ctx);
}
${ending}`,
      );
      // Long interval and big batches: nothing is written before the exit hooks run.
      await run(file, {
        MDC_WORKSPACE: ws,
        MDC_FLUSH_INTERVAL_MS: '600000',
        MDC_MAX_BATCH_BYTES: '1073741824',
      });
      const events = readEvents(blobstore(ws));
      const inputs = events.filter((l) => l.event.type === 'azureml.inference.model_inputs');
      assert.equal(inputs.length, 3000, `${ending || 'normal exit'}: every input on disk`);
      assert.deepEqual(
        inputs.map((l) => (l.event.data as { i: number }[])[0]!.i),
        Array.from({ length: 3000 }, (_, i) => i),
      );
      const blobs = events.filter((l) => l.event.datainblob === 'true');
      assert.equal(blobs.length, 300);
      const raw = listFiles(blobstore(ws)).filter((f) => !f.endsWith('.jsonl'));
      assert.equal(raw.length, 300, 'every raw file on disk');
    }
  });

  it('writes every event accepted in a process.exit() that comes while a write is in flight', async () => {
    const dir = tempDir();
    const ws = join(dir, 'ws');
    const file = script(dir, BURST_THEN_EXIT);
    // Small batches: writes start during the bursts, so one is in flight when the script exits.
    await run(file, { MDC_WORKSPACE: ws, MDC_MAX_BATCH_BYTES: '65536' });
    const got = readEvents(blobstore(ws)).map((l) => (l.event.data as { i: number }[])[0]!.i);
    assert.equal(got.length, 21 * 500);
    assert.deepEqual(
      [...got].sort((a, b) => a - b),
      Array.from({ length: 21 * 500 }, (_, i) => i),
    );
  });

  it('a local destination gets every event too when process.exit() comes while writes are in flight', async () => {
    const dir = tempDir();
    const ws = join(dir, 'ws');
    mkdirSync(ws);
    writeText(join(ws, 'workspace.yml'), [
      'datastores:',
      '  copy:',
      '    type: local',
      `    path: ${join(dir, 'copy')}`,
    ]);
    const yaml = writeText(join(dir, 'deployment.yml'), [
      'data_collector:',
      '  destinations: [azureml://datastores/copy/paths/fleet]',
      '  collections:',
      '    model_inputs:',
      "      enabled: 'True'",
    ]);
    const file = script(dir, BURST_THEN_EXIT);
    await run(file, { MDC_WORKSPACE: ws, MDC_DEPLOYMENT_FILE: yaml, MDC_MAX_BATCH_BYTES: '65536' });
    const primary = readEvents(blobstore(ws)).map((l) => (l.event.data as { i: number }[])[0]!.i);
    const copy = readEvents(join(dir, 'copy')).map((l) => (l.event.data as { i: number }[])[0]!.i);
    assert.equal(primary.length, 21 * 500);
    // The copy holds the same events in the same order: its queued batches were written synchronously at exit.
    assert.deepEqual(copy, primary);
  });

  it('on SIGTERM writes every accepted event, then ends as the signal would', async () => {
    const dir = tempDir();
    const ws = join(dir, 'ws');
    const file = script(
      dir,
      `const c = new sdk.Collector({ name: 'model_inputs' });
const d = new sdk.Collector({ name: 'model_outputs' });
let accepted = 0;
const tick = () => {
  for (let k = 0; k < 50; k++) {
    try {
      const ctx = c.collect([{ i: accepted }]);
      accepted++;
      d.collect([{ o: accepted }], ctx);
      accepted++;
    } catch (err) {
      if (err.code === 'MDC_COLLECTOR_CLOSED') return; // shutting down: stop producing
      if (err.code !== 'MDC_QUEUE_FULL') throw err;
    }
  }
  process.stdout.write(accepted + '\\n'); // synchronous on a pipe: the last line is the exact count
  setImmediate(tick);
};
tick();`,
    );
    const child = start(file, { MDC_WORKSPACE: ws });
    const done = ended(child);
    await waitFor(() => Number(child.out.stdout.trim().split('\n').at(-1)) >= 5000, 'the script to collect');
    child.kill('SIGTERM');
    const r = await done;
    assert.equal(r.signal, 'SIGTERM', `ended by the signal (code ${r.code}, stderr ${r.stderr})`);
    const accepted = Number(r.stdout.trim().split('\n').at(-1));
    const events = readEvents(blobstore(ws));
    assert.equal(events.length, accepted, 'every accepted event is on disk');
    assert.equal(new Set(events.map((l) => l.event.id)).size, accepted);
  });

  it('keeps every line whole with several processes × collectors × concurrent async calls', async () => {
    const dir = tempDir();
    const ws = join(dir, 'ws');
    const PROCS = 4;
    const COLLECTORS = 3;
    const CALLS = 1000;
    const file = script(
      dir,
      `const proc = process.env.PROC;
const collectors = Array.from({ length: ${COLLECTORS} }, (_, k) => new sdk.Collector({ name: 'c' + k }));
const big = 'é'.repeat(40000); // some lines are larger than a filesystem page and the 64 KiB write slabs
const call = async (k, n) => {
  await new Promise((r) => setTimeout(r, n % 7));
  const rows = [{ proc, k, n, text: n % 97 === 0 ? big : 'ok ' + n, u: '😀' }];
  collectors[k].collect(rows);
};
const all = [];
for (let n = 0; n < ${CALLS}; n++) for (let k = 0; k < ${COLLECTORS}; k++) all.push(call(k, n));
await Promise.all(all);`,
    );
    const env = (p: number) => ({ MDC_WORKSPACE: ws, PROC: String(p), MDC_MAX_BATCH_BYTES: '200000' });
    const runs = await Promise.all(Array.from({ length: PROCS }, (_, p) => ended(start(file, env(p)))));
    for (const r of runs) assert.equal(r.code, 0, r.stderr);
    const events = readEvents(blobstore(ws)); // every line parses: none torn or interleaved
    assert.equal(events.length, PROCS * COLLECTORS * CALLS);
    const seen = new Set<string>();
    for (const { file: f, event } of events) {
      const [row] = event.data as { proc: string; k: number; n: number; text: string }[];
      assert.equal(event.type, `azureml.inference.c${row!.k}`);
      assert.ok(f.includes(`/c${row!.k}/`));
      assert.equal(row!.text.length, row!.n % 97 === 0 ? 40000 : `ok ${row!.n}`.length);
      seen.add(`${row!.proc}/${row!.k}/${row!.n}`);
    }
    assert.equal(seen.size, PROCS * COLLECTORS * CALLS, 'each call exactly once');
    const jsonl = listFiles(blobstore(ws)).filter((f) => f.endsWith('.jsonl'));
    assert.ok(jsonl.length >= PROCS * COLLECTORS, 'one file per process and collection (per hour)');
  });
});
