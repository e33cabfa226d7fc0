import assert from 'node:assert/strict';
import { appendFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { Reader, type ReadWarning, type Row } from '@model-data-collector/reader';
import {
  BasicCorrelationContext,
  Collector,
  DataCollectorRuntime,
  openWorkspace,
  registerDataAsset,
  resolveDeployment,
} from 'model-data-collector/internal';
import { T0, tempDir, writeWithSdk } from './helpers.js';

async function collectRows(reader: Reader, ref: string, options = {}): Promise<Row[]> {
  const out: Row[] = [];
  for await (const r of reader.rows(ref, options)) out.push(r);
  return out;
}

function findFiles(dir: string, suffix: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (p.endsWith(suffix)) out.push(p);
    }
  };
  walk(dir);
  return out.sort();
}

describe('Reader.rows', () => {
  test('one row per data row, with time, correlationid, row_index, id, event_id and the model columns', async () => {
    const ws = tempDir();
    await writeWithSdk(ws, T0, ({ collect }) => {
      const ctx = collect(
        'model_inputs',
        [
          { AGE: 54, SEX: 2 },
          { AGE: 35, SEX: 1 },
        ],
        new BasicCorrelationContext('call-1'),
      );
      collect('model_outputs', [{ p: 0.25 }, { p: 0.75 }], ctx);
      collect('model_inputs', { AGE: [20], SEX: [1] }, new BasicCorrelationContext('call-2'));
    });
    await using reader = await Reader.open({ workspace: ws });
    const rows = await collectRows(reader, 'model_inputs');
    const time = new Date(T0);
    assert.equal(rows.length, 3);
    const strip = rows.map(({ event_id, ...r }) => {
      assert.match(String(event_id), /^[0-9a-f-]{36}$/);
      return r;
    });
    assert.deepEqual(strip, [
      {
        time,
        correlationid: 'call-1',
        row_index: 0,
        id: 'call-1_0',
        modelversion: 'default',
        AGE: 54,
        SEX: 2,
      },
      {
        time,
        correlationid: 'call-1',
        row_index: 1,
        id: 'call-1_1',
        modelversion: 'default',
        AGE: 35,
        SEX: 1,
      },
      { time, correlationid: 'call-2', row_index: 0, id: 'call-2', modelversion: 'default', AGE: 20, SEX: 1 },
    ]);
    assert.equal(rows[0]!.event_id, rows[1]!.event_id);
    assert.deepEqual(reader.warnings, []);
  });

  test('columns that appear later, mixed number types and nested values', async () => {
    const ws = tempDir();
    await writeWithSdk(ws, T0, ({ collect }) => {
      collect('model_inputs', [{ a: 1, b: 'x' }], 'c1');
      collect('model_inputs', [{ a: 2.5, c: { k: [1, 2] }, d: true }], 'c2');
    });
    await using reader = await Reader.open({ workspace: ws });
    const plan = await reader.plan('model_inputs');
    assert.deepEqual(plan.schema.columns, [
      { name: 'a', type: 'DOUBLE' },
      { name: 'b', type: 'VARCHAR' },
      { name: 'c', type: 'JSON' },
      { name: 'd', type: 'BOOLEAN' },
    ]);
    const rows = await collectRows(reader, 'model_inputs');
    assert.deepEqual(
      rows.map((r) => [r.a, r.b, r.c, r.d]),
      [
        [1, 'x', null, null],
        [2.5, null, { k: [1, 2] }, true],
      ],
    );
  });

  test('a model column named like a row column keeps its value under a data_ prefix', async () => {
    const ws = tempDir();
    await writeWithSdk(ws, T0, ({ collect }) => {
      collect('model_inputs', [{ correlationid: 'mine-1', id: 7, x: 1 }], 'call');
    });
    await using reader = await Reader.open({ workspace: ws });
    const [row] = await collectRows(reader, 'model_inputs');
    assert.equal(row!.correlationid, 'call');
    assert.equal(row!.id, 'call');
    assert.equal(row!.data_correlationid, 'mine-1');
    assert.equal(row!.data_id, 7);
  });

  test('--since/--until prune date folders before listing them and filter event times', async () => {
    const ws = tempDir();
    const h = (hour: number, min = 0) => Date.UTC(2024, 2, 5, hour, min, 0);
    await writeWithSdk(ws, h(9), ({ collect, at }) => {
      collect('model_inputs', [{ n: 9 }], 'a');
      at(h(11, 30));
      collect('model_inputs', [{ n: 11 }], 'b');
      at(h(13));
      collect('model_inputs', [{ n: 13 }], 'c');
    });
    await using reader = await Reader.open({ workspace: ws });
    const plan = await reader.plan('model_inputs', {
      since: '2024-03-05T11:45Z',
      until: '2024-03-05T13:00Z',
    });
    assert.deepEqual(
      plan.files.logs.map((f) => f.path.split('/').slice(-5).join('/')),
      ['2024/03/05/11/instance-1.jsonl'],
    );
    assert.deepEqual(
      await collectRows(reader, 'model_inputs', { since: '2024-03-05T11:45Z', until: '2024-03-05T13:00Z' }),
      [],
    );
    const rows = await collectRows(reader, 'model_inputs', {
      since: '2024-03-05T11:00',
      until: '2024-03-05T13:00:01Z',
    });
    assert.deepEqual(
      rows.map((r) => r.n),
      [11, 13],
    );
  });

  for (const rollingRate of ['Minute', 'Day', 'Month', 'Year'] as const) {
    test(`reads the ${rollingRate} folder layout`, async () => {
      const ws = tempDir();
      await writeWithSdk(ws, T0, ({ collect }) => void collect('model_inputs', [{ v: 1 }], 'x'), {
        rollingRate,
      });
      await using reader = await Reader.open({ workspace: ws });
      const plan = await reader.plan('model_inputs', {
        since: '2024-03-05T18:16Z',
        until: '2024-03-05T18:17Z',
      });
      const depth = { Minute: 5, Day: 3, Month: 2, Year: 1 }[rollingRate];
      assert.equal(plan.files.logs.length, 1);
      assert.equal(plan.files.logs[0]!.path.split('/').length, 4 + depth + 1);
      assert.deepEqual(
        (await collectRows(reader, 'model_inputs')).map((r) => r.v),
        [1],
      );
    });
  }

  test('a torn last line is skipped and reported, never a crash', async () => {
    const ws = tempDir();
    await writeWithSdk(ws, T0, ({ collect }) => void collect('model_inputs', [{ v: 1 }, { v: 2 }], 'x'));
    const [file] = findFiles(ws, '.jsonl');
    appendFileSync(file!, '{"specversion":"1.0","id":"half-writ');
    const warnings: ReadWarning[] = [];
    await using reader = await Reader.open({ workspace: ws, onWarning: (w) => warnings.push(w) });
    assert.deepEqual(
      (await collectRows(reader, 'model_inputs')).map((r) => r.v),
      [1, 2],
    );
    assert.equal(warnings.length, 1);
    assert.equal(warnings[0]!.kind, 'torn-line');
    assert.equal(
      warnings[0]!.uri,
      'azureml://datastores/workspaceblobstore/paths/modelDataCollector/credit/blue/model_inputs/2024/03/05/18/instance-1.jsonl',
    );
  });

  test('large tables stored on their own (datainblob) are followed, or listed with blobMode list', async () => {
    const ws = tempDir();
    const big = Array.from({ length: 50 }, (_, i) => ({ i, s: `row-${i}` }));
    await writeWithSdk(
      ws,
      T0,
      ({ collect }) => {
        collect('model_inputs', [{ i: -1, s: 'small' }], 'small');
        collect('model_inputs', big, 'big');
      },
      { largePayloadBytes: 200 },
    );
    await using reader = await Reader.open({ workspace: ws });
    const rows = await collectRows(reader, 'model_inputs');
    assert.equal(rows.length, 51);
    assert.deepEqual(
      rows.filter((r) => r.correlationid === 'big').map((r) => r.i),
      big.map((r) => r.i),
    );
    assert.equal(rows.find((r) => r.correlationid === 'big' && r.row_index === 3)!.id, 'big_3');
    const listed = await collectRows(reader, 'model_inputs', { blobMode: 'list' });
    assert.equal(listed.length, 2);
    const pointer = listed.find((r) => r.correlationid === 'big')!;
    assert.match(
      String(pointer.data_uri),
      /^azureml:\/\/datastores\/workspaceblobstore\/paths\/modelDataCollector\/credit\/blue\/model_inputs\/2024\/03\/05\/18\/[0-9a-f-]{36}$/,
    );
    assert.equal(pointer.i, null);
    assert.equal(listed.find((r) => r.correlationid === 'small')!.data_uri, null);
  });

  test("an event line longer than DuckDB's default 16 MB object limit still reads", async () => {
    const ws = tempDir();
    const rows = Array.from({ length: 20_000 }, (_, i) => ({ i, s: 'x'.repeat(1000) }));
    await writeWithSdk(ws, T0, ({ collect }) => void collect('model_inputs', rows, 'huge'), {
      largePayloadBytes: 64 * 1024 * 1024,
    });
    await using reader = await Reader.open({ workspace: ws });
    const [r] = await reader.all('SELECT count(*) AS n, max(i) AS top FROM model_inputs');
    assert.deepEqual(r, { n: 20_000, top: 19_999 });
  });

  test('payload collections: any JSON body as a data column, text and binary stored payloads', async () => {
    const ws = tempDir();
    await writeWithSdk(
      ws,
      T0,
      ({ runtime }) => {
        const req = runtime.collection('request');
        const ctx = new BasicCorrelationContext('req-1');
        req.emit({ correlation: ctx, json: '{"data":[[1,2],[3,4]]}', path: '/score', method: 'POST' });
        req.emit({
          correlation: new BasicCorrelationContext('req-2'),
          raw: Buffer.from('hello text'),
          contentType: 'text/plain',
          path: '/score',
          method: 'POST',
        });
        req.emit({
          correlation: new BasicCorrelationContext('req-3'),
          raw: Buffer.from([0xff, 0x00, 0xfe]),
          contentType: 'application/octet-stream',
          path: '/score',
          method: 'POST',
        });
        runtime.collection('response').emit({ correlation: ctx, json: '[0.5,0.25]' });
      },
      { collections: ['request', 'response'] },
    );
    await using reader = await Reader.open({ workspace: ws });
    // Rows have no guaranteed order (the stored-payload join reorders them): sort to compare.
    const rows = (await collectRows(reader, 'request')).sort((a, b) =>
      String(a.correlationid).localeCompare(String(b.correlationid)),
    );
    assert.deepEqual(
      rows.map((r) => [
        r.correlationid,
        r.row_index,
        r.path,
        r.method,
        r.datacontenttype,
        r.data,
        r.data_uri === null,
      ]),
      [
        [
          'req-1',
          0,
          '/score',
          'POST',
          'application/json',
          {
            data: [
              [1, 2],
              [3, 4],
            ],
          },
          true,
        ],
        ['req-2', 0, '/score', 'POST', 'text/plain', 'hello text', false],
        ['req-3', 0, '/score', 'POST', 'application/octet-stream', null, false],
      ],
    );
    const listed = await collectRows(reader, 'request', { blobMode: 'list' });
    const text = listed.find((r) => r.correlationid === 'req-2')!;
    assert.equal(text.data, null);
    assert.match(
      String(text.data_uri),
      /^azureml:\/\/datastores\/workspaceblobstore\/paths\/.*\/request\/2024\/03\/05\/18\//,
    );
    const [resp] = await collectRows(reader, 'response');
    assert.deepEqual(resp!.data, [0.5, 0.25]);
  });
});

