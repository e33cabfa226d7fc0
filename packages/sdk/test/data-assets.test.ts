// Data assets: registered on a collection's first write, named and versioned as the reference does.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import {
  Collector,
  DATA_ASSETS_DIR,
  type DataAsset,
  listDataAssets,
  listDataAssetVersions,
  openWorkspace,
} from '../src/internal.js';
import { listFiles, makeRuntime, tempDir } from './helpers.js';

const assetFiles = (ws: string) => listFiles(join(ws, DATA_ASSETS_DIR));
const readAsset = (ws: string, name: string, version: string) =>
  JSON.parse(readFileSync(join(ws, DATA_ASSETS_DIR, name, `${version}.json`), 'utf8')) as DataAsset;

const withData = (data: Record<string, unknown> | undefined) => ({
  endpoint_name: 'ep',
  name: 'blue',
  data_collector: {
    collections: {
      model_inputs: { enabled: 'True', ...(data ? { data } : {}) },
      model_outputs: { enabled: true },
    },
  },
});

/** One runtime on `ws` with `yaml`: collects a row into model_inputs and shuts down. */
async function collectOnce(ws: string, yaml: unknown): Promise<void> {
  const rt = makeRuntime({ workspace: ws, yaml });
  new Collector({ name: 'model_inputs', runtime: rt }).collect([{ a: 1 }]);
  await rt.shutdown();
}

describe('data assets', () => {
  it('registers <endpoint>-<deployment>-<collection> version 1, uri_folder, at the first write only', async () => {
    const ws = tempDir();
    const rt = makeRuntime({ workspace: ws, yaml: withData(undefined) });
    const inputs = new Collector({ name: 'model_inputs', runtime: rt });
    new Collector({ name: 'model_outputs', runtime: rt }); // never collects: no asset
    await rt.flush();
    assert.deepEqual(assetFiles(ws), [], 'nothing before the first event');
    inputs.collect([{ a: 1 }]);
    inputs.collect([{ a: 2 }]);
    await rt.shutdown();
    assert.deepEqual(assetFiles(ws), ['ep-blue-model_inputs/1.json']);
    const asset = readAsset(ws, 'ep-blue-model_inputs', '1');
    assert.equal(asset.name, 'ep-blue-model_inputs');
    assert.equal(asset.version, '1');
    assert.equal(asset.type, 'uri_folder');
    assert.equal(
      asset.path,
      'azureml://datastores/workspaceblobstore/paths/modelDataCollector/ep/blue/model_inputs',
    );
    assert.equal(asset.endpoint, 'ep');
    assert.equal(asset.deployment, 'blue');
    assert.equal(asset.collection, 'model_inputs');
    assert.ok(!Number.isNaN(Date.parse(asset.created)));
    assert.deepEqual(await listDataAssets(openWorkspace(ws, {})), [asset]);
  });

  it('uses data.name and data.version when given', async () => {
    const ws = tempDir();
    await collectOnce(
      ws,
      withData({
        name: 'my_model_inputs_data_asset',
        path: 'azureml://datastores/workspaceblobstore/paths/custom/inputs',
        version: 7,
      }),
    );
    assert.deepEqual(assetFiles(ws), ['my_model_inputs_data_asset/7.json']);
    const asset = readAsset(ws, 'my_model_inputs_data_asset', '7');
    assert.equal(asset.version, '7');
    assert.equal(asset.path, 'azureml://datastores/workspaceblobstore/paths/custom/inputs');
  });

  it('reuses the version for the same path, and makes a new version for a changed path', async () => {
    const ws = tempDir();
    await collectOnce(ws, withData({ name: 'inputs' }));
    await collectOnce(ws, withData({ name: 'inputs' }));
    assert.deepEqual(assetFiles(ws), ['inputs/1.json']);
    await collectOnce(
      ws,
      withData({ name: 'inputs', path: 'azureml://datastores/workspaceblobstore/paths/v2/in' }),
    );
    assert.deepEqual(assetFiles(ws), ['inputs/1.json', 'inputs/2.json']);
    const versions = await listDataAssetVersions(openWorkspace(ws, {}), 'inputs');
    assert.deepEqual(
      versions.map((v) => [v.version, v.path]),
      [
        ['1', 'azureml://datastores/workspaceblobstore/paths/modelDataCollector/ep/blue/model_inputs'],
        ['2', 'azureml://datastores/workspaceblobstore/paths/v2/in'],
      ],
    );
    // Back on the second path: still version 2, no third version.
    await collectOnce(
      ws,
      withData({ name: 'inputs', path: 'azureml://datastores/workspaceblobstore/paths/v2/in' }),
    );
    assert.deepEqual(assetFiles(ws), ['inputs/1.json', 'inputs/2.json']);
  });

  it('points a local data.path asset at its file:// folder', async () => {
    const dir = tempDir();
    const ws = join(dir, 'ws');
    await collectOnce(ws, withData({ path: join(dir, 'local-out') }));
    const asset = readAsset(ws, 'ep-blue-model_inputs', '1');
    assert.equal(asset.path, pathToFileURL(join(dir, 'local-out')).href);
  });

  it('registers one version when two processes (runtimes) start writing the same collection at once', async () => {
    const ws = tempDir();
    const rts = [0, 1, 2].map((i) =>
      makeRuntime({ workspace: ws, yaml: withData(undefined), instanceId: `i${i}` }),
    );
    for (const rt of rts) new Collector({ name: 'model_inputs', runtime: rt }).collect([{ a: 1 }]);
    await Promise.all(rts.map((rt) => rt.shutdown()));
    assert.deepEqual(assetFiles(ws), ['ep-blue-model_inputs/1.json']);
  });
});
