// Several destinations per collection (data_collector.destinations and collections.<name>.destinations): every
// line lands byte-identical in the collection's data.path, a local copy and an Azure Blob copy (Azurite); an
// Azure outage never holds back the local files, and the spool delivers the copy after it; a copy that fails is
// counted for that destination only; validation names the key path of a bad entry.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import {
  closeSync,
  constants,
  createReadStream,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type Azurite, startAzurite } from '@model-data-collector/test-support/emulators';
import { azureLines } from '@model-data-collector/test-support/stored-lines';
import { makeWorkspace } from '@model-data-collector/test-support/workspace';
import {
  BasicCorrelationContext,
  Collector,
  DataCollectorRuntime,
  type MdcError,
  resolveDeployment,
} from 'model-data-collector/internal';
import { stringify } from 'yaml';
import { mdc, ROOT, scoreCredit, startMdc, tempDir } from './helpers.js';

const ENV = { MDC_UPLOAD_INTERVAL_MS: '100', MDC_SPOOL_FSYNC: '0' };
Object.assign(process.env, ENV);

/** Every `.jsonl` line under a folder, by path relative to it. */
function localLines(dir: string, base = dir, out = new Map<string, string[]>()): Map<string, string[]> {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return out;
  }
  for (const name of names) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) localLines(p, base, out);
    else if (name.endsWith('.jsonl'))
      out.set(p.slice(base.length + 1), readFileSync(p, 'utf8').split('\n').filter(Boolean));
  }
  return out;
}

function allLines(files: Map<string, string[]>): string[] {
  return [...files.values()].flat();
}

function deployment(dataCollector: Record<string, unknown>) {
  return resolveDeployment({ endpoint_name: 'credit', name: 'blue', data_collector: dataCollector });
}