describe('names: data assets, versions and collections', () => {
  test('NAME, NAME@VERSION, a collection name and --endpoint/--deployment', async () => {
    const ws = tempDir();
    await writeWithSdk(ws, T0, ({ collect }) => void collect('model_inputs', [{ v: 'blue' }], 'b'));
    await writeWithSdk(ws, T0, ({ collect }) => void collect('model_inputs', [{ v: 'green' }], 'g'), {
      deployment: 'green',
    });
    await using reader = await Reader.open({ workspace: ws });
    await assert.rejects(reader.plan('model_inputs'), { code: 'MDC_AMBIGUOUS_COLLECTION' });
    const green = await collectRows(reader, 'model_inputs', { deployment: 'green' });
    assert.deepEqual(
      green.map((r) => r.v),
      ['green'],
    );
    assert.deepEqual(
      (await collectRows(reader, 'credit-blue-model_inputs')).map((r) => r.v),
      ['blue'],
    );
    assert.deepEqual(
      (await collectRows(reader, 'credit-blue-model_inputs@1')).map((r) => r.v),
      ['blue'],
    );
    await assert.rejects(reader.plan('credit-blue-model_inputs@7'), {
      code: 'MDC_UNKNOWN_ASSET',
      message: 'data asset "credit-blue-model_inputs" has no version "7" (versions: 1)',
    });
    await assert.rejects(reader.plan('nothing'), { code: 'MDC_UNKNOWN_ASSET' });
  });

  test('a changed path is a new version; each version reads its own folder', async () => {
    const ws = tempDir();
    await writeWithSdk(ws, T0, ({ collect }) => void collect('model_inputs', [{ v: 1 }], 'one'));
    const w = openWorkspace(ws);
    await registerDataAsset(w, {
      name: 'credit-blue-model_inputs',
      path: 'azureml://datastores/workspaceblobstore/paths/elsewhere/model_inputs',
      endpoint: 'credit',
      deployment: 'blue',
      collection: 'model_inputs',
    });
    await using reader = await Reader.open({ workspace: ws });
    assert.deepEqual(
      (await reader.assets()).map((a) => `${a.name}@${a.version}`),
      ['credit-blue-model_inputs@1', 'credit-blue-model_inputs@2'],
    );
    assert.deepEqual(
      (await collectRows(reader, 'credit-blue-model_inputs@1')).map((r) => r.v),
      [1],
    );
    assert.deepEqual(await collectRows(reader, 'credit-blue-model_inputs'), []);
  });

  test('data.name, data.version and a data.path outside the datastores (a file:// asset)', async () => {
    const ws = tempDir();
    const folder = join(tempDir(), 'my-inputs');
    const runtime = new DataCollectorRuntime({
      workspace: ws,
      deployment: resolveDeployment({
        endpoint_name: 'ep',
        name: 'blue',
        data_collector: {
          collections: {
            model_inputs: { enabled: 'True', data: { name: 'my_inputs', path: folder, version: 3 } },
          },
        },
      }),
      clock: () => T0,
      handleProcessExit: false,
    });
    new Collector({ name: 'model_inputs', runtime }).collect([{ q: 1 }], new BasicCorrelationContext('k'));
    await runtime.shutdown();
    await using reader = await Reader.open({ workspace: ws });
    const [asset] = await reader.assets();
    assert.equal(asset!.path, pathToFileURL(folder).href);
    assert.deepEqual(
      (await collectRows(reader, 'my_inputs@3')).map((r) => [r.id, r.q]),
      [['k', 1]],
    );
    assert.deepEqual(
      (await collectRows(reader, 'model_inputs')).map((r) => r.q),
      [1],
    );
  });

  test('an asset on a datastore the workspace lacks: MDC_UNKNOWN_DATASTORE', async () => {
    const ws = tempDir();
    await registerDataAsset(openWorkspace(ws), {
      name: 'lost',
      path: 'azureml://datastores/nosuchstore/paths/x/y',
      endpoint: 'e',
      deployment: 'd',
      collection: 'c',
    });
    await using reader = await Reader.open({ workspace: ws });
    await assert.rejects(reader.plan('lost'), { code: 'MDC_UNKNOWN_DATASTORE' });
  });

  test('a bad time range: MDC_INVALID_TIME_RANGE', async () => {
    const ws = tempDir();
    await using reader = await Reader.open({ workspace: ws });
    await assert.rejects(reader.plan('x', { since: 'yesterday-ish' }), { code: 'MDC_INVALID_TIME_RANGE' });
    await assert.rejects(reader.plan('x', { since: '2024-03-06', until: '2024-03-05' }), {
      code: 'MDC_INVALID_TIME_RANGE',
      message:
        'the time range is empty: --since 2024-03-06T00:00:00Z is not before --until 2024-03-05T00:00:00Z',
    });
  });
});
