// Several destinations per collection (data_collector.destinations and collections.<name>.destinations): every
// line lands byte-identical in the collection's data.path, a local copy and an Azure Blob copy (Azurite); an
// Azure outage never holds back the local files, and the spool delivers the copy after it; a copy that fails is
// counted for that destination only; validation names the key path of a bad entry.
import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type Azurite, startAzurite } from '@model-data-collector/test-support/emulators';
import { azureLines } from '@model-data-collector/test-support/stored-lines';
import { makeWorkspace } from '@model-data-collector/test-support/workspace';
import {
  BasicCorrelationContext,
  Collector,
  DataCollectorRuntime,
  destinationStats,
  type MdcError,
  resolveDeployment,
} from 'model-data-collector/internal';
import { stringify } from 'yaml';
import { mdc, tempDir } from './helpers.js';

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
    const stats = destinationStats().filter((s) => s.destination.includes('/credit/blue/'));
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
    for (const s of stats) assert.equal(s.failed, 0);
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
    const stats = destinationStats().filter((s) => s.datastore === 'bad_copy' || s.datastore === 'ok_copy');
    await runtime.shutdown();
    assert.equal(allLines(localLines(join(ws, 'datastores', 'workspaceblobstore'))).length, 50);
    assert.equal(allLines(localLines(okDir)).length, 50);
    const s = runtime.stats().collections.model_inputs!;
    assert.equal(s.written, 50);
    assert.equal(s.failed, 0);
    assert.equal(stats.find((x) => x.datastore === 'bad_copy')?.failed, 50);
    assert.equal(stats.find((x) => x.datastore === 'ok_copy')?.written, 50);
    assert.ok(
      errors.some((e) => e.code === 'MDC_WRITE_FAILED' && e.message.includes('bad_copy')),
      errors.map((e) => e.message).join('\n'),
    );
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