async function waitFor(what: string, cond: () => Promise<boolean> | boolean, ms = 30_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('destinations', () => {
  let az: Azurite;
  before(async () => {
    az = await startAzurite();
  });
  after(async () => {
    await az?.stop();
  });

  it('copies every line, byte for byte, to a local and an Azure Blob destination', async () => {
    await az.createContainer('copies');
    const copyDir = tempDir('mdc-copy-');
    const ws = makeWorkspace({
      copies_local: { type: 'local', path: copyDir },
      copies_blob: { type: 'azure_blob', container: 'copies', connection_string: az.connectionString },
    });
    const runtime = new DataCollectorRuntime({
      workspace: ws,
      deployment: deployment({
        destinations: ['azureml://datastores/copies_local/paths/fleet'],
        collections: {
          model_inputs: {
            enabled: 'True',
            destinations: ['azureml://datastores/copies_blob/paths/stream'],
          },
          model_outputs: { enabled: 'True' },
        },
      }),
      handleProcessExit: false,
      instanceId: 'i1',
    });
    const inputs = new Collector({ name: 'model_inputs', runtime });
    const outputs = new Collector({ name: 'model_outputs', runtime });
    for (let i = 0; i < 500; i++) {
      const ctx = inputs.collect([{ seq: i, text: `row ${i} é` }], new BasicCorrelationContext(`c-${i}`));
      outputs.collect([{ p: i / 500 }], ctx);
    }
    // A large table becomes a raw payload file in data.path; the copies carry the same pointer.
    inputs.collect([{ big: 'x'.repeat(5 * 1024 * 1024) }], new BasicCorrelationContext('big'));
    await runtime.flush();
    const stats = runtime.stats().destinations;
    await runtime.shutdown();

    const primary = localLines(join(ws, 'datastores', 'workspaceblobstore'));
    const local = localLines(copyDir);
    const blob = await azureLines(az.service, 'copies');
    const primaryInputs = allLines(new Map([...primary].filter(([p]) => p.includes('/model_inputs/'))));
    const primaryOutputs = allLines(new Map([...primary].filter(([p]) => p.includes('/model_outputs/'))));
    assert.equal(primaryInputs.length, 501);
    assert.equal(primaryOutputs.length, 500);
    // The global destination copies both collections, under <base>/<endpoint>/<deployment>/<collection>.
    const localInputs = allLines(
      new Map([...local].filter(([p]) => p.startsWith('fleet/credit/blue/model_inputs/'))),
    );
    const localOutputs = allLines(
      new Map([...local].filter(([p]) => p.startsWith('fleet/credit/blue/model_outputs/'))),
    );
    assert.deepEqual(localInputs, primaryInputs);
    assert.deepEqual(localOutputs, primaryOutputs);
    // The collection's own destination only gets model_inputs.
    assert.ok(
      [...blob.keys()].every((k) => k.startsWith('stream/credit/blue/model_inputs/')),
      [...blob.keys()].join(),
    );
    assert.deepEqual(allLines(blob), primaryInputs);
    const big = primaryInputs.map((l) => JSON.parse(l)).find((e) => e.correlationid === 'big');
    assert.equal(big.datainblob, 'true');
    assert.match(
      big.data,
      /^azureml:\/\/datastores\/workspaceblobstore\/paths\/modelDataCollector\/credit\/blue\/model_inputs\//,
    );
    // Counters per destination.
    const byDest = new Map(stats.map((s) => [s.destination, s]));
    assert.equal(
      byDest.get('azureml://datastores/copies_local/paths/fleet/credit/blue/model_inputs')?.written,
      501,
    );
    assert.equal(
      byDest.get('azureml://datastores/copies_local/paths/fleet/credit/blue/model_outputs')?.written,
      500,
    );
    assert.equal(
      byDest.get('azureml://datastores/copies_blob/paths/stream/credit/blue/model_inputs')?.written,
      501,
    );
    for (const s of stats) {
      assert.equal(s.dropped, 0);
      assert.equal(s.queuedEvents, 0);
      assert.equal(s.queuedBytes, 0);
    }
    // The Azure copy's datastore spool is shown with it.
    const blobCopy = byDest.get('azureml://datastores/copies_blob/paths/stream/credit/blue/model_inputs');
    assert.equal(blobCopy?.type, 'azure_blob');
    assert.ok(blobCopy!.bytesWritten > 0);
  });

  it('an Azure outage holds back neither the files nor the local copy; the spool delivers after it', async () => {
    await az.createContainer('outage');
    const copyDir = tempDir('mdc-copy-');
    const ws = makeWorkspace({
      copies_local: { type: 'local', path: copyDir },
      down_blob: { type: 'azure_blob', container: 'outage', connection_string: az.connectionString },
    });
    const runtime = new DataCollectorRuntime({
      workspace: ws,
      deployment: deployment({
        destinations: ['azureml://datastores/down_blob/paths/x', 'azureml://datastores/copies_local/paths/y'],
        collections: { model_inputs: { enabled: 'True' } },
      }),
      handleProcessExit: false,
      instanceId: 'i2',
      flushIntervalMs: 50,
    });
    const errors: MdcError[] = [];
    const inputs = new Collector({
      name: 'model_inputs',
      runtime,
      onError: (e) => errors.push(e as MdcError),
    });
    await az.stop();
    try {
      const t0 = Date.now();
      for (let i = 0; i < 300; i++) inputs.collect([{ seq: i }], new BasicCorrelationContext(`o-${i}`));
      await runtime.flush();
      const took = Date.now() - t0;
      assert.ok(took < 3000, `flush took ${took} ms while Azure was down`);
      assert.equal(allLines(localLines(join(ws, 'datastores', 'workspaceblobstore'))).length, 300);
      assert.equal(allLines(localLines(copyDir)).length, 300);
      assert.equal(runtime.stats().collections.model_inputs!.failed, 0);
    } finally {
      await az.start();
    }
    await waitFor(
      'the spooled copy in Azure',
      async () => allLines(await azureLines(az.service, 'outage')).length >= 300,
    );
    await runtime.shutdown();
    const blob = allLines(await azureLines(az.service, 'outage'));
    assert.deepEqual(blob.sort(), allLines(localLines(copyDir)).sort());
  });

  it('a copy that cannot be written is counted for its destination; data.path and the other copies keep every line', async () => {
    const okDir = tempDir('mdc-copy-');
    const badRoot = join(tempDir('mdc-bad-'), 'file');
    writeFileSync(badRoot, 'not a folder');
    const ws = makeWorkspace({
      ok_copy: { type: 'local', path: okDir },
      bad_copy: { type: 'local', path: badRoot },
    });
    const errors: MdcError[] = [];
    const runtime = new DataCollectorRuntime({
      workspace: ws,
      deployment: deployment({
        destinations: ['azureml://datastores/bad_copy/paths/', 'azureml://datastores/ok_copy/paths/'],
        collections: { model_inputs: { enabled: 'True' } },
      }),
      handleProcessExit: false,
      instanceId: 'i3',
    });
    const inputs = new Collector({
      name: 'model_inputs',
      runtime,
      onError: (e) => errors.push(e as MdcError),
    });
    for (let i = 0; i < 50; i++) inputs.collect([{ seq: i }], new BasicCorrelationContext(`b-${i}`));
    await runtime.flush();
    const stats = runtime.stats().destinations;
    await runtime.shutdown();
    assert.equal(allLines(localLines(join(ws, 'datastores', 'workspaceblobstore'))).length, 50);
    assert.equal(allLines(localLines(okDir)).length, 50);
    const s = runtime.stats().collections.model_inputs!;
    assert.equal(s.written, 50);
    assert.equal(s.failed, 0);
    assert.equal(stats.find((x) => x.datastore === 'bad_copy')?.dropped, 50);
    // Each batch was tried maxTries (5) times before it was dropped.
    assert.ok(stats.find((x) => x.datastore === 'bad_copy')!.retries >= 4);
    assert.equal(stats.find((x) => x.datastore === 'ok_copy')?.written, 50);
    assert.ok(
      errors.some((e) => e.code === 'MDC_WRITE_FAILED' && e.message.includes('bad_copy')),
      errors.map((e) => e.message).join('\n'),
    );
  });

  it('a hung local copy never delays data.path: it buffers, drops what does not fit (counted), and catches up', async () => {
    // A copy whose file is a FIFO nobody reads: opening it for append never returns, like a dead network mount.
    const copyDir = tempDir('mdc-hung-');
    const now = Date.UTC(2026, 0, 2, 3, 4, 5);
    const fifo = join(copyDir, 'fleet/credit/blue/model_inputs/2026/01/02/03/i5.jsonl');
    mkdirSync(dirname(fifo), { recursive: true });
    assert.equal(spawnSync('mkfifo', [fifo]).status, 0);
    const ws = makeWorkspace({ hung_copy: { type: 'local', path: copyDir } });
    const errors: MdcError[] = [];
    const runtime = new DataCollectorRuntime({
      workspace: ws,
      deployment: deployment({
        destinations: ['azureml://datastores/hung_copy/paths/fleet'],
        collections: { model_inputs: { enabled: 'True' } },
      }),
      handleProcessExit: false,
      instanceId: 'i5',
      clock: () => now,
      flushIntervalMs: 20,
      // The copy's buffer takes the queue's bound: one round of 100 events (~80 KB) fits, a second does not.
      maxQueueBytes: 160 * 1024,
      // Longer than this test waits for data.path: a copy that held the primary write would show.
      writeTimeoutMs: 20_000,
    });
    const inputs = new Collector({
      name: 'model_inputs',
      runtime,
      onError: (e) => errors.push(e as MdcError),
    });
    const primaryFile = join(
      ws,
      'datastores/workspaceblobstore/modelDataCollector/credit/blue/model_inputs/2026/01/02/03/i5.jsonl',
    );
    const primaryLines = () => {
      try {
        return readFileSync(primaryFile, 'utf8').split('\n').filter(Boolean);
      } catch {
        return [];
      }
    };
    const copyStats = () => runtime.stats().destinations[0]!;
    let seq = 0;
    const round = async () => {
      const t0 = Date.now();
      for (let i = 0; i < 100; i++) inputs.collect([{ seq: seq++, text: 'x'.repeat(700) }]);
      await waitFor('data.path to hold the round', () => primaryLines().length === seq, 3000);
      return Date.now() - t0;
    };
    for (let r = 0; r < 3; r++) {
      const took = await round();
      assert.ok(took < 3000, `round ${r}: data.path took ${took} ms`);
    }
    const s = runtime.stats().collections.model_inputs!;
    assert.equal(s.written, 300);
    assert.equal(s.failed + s.dropped, 0);
    // The first round waits for the hung copy; the other two did not fit its buffer: dropped and counted.
    let c = copyStats();
    assert.equal(c.queuedEvents, 100);
    assert.ok(c.queuedBytes > 100_000, String(c.queuedBytes));
    assert.equal(c.dropped, 200);
    assert.equal(c.written, 0);
    assert.ok(errors.some((e) => e.code === 'MDC_QUEUE_FULL' && e.message.includes('hung_copy')));

    // The mount comes back: the copy catches up, in order, and takes new rounds again.
    const reader = createReadStream(fifo);
    const received: Buffer[] = [];
    reader.on('data', (b) => received.push(b as Buffer));
    await waitFor('the copy to catch up', () => copyStats().written === 100, 10_000);
    await round();
    await runtime.flush();
    c = copyStats();
    assert.deepEqual([c.written, c.dropped, c.queuedEvents, c.queuedBytes], [200, 200, 0, 0]);
    await runtime.shutdown();
    await new Promise<void>((r) => reader.once('close', () => r()));
    const all = primaryLines();
    const copied = Buffer.concat(received).toString('utf8').split('\n').filter(Boolean);
    assert.deepEqual(copied, [...all.slice(0, 100), ...all.slice(300, 400)]);
  });

  it("mdc serve's /metrics shows each destination: written, lag, spool, retries and drops", async () => {
    const dir = tempDir();
    const okDir = join(dir, 'ok');
    const hungDir = join(dir, 'hung');
    const badRoot = join(dir, 'not-a-folder');
    writeFileSync(badRoot, 'a file');
    // The hung copy's file is a FIFO nobody reads (this hour's and the next, should the hour turn meanwhile).
    const fifos = [0, 3_600_000].map((ahead) => {
      const t = new Date(Date.now() + ahead).toISOString();
      const hour = `${t.slice(0, 4)}/${t.slice(5, 7)}/${t.slice(8, 10)}/${t.slice(11, 13)}`;
      const fifo = join(hungDir, `credit/blue/model_inputs/${hour}/m1.jsonl`);
      mkdirSync(dirname(fifo), { recursive: true });
      assert.equal(spawnSync('mkfifo', [fifo]).status, 0);
      return fifo;
    });
    const ws = makeWorkspace({
      ok: { type: 'local', path: okDir },
      hung: { type: 'local', path: hungDir },
      bad: { type: 'local', path: badRoot },
      // Nothing listens on port 9: every upload fails and the copy waits in the spool.
      down: {
        type: 'azure_blob',
        container: 'c',
        connection_string: az.connectionString.replace(/127\.0\.0\.1:\d+/, '127.0.0.1:9'),
      },
    });
    writeFileSync(
      join(dir, 'deployment.yml'),
      `name: blue\nendpoint_name: credit\nmodel:\n  path: ${join(ROOT, 'models/credit-default/model.onnx')}\n` +
        'data_collector:\n  destinations: [azureml://datastores/ok/paths/, azureml://datastores/hung/paths/,' +
        ' azureml://datastores/bad/paths/, azureml://datastores/down/paths/]\n' +
        "  collections:\n    model_inputs: {enabled: 'True'}\n",
    );
    const serve = startMdc(['serve', '-f', 'deployment.yml', '--port', '0', '--workspace', ws], dir, {
      MDC_INSTANCE_ID: 'm1',
      MDC_FLUSH_INTERVAL_MS: '50',
      MDC_RETRY_DELAY_MS: '10',
      MDC_UPLOAD_INTERVAL_MS: '100',
      MDC_UPLOAD_RETRY_DELAY_MS: '100',
      MDC_UPLOAD_MAX_RETRY_DELAY_MS: '200',
      MDC_SPOOL_FSYNC: '0',
    });
    const readers: number[] = [];
    try {
      const url = (await serve.waitFor(/ready at (http:\/\/[^\s/]+)/, 60_000))[1]!;
      for (let i = 0; i < 5; i++) await scoreCredit(url, `m-${i}`);
      const series = (text: string, name: string, datastore: string) => {
        const m = new RegExp(
          `^${name}\\{collection="model_inputs",destination="[^"]+",datastore="${datastore}"\\} (\\d+)$`,
          'm',
        ).exec(text);
        return m ? Number(m[1]) : undefined;
      };
      let metrics = '';
      const settled = () =>
        /mdc_collection_events_written_total\{collection="model_inputs"\} 5\n/.test(metrics) &&
        series(metrics, 'mdc_destination_events_written_total', 'ok') === 5 &&
        series(metrics, 'mdc_destination_events_dropped_total', 'bad') === 5 &&
        (series(metrics, 'mdc_destination_upload_retries_total', 'down') ?? 0) > 0 &&
        (series(metrics, 'mdc_destination_lag_events', 'hung') ?? 0) === 5;
      await waitFor('every destination to show its state on /metrics', async () => {
        metrics = await (await fetch(`${url}/metrics`)).text();
        return settled();
      });
      // data.path and the healthy copy have every event; the hung copy holds them as lag, written 0.
      assert.equal(series(metrics, 'mdc_destination_events_written_total', 'hung'), 0);
      assert.ok(series(metrics, 'mdc_destination_lag_bytes', 'hung')! > 1000, metrics);
      assert.equal(series(metrics, 'mdc_destination_events_dropped_total', 'hung'), 0);
      assert.equal(series(metrics, 'mdc_destination_events_dropped_total', 'ok'), 0);
      assert.equal(series(metrics, 'mdc_destination_lag_events', 'ok'), 0);
      // The bad copy was tried again before each batch was dropped.
      assert.ok(series(metrics, 'mdc_destination_write_retries_total', 'bad')! >= 4, metrics);
      // The Azure copy: in its spool (written), not delivered.
      assert.equal(series(metrics, 'mdc_destination_events_written_total', 'down'), 5);
      assert.ok(series(metrics, 'mdc_destination_spool_bytes', 'down')! > 1000, metrics);
      assert.equal(
        series(metrics, 'mdc_destination_spool_pending_bytes', 'down'),
        series(metrics, 'mdc_destination_spool_bytes', 'down'),
      );
      assert.ok(series(metrics, 'mdc_destination_delivery_lag_ms', 'down')! > 0, metrics);
      assert.equal(allLines(localLines(okDir)).length, 5);
    } finally {
      // The mount comes back (a reader that never blocks), so the server can end.
      for (const f of fifos) readers.push(openSync(f, constants.O_RDONLY | constants.O_NONBLOCK));
      serve.child.kill('SIGTERM');
      await serve.exited;
      for (const fd of readers) closeSync(fd);
    }
  });

  it('validation names the key path of a bad destination, and an unknown datastore fails at start-up', () => {
    assert.throws(
      () => deployment({ collections: { model_inputs: { enabled: 'True', destinations: ['s3:/nope'] } } }),
      (e: MdcError) =>
        e.code === 'MDC_INVALID_CONFIG' &&
        /data_collector\.collections\.model_inputs\.destinations\[0\]/.test(e.message),
    );
    assert.throws(
      () => deployment({ destinations: 'azureml://datastores/a/paths/b', collections: {} }),
      (e: MdcError) => e.code === 'MDC_INVALID_CONFIG' && /data_collector\.destinations/.test(e.message),
    );
    const ws = makeWorkspace({});
    assert.throws(
      () =>
        new DataCollectorRuntime({
          workspace: ws,
          deployment: deployment({
            destinations: ['azureml://datastores/nowhere/paths/x'],
            collections: { model_inputs: { enabled: 'True' } },
          }),
          handleProcessExit: false,
        }),
      (e: MdcError) => e.code === 'MDC_UNKNOWN_DATASTORE' && e.message.includes('nowhere'),
    );
  });

  it('mdc validate accepts the destinations keys', () => {
    const dir = tempDir();
    const ws = makeWorkspace({ copies: { type: 'local', path: join(dir, 'copies') } });
    mkdirSync(join(dir, 'copies'));
    const file = join(dir, 'deployment.yml');
    writeFileSync(
      file,
      stringify({
        endpoint_name: 'credit',
        name: 'blue',
        data_collector: {
          destinations: ['azureml://datastores/copies/paths/all'],
          collections: {
            model_inputs: { enabled: 'True', destinations: ['azureml://datastores/copies/paths/in'] },
          },
        },
      }),
    );
    const r = mdc(['--workspace', ws, 'validate', '-f', file]);
    assert.equal(r.code, 0, r.stderr + r.stdout);
    assert.doesNotMatch(r.stdout + r.stderr, /destinations.*not used/i);
    // Each copy is shown: the global destination and the collection's own, under <endpoint>/<deployment>/<collection>.
    assert.match(
      r.stdout,
      /and a copy -> azureml:\/\/datastores\/copies\/paths\/all\/credit\/blue\/model_inputs\n/,
    );
    assert.match(
      r.stdout,
      /and a copy -> azureml:\/\/datastores\/copies\/paths\/in\/credit\/blue\/model_inputs\n/,
    );
  });
});
