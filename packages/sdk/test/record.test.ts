// Every field of every event, as the bytes on disk show it.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { describe, it } from 'node:test';
import { BasicCorrelationContext, Collector } from '../src/internal.js';
import { blobstore, FIXED_MS, makeRuntime, readEvents, tempDir, writeText } from './helpers.js';

const PKG = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
  version: string;
};
const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
/** The reference's field order for a tabular event. */
const TABLE_FIELDS = [
  'specversion',
  'id',
  'source',
  'type',
  'datacontenttype',
  'time',
  'data',
  'correlationid',
  'xrequestid',
  'modelversion',
  'collectdatatype',
  'agent',
  'contentrange',
];

/** The text of `data` exactly as written in the line (between `"data":` and the next field). */
function dataText(line: string): string {
  const start = line.indexOf(',"data":') + ',"data":'.length;
  const end = line.indexOf(',"correlationid":', start);
  assert.ok(start > 8 && end > start, `data field found in ${line.slice(0, 200)}`);
  return line.slice(start, end);
}

function contentRange(text: string): string {
  const n = Buffer.byteLength(text, 'utf8');
  return `bytes 0-${n - 1}/${n}`;
}

describe('the event record on disk', () => {
  it('writes every field of every event in the reference order, with workspace values from workspace.yml', async () => {
    const ws = tempDir();
    writeText(join(ws, 'workspace.yml'), [
      'name: mirmasterws',
      'subscription_id: bbbb1b1b-cc2c-dd3d-ee4e-ffffff5f5f5f',
      'resource_group: mire2etesting',
    ]);
    const rt = makeRuntime({
      workspace: ws,
      yaml: { endpoint_name: 'localdev-endpoint', name: 'localdev', model: 'azureml:credit:3' },
    });
    const inputs = new Collector({ name: 'model_inputs', runtime: rt });
    const outputs = new Collector({ name: 'model_outputs', runtime: rt });
    const calls: { collection: string; rows: unknown[]; ctx: string }[] = [];
    for (let i = 0; i < 5; i++) {
      const rows = [
        { label: 'DRUG', pattern: `aspirin-${i}`, n: i, ok: i % 2 === 0, none: null },
        { label: 'DRUG', pattern: 'trazodone', n: i + 0.5, ok: false, none: null },
      ];
      const ctx = inputs.collect(rows);
      const preds = [{ score: i / 7 }, { score: 1 - i / 7 }];
      outputs.collect(preds, ctx);
      calls.push({ collection: 'model_inputs', rows, ctx: ctx.id });
      calls.push({ collection: 'model_outputs', rows: preds, ctx: ctx.id });
    }
    await rt.shutdown();

    const lines = readEvents(blobstore(ws));
    assert.equal(lines.length, calls.length);
    const source =
      '/subscriptions/bbbb1b1b-cc2c-dd3d-ee4e-ffffff5f5f5f/resourceGroups/mire2etesting' +
      '/providers/Microsoft.MachineLearningServices/workspaces/mirmasterws' +
      '/onlineEndpoints/localdev-endpoint/deployments/localdev';
    const ids = new Set<string>();
    for (const collection of ['model_inputs', 'model_outputs']) {
      const mine = lines.filter((l) => l.file.includes(`/${collection}/`));
      const expected = calls.filter((c) => c.collection === collection);
      assert.equal(mine.length, expected.length, collection);
      mine.forEach(({ file, text, event }, i) => {
        const want = expected[i]!;
        assert.equal(
          file,
          `modelDataCollector/localdev-endpoint/localdev/${collection}/2024/03/05/18/inst.jsonl`,
        );
        assert.deepEqual(Object.keys(event), TABLE_FIELDS);
        assert.equal(event.specversion, '1.0');
        assert.match(event.id as string, UUID_V4);
        ids.add(event.id as string);
        assert.equal(event.source, source);
        assert.equal(event.type, `azureml.inference.${collection}`);
        assert.equal(event.datacontenttype, 'application/json');
        assert.equal(event.time, '2024-03-05T18:16:25Z');
        assert.deepEqual(event.data, want.rows);
        assert.equal(event.correlationid, want.ctx);
        assert.equal(event.xrequestid, want.ctx);
        assert.equal(event.modelversion, '3');
        assert.equal(event.collectdatatype, 'pandas.core.frame.DataFrame');
        assert.equal(event.agent, `model-data-collector/${PKG.version}`);
        assert.equal(event.contentrange, contentRange(dataText(text)));
        // The line is compact JSON: the same text a reader re-serializing the event would get.
        assert.equal(text, JSON.stringify(event));
      });
    }
    assert.equal(ids.size, calls.length, 'every event id is unique');
  });

  it('uses the local defaults in source when the workspace has no workspace.yml', async () => {
    const rt = makeRuntime();
    new Collector({ name: 'model_inputs', runtime: rt }).collect([{ a: 1 }]);
    await rt.shutdown();
    const [line] = readEvents(blobstore(rt.ws));
    assert.equal(
      line!.event.source,
      `/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/local/providers/Microsoft.MachineLearningServices/workspaces/${basename(rt.ws)}/onlineEndpoints/ep/deployments/blue`,
    );
  });

  it('uses the local endpoint and deployment names when there is no deployment', async () => {
    const ws = tempDir();
    const rt = makeRuntime({ workspace: ws, deployment: undefined });
    new Collector({ name: 'model_inputs', runtime: rt }).collect([{ a: 1 }]);
    await rt.shutdown();
    const [line] = readEvents(blobstore(ws));
    assert.equal(line!.file, 'modelDataCollector/local-endpoint/local/model_inputs/2024/03/05/18/inst.jsonl');
    assert.match(line!.event.source as string, /\/onlineEndpoints\/local-endpoint\/deployments\/local$/);
    assert.equal(line!.event.modelversion, 'default');
  });

  it('takes modelversion from azureml:name:<version>, and "default" otherwise', async () => {
    const cases: [unknown, string][] = [
      ['azureml:credit:3', '3'],
      ['azureml:my-model-m1:12', '12'],
      ['azureml:iris_mlflow_model@latest', 'default'],
      ['model/onnx', 'default'],
      [{ name: 'credit', version: 4 }, '4'],
      [undefined, 'default'],
    ];
    for (const [model, want] of cases) {
      const rt = makeRuntime({ yaml: { endpoint_name: 'ep', name: 'blue', model } });
      new Collector({ name: 'model_inputs', runtime: rt }).collect([{ a: 1 }]);
      await rt.shutdown();
      const [line] = readEvents(blobstore(rt.ws));
      assert.equal(line!.event.modelversion, want, `model ${JSON.stringify(model)}`);
    }
  });

  it('counts contentrange in UTF-8 bytes of the serialized data, non-ASCII included', async () => {
    const rt = makeRuntime();
    const c = new Collector({ name: 'model_inputs', runtime: rt });
    const tables = [
      [{ name: 'Zoë', city: 'Zürich', note: '日本語のテキスト', emoji: '😀👍🏽' }],
      [{ s: 'a\u00e9\u4e2d\ud83d\ude00' }, { s: 'line\nbreak "quoted" \\ back' }],
      [{ k: 'ascii only' }],
      [],
    ];
    for (const t of tables) c.collect(t);
    await rt.shutdown();
    const lines = readEvents(blobstore(rt.ws));
    assert.equal(lines.length, tables.length);
    lines.forEach(({ text, event }, i) => {
      const data = dataText(text);
      assert.deepEqual(event.data, tables[i]);
      assert.equal(data, JSON.stringify(tables[i]));
      assert.equal(event.contentrange, contentRange(data));
    });
    // The first table has multi-byte characters: its byte count differs from its UTF-16 length.
    const first = dataText(lines[0]!.text);
    assert.notEqual(Buffer.byteLength(first), first.length);
  });

  it('writes the time of the injected clock in UTC to the second with Z', async () => {
    const times = [Date.UTC(2023, 0, 1, 0, 0, 0, 0), Date.UTC(2023, 11, 31, 23, 59, 59, 999), FIXED_MS];
    let now = 0;
    const rt = makeRuntime({ clock: () => times[now]!, rollingRate: 'Year' });
    const c = new Collector({ name: 'model_inputs', runtime: rt });
    for (now = 0; now < times.length; now++) c.collect([{ i: now }]);
    await rt.shutdown();
    const got = readEvents(blobstore(rt.ws)).map((l) => l.event.time);
    assert.deepEqual(got, ['2023-01-01T00:00:00Z', '2023-12-31T23:59:59Z', '2024-03-05T18:16:25Z']);
  });

  it('writes correlationid and xrequestid of a BasicCorrelationContext', async () => {
    const rt = makeRuntime();
    const c = new Collector({ name: 'model_inputs', runtime: rt });
    c.collect([{ a: 1 }], new BasicCorrelationContext('my-id'));
    c.collect([{ a: 2 }], new BasicCorrelationContext('corr-2', 'req-2'));
    await rt.shutdown();
    const events = readEvents(blobstore(rt.ws)).map((l) => l.event);
    assert.equal(events[0]!.correlationid, 'my-id');
    assert.equal(events[0]!.xrequestid, 'my-id');
    assert.equal(events[1]!.correlationid, 'corr-2');
    assert.equal(events[1]!.xrequestid, 'req-2');
  });

  it('puts one event per line, each line ending in \\n, with no other bytes in the file', async () => {
    const rt = makeRuntime();
    const c = new Collector({ name: 'model_inputs', runtime: rt });
    for (let i = 0; i < 50; i++) c.collect([{ i, text: 'with\nnewline\r\nand\u2028separator' }]);
    await rt.shutdown();
    const file = join(blobstore(rt.ws), 'modelDataCollector/ep/blue/model_inputs/2024/03/05/18/inst.jsonl');
    const text = readFileSync(file, 'utf8');
    const lines = text.split('\n');
    assert.equal(lines.length, 51);
    assert.equal(lines.at(-1), '');
    for (const [i, line] of lines.slice(0, -1).entries()) {
      const e = JSON.parse(line) as { data: { i: number; text: string }[] };
      assert.deepEqual(e.data, [{ i, text: 'with\nnewline\r\nand\u2028separator' }]);
    }
  });
});
