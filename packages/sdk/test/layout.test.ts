// Where files land: rolled folders per rolling_rate, instance file names, and data.path in each form.
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { Collector, DataCollectorRuntime, type RollingRate, resolveDeployment } from '../src/internal.js';
import {
  blobstore,
  catchMdc,
  FIXED_MS,
  listFiles,
  makeRuntime,
  readEvents,
  tempDir,
  writeText,
} from './helpers.js';

const BASE = 'modelDataCollector/ep/blue/model_inputs';

describe('rolled folders', () => {
  const expected: Record<RollingRate, string> = {
    Minute: '2024/03/05/18/16',
    Hour: '2024/03/05/18',
    Day: '2024/03/05',
    Month: '2024/03',
    Year: '2024',
  };
  for (const [rate, folder] of Object.entries(expected) as [RollingRate, string][]) {
    it(`${rate}: writes under ${folder}/`, async () => {
      const rt = makeRuntime({ rollingRate: rate });
      new Collector({ name: 'model_inputs', runtime: rt }).collect([{ a: 1 }]);
      await rt.shutdown();
      assert.deepEqual(listFiles(blobstore(rt.ws)), [`${BASE}/${folder}/inst.jsonl`]);
    });
  }

  it('takes rolling_rate from the deployment YAML', async () => {
    const rt = makeRuntime({
      yaml: {
        endpoint_name: 'ep',
        name: 'blue',
        data_collector: { rolling_rate: 'Minute', collections: { model_inputs: { enabled: 'True' } } },
      },
    });
    new Collector({ name: 'model_inputs', runtime: rt }).collect([{ a: 1 }]);
    await rt.shutdown();
    assert.deepEqual(listFiles(blobstore(rt.ws)), [`${BASE}/2024/03/05/18/16/inst.jsonl`]);
  });

  const crossings: [RollingRate, number, number, string, string][] = [
    [
      'Minute',
      Date.UTC(2024, 2, 5, 18, 16, 59, 999),
      Date.UTC(2024, 2, 5, 18, 17),
      '2024/03/05/18/16',
      '2024/03/05/18/17',
    ],
    [
      'Hour',
      Date.UTC(2024, 2, 5, 18, 59, 59, 999),
      Date.UTC(2024, 2, 5, 19),
      '2024/03/05/18',
      '2024/03/05/19',
    ],
    ['Day', Date.UTC(2024, 1, 28, 23, 59, 59, 999), Date.UTC(2024, 1, 29), '2024/02/28', '2024/02/29'],
    ['Month', Date.UTC(2024, 1, 29, 23, 59, 59, 999), Date.UTC(2024, 2, 1), '2024/02', '2024/03'],
    ['Year', Date.UTC(2023, 11, 31, 23, 59, 59, 999), Date.UTC(2024, 0, 1), '2023', '2024'],
  ];
  for (const [rate, before, afterMs, first, second] of crossings) {
    it(`${rate}: a clock crossing a period boundary writes two files in two folders`, async () => {
      let now = before;
      const rt = makeRuntime({ rollingRate: rate, clock: () => now });
      const c = new Collector({ name: 'model_inputs', runtime: rt });
      c.collect([{ n: 1 }]);
      c.collect([{ n: 2 }]);
      now = afterMs;
      c.collect([{ n: 3 }]);
      await rt.flush();
      // And back again (a clock stepped back): the event goes to the folder of its own time.
      now = before;
      c.collect([{ n: 4 }]);
      await rt.shutdown();
      const root = blobstore(rt.ws);
      assert.deepEqual(listFiles(root), [`${BASE}/${first}/inst.jsonl`, `${BASE}/${second}/inst.jsonl`]);
      const byFile = new Map<string, unknown[]>();
      for (const l of readEvents(root)) {
        byFile.set(l.file, [...(byFile.get(l.file) ?? []), (l.event.data as { n: number }[])[0]!.n]);
      }
      assert.deepEqual(byFile.get(`${BASE}/${first}/inst.jsonl`), [1, 2, 4]);
      assert.deepEqual(byFile.get(`${BASE}/${second}/inst.jsonl`), [3]);
    });
  }
});

describe('instance file names', () => {
  it('names the file by the instanceId option', async () => {
    const rt = makeRuntime({ instanceId: 'pod-7' });
    new Collector({ name: 'model_inputs', runtime: rt }).collect([{ a: 1 }]);
    await rt.shutdown();
    assert.deepEqual(listFiles(blobstore(rt.ws)), [`${BASE}/2024/03/05/18/pod-7.jsonl`]);
  });

  it('names the file by MDC_INSTANCE_ID when no option is given', async () => {
    const ws = tempDir();
    const rt = new DataCollectorRuntime(
      {
        workspace: ws,
        deployment: resolveDeployment({ endpoint_name: 'ep', name: 'blue' }),
        clock: () => FIXED_MS,
        handleProcessExit: false,
      },
      { MDC_INSTANCE_ID: 'replica-3' },
    );
    new Collector({ name: 'model_inputs', runtime: rt }).collect([{ a: 1 }]);
    await rt.shutdown();
    assert.deepEqual(listFiles(blobstore(ws)), [`${BASE}/2024/03/05/18/replica-3.jsonl`]);
  });

  it('names the file by a random UUID by default, one per runtime', async () => {
    const ws = tempDir();
    const names = new Set<string>();
    for (let i = 0; i < 2; i++) {
      const rt = new DataCollectorRuntime(
        {
          workspace: ws,
          deployment: resolveDeployment({ endpoint_name: 'ep', name: 'blue' }),
          clock: () => FIXED_MS,
          handleProcessExit: false,
        },
        {},
      );
      const c = new Collector({ name: 'model_inputs', runtime: rt });
      c.collect([{ a: 1 }]);
      c.collect([{ a: 2 }]);
      await rt.shutdown();
      names.add(rt.instanceId);
    }
    const files = listFiles(blobstore(ws));
    assert.equal(files.length, 2);
    for (const f of files) {
      assert.match(f, /^modelDataCollector\/ep\/blue\/model_inputs\/2024\/03\/05\/18\/[0-9a-f-]{36}\.jsonl$/);
      assert.ok(names.has(f.split('/').at(-1)!.replace('.jsonl', '')));
    }
  });

  it('rejects an instance id that is not a plain file name', () => {
    for (const instanceId of ['a/b', '..', '']) {
      assert.equal(catchMdc(() => makeRuntime({ instanceId })).code, 'MDC_INVALID_OPTION', instanceId);
    }
  });
});

describe('data.path', () => {
  const yamlWith = (path: string) => ({
    endpoint_name: 'ep',
    name: 'blue',
    data_collector: { collections: { model_inputs: { enabled: true, data: { name: 'mi', path } } } },
  });

  it('writes to an azureml://datastores/<name>/paths/<path> short URI', async () => {
    const rt = makeRuntime({ yaml: yamlWith('azureml://datastores/workspaceblobstore/paths/custom/inputs') });
    new Collector({ name: 'model_inputs', runtime: rt }).collect([{ a: 1 }]);
    await rt.shutdown();
    assert.deepEqual(listFiles(blobstore(rt.ws)), ['custom/inputs/2024/03/05/18/inst.jsonl']);
  });

  it('writes to another datastore the workspace defines', async () => {
    const ws = tempDir();
    writeText(join(ws, 'workspace.yml'), [
      'datastores:',
      '  archive:',
      '    type: local',
      '    path: archive-store',
    ]);
    const rt = makeRuntime({ workspace: ws, yaml: yamlWith('azureml://datastores/archive/paths/mdc/in') });
    new Collector({ name: 'model_inputs', runtime: rt }).collect([{ a: 1 }]);
    await rt.shutdown();
    assert.deepEqual(listFiles(join(ws, 'archive-store')), ['mdc/in/2024/03/05/18/inst.jsonl']);
  });

  it('writes to the long azureml://subscriptions/.../workspaces/.../datastores/.../paths/... form', async () => {
    const rt = makeRuntime({
      yaml: yamlWith(
        'azureml://subscriptions/aaaa0a0a-bb1b-cc2c-dd3d-eeeeee4e4e4e/resourcegroups/rg1/workspaces/ws1/datastores/workspaceblobstore/paths/long/form',
      ),
    });
    new Collector({ name: 'model_inputs', runtime: rt }).collect([{ a: 1 }]);
    await rt.shutdown();
    assert.deepEqual(listFiles(blobstore(rt.ws)), ['long/form/2024/03/05/18/inst.jsonl']);
  });

  it('writes to a local path relative to the YAML file', async () => {
    const dir = tempDir();
    mkdirSync(join(dir, 'conf'));
    const file = writeText(join(dir, 'conf', 'deployment.yml'), [
      'endpoint_name: ep',
      'name: blue',
      'data_collector:',
      '  collections:',
      '    model_inputs:',
      "      enabled: 'True'",
      '      data:',
      '        name: local_inputs',
      '        path: ../collected/inputs',
    ]);
    const ws = join(dir, 'ws');
    const rt = makeRuntime({ workspace: ws, deployment: file });
    new Collector({ name: 'model_inputs', runtime: rt }).collect([{ a: 1 }]);
    await rt.shutdown();
    assert.deepEqual(listFiles(join(dir, 'collected', 'inputs')), ['2024/03/05/18/inst.jsonl']);
    assert.equal(readEvents(join(dir, 'collected')).length, 1);
  });

  it('fails at runtime construction, not at the first write, on an unknown datastore', () => {
    const err = catchMdc(() => makeRuntime({ yaml: yamlWith('azureml://datastores/nosuchstore/paths/x') }));
    assert.equal(err.code, 'MDC_UNKNOWN_DATASTORE');
    assert.match(err.message, /nosuchstore/);
    assert.match(err.message, /workspaceblobstore/);
  });

  it('fails at runtime construction on an azureml URI it cannot parse or that climbs out with ..', () => {
    for (const path of [
      'azureml://datastores/workspaceblobstore',
      'azureml://datastores/workspaceblobstore/paths/a/../../b',
    ]) {
      assert.equal(catchMdc(() => makeRuntime({ yaml: yamlWith(path) })).code, 'MDC_INVALID_PATH', path);
    }
  });
});
