import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { DuckDBInstance } from '@duckdb/node-api';
import { planJoin, Reader, writeResult } from '@model-data-collector/reader';
import { BasicCorrelationContext } from 'model-data-collector/internal';
import { T0, tempDir, writeWithSdk } from './helpers.js';

async function creditWorkspace(): Promise<string> {
  const ws = tempDir();
  await writeWithSdk(ws, T0, ({ collect }) => {
    const a = collect(
      'model_inputs',
      [
        { AGE: 54, SEX: 2 },
        { AGE: 35, SEX: 1 },
      ],
      new BasicCorrelationContext('a'),
    );
    collect('model_outputs', [{ default: 1 }, { default: 0 }], a);
    const b = collect('model_inputs', [{ AGE: 35, SEX: 2 }], new BasicCorrelationContext('b'));
    collect('model_outputs', [{ default: 0 }], b);
    collect('model_inputs', [{ AGE: 41, SEX: 1 }], new BasicCorrelationContext('no-output'));
    collect('model_outputs', [{ default: 1 }], new BasicCorrelationContext('no-input'));
  });
  return ws;
}

describe('Reader.query', () => {
  test('every collection and data asset is a view; SQL runs on DuckDB', async () => {
    const ws = await creditWorkspace();
    await using reader = await Reader.open({ workspace: ws });
    assert.deepEqual(await reader.all('SELECT AGE, count(*) AS n FROM model_inputs GROUP BY 1 ORDER BY 1'), [
      { AGE: 35, n: 2 },
      { AGE: 41, n: 1 },
      { AGE: 54, n: 1 },
    ]);
    assert.deepEqual(await reader.all('SELECT count(*) AS n FROM "credit-blue-model_outputs"'), [{ n: 4 }]);
    assert.deepEqual(await reader.all('SELECT count(*) AS n FROM "credit-blue-model_inputs@1"'), [{ n: 4 }]);
    const joined = await reader.all(
      'SELECT i.id, o."default" FROM model_inputs i JOIN model_outputs o USING (correlationid, row_index) ORDER BY 1',
    );
    assert.deepEqual(joined, [
      { id: 'a_0', default: 1 },
      { id: 'a_1', default: 0 },
      { id: 'b', default: 0 },
    ]);
  });

  test("bad SQL fails with MDC_QUERY_FAILED and DuckDB's message", async () => {
    const ws = await creditWorkspace();
    await using reader = await Reader.open({ workspace: ws });
    await assert.rejects(reader.all('SELEC 1'), (err: Error & { code?: string }) => {
      assert.equal(err.code, 'MDC_QUERY_FAILED');
      assert.match(err.message, /Parser Error: syntax error at or near "SELEC"/);
      return true;
    });
    await assert.rejects(reader.all('SELECT * FROM model_inptus'), (err: Error & { code?: string }) => {
      assert.equal(err.code, 'MDC_QUERY_FAILED');
      // The closest collection, not DuckDB's guess from its own catalog ("did you mean duckdb_columns?").
      assert.match(
        err.message,
        /^Catalog Error: no collection, data asset or table named model_inptus: did you mean model_inputs\?\n/,
      );
      assert.doesNotMatch(err.message, /duckdb_/);
      assert.match(
        err.message,
        /\(collections: model_inputs, model_outputs; data assets: credit-blue-model_inputs, credit-blue-model_outputs\)$/,
      );
      return true;
    });
    await assert.rejects(reader.all('SELECT * FROM "credit-blue-model_output"'), (err: Error) => {
      assert.match(err.message, /named credit-blue-model_output: did you mean credit-blue-model_outputs\?/);
      return true;
    });
    await assert.rejects(reader.all('SELECT * FROM zzz'), (err: Error) => {
      assert.match(err.message, /^Catalog Error: no collection, data asset or table named zzz\n/);
      return true;
    });
  });

  test('no DuckDB extension can be installed or loaded at run time', async () => {
    await using reader = await Reader.open({ workspace: tempDir() });
    await assert.rejects(reader.all("SELECT * FROM read_csv('https://example.com/x.csv')"), {
      code: 'MDC_QUERY_FAILED',
    });
    const [{ n }] = (await reader.all(
      "SELECT count(*) AS n FROM duckdb_extensions() WHERE loaded AND extension_name IN ('json', 'parquet')",
    )) as [{ n: number }];
    assert.equal(n, 2);
  });

  test('toArrow gives an Apache Arrow table with typed columns', async () => {
    const ws = await creditWorkspace();
    await using reader = await Reader.open({ workspace: ws });
    const table = await reader.toArrow('SELECT "time", id, AGE FROM model_inputs ORDER BY id');
    assert.equal(table.numRows, 4);
    assert.deepEqual(
      table.schema.fields.map((f) => [f.name, String(f.type)]),
      [
        ['time', 'Timestamp<MILLISECOND>'],
        ['id', 'Utf8'],
        ['AGE', 'Int64'],
      ],
    );
    assert.equal(table.getChild('AGE')!.get(0), 54n);
    assert.equal(table.getChild('time')!.get(0), T0);
  });
});

describe('planJoin', () => {
  test('inputs paired with outputs on correlationid and row_index, with counts of each side', async () => {
    const ws = await creditWorkspace();
    await using reader = await Reader.open({ workspace: ws });
    const join = await planJoin(reader);
    assert.deepEqual(join.stats, { matched: 3, inputsOnly: 1, outputsOnly: 1 });
    const rows = await reader.all(
      `SELECT id, AGE, SEX, "default", output_time FROM (${join.sql}) ORDER BY id`,
    );
    assert.deepEqual(rows, [
      { id: 'a_0', AGE: 54, SEX: 2, default: 1, output_time: new Date(T0) },
      { id: 'a_1', AGE: 35, SEX: 1, default: 0, output_time: new Date(T0) },
      { id: 'b', AGE: 35, SEX: 2, default: 0, output_time: new Date(T0) },
      { id: 'no-output', AGE: 41, SEX: 1, default: null, output_time: null },
    ]);
  });

  test('ground truth from CSV, JSON lines or Parquet is left-joined on a column', async () => {
    const ws = await creditWorkspace();
    const dir = tempDir();
    const csv = join(dir, 'truth.csv');
    writeFileSync(csv, 'id,label\na_0,1\nb,0\nnever,1\n');
    const jsonl = join(dir, 'truth.jsonl');
    writeFileSync(jsonl, '{"id":"a_0","label":1}\n{"id":"b","label":0}\n{"id":"never","label":1}\n');
    await using reader = await Reader.open({ workspace: ws });
    const parquet = join(dir, 'truth.parquet');
    await reader.run(`COPY (SELECT * FROM read_csv('${csv}')) TO '${parquet}' (FORMAT parquet)`);
    for (const file of [csv, jsonl, parquet]) {
      const j = await planJoin(reader, { groundTruth: file, on: 'id' });
      assert.deepEqual(j.stats, {
        matched: 3,
        inputsOnly: 1,
        outputsOnly: 1,
        groundTruthMatched: 2,
        groundTruthMissing: 2,
        groundTruthUnused: 1,
      });
      const rows = await reader.all(`SELECT id, "default", label FROM (${j.sql}) ORDER BY id`);
      assert.deepEqual(rows, [
        { id: 'a_0', default: 1, label: 1 },
        { id: 'a_1', default: 0, label: null },
        { id: 'b', default: 0, label: 0 },
        { id: 'no-output', default: null, label: null },
      ]);
    }
    await assert.rejects(planJoin(reader, { groundTruth: csv, on: 'nope' }), { code: 'MDC_INVALID_OPTION' });
    await assert.rejects(planJoin(reader, { groundTruth: join(dir, 'missing.csv') }), {
      code: 'MDC_PATH_NOT_FOUND',
    });
  });
});

describe('writeResult', () => {
  test('CSV and JSON lines to a file; Parquet that DuckDB reads back with the same rows and types', async () => {
    const ws = await creditWorkspace();
    const dir = tempDir();
    await using reader = await Reader.open({ workspace: ws });
    const plan = await reader.plan('model_inputs');
    const sql = `SELECT * FROM (${plan.sql}) ORDER BY id`;
    const csv = join(dir, 'in.csv');
    assert.deepEqual(await writeResult(reader, sql, { format: 'csv', out: csv }), {
      rows: 4,
      truncated: false,
    });
    const lines = readFileSync(csv, 'utf8').trimEnd().split('\n');
    assert.equal(lines[0], 'time,correlationid,row_index,id,event_id,modelversion,AGE,SEX');
    assert.match(lines[1]!, /^2024-03-05T18:16:25Z,a,0,a_0,[0-9a-f-]{36},default,54,2$/);
    const pq = join(dir, 'in.parquet');
    assert.deepEqual(await writeResult(reader, sql, { format: 'parquet', out: pq }), {
      rows: 4,
      truncated: false,
    });
    const db = await DuckDBInstance.create(':memory:');
    const conn = await db.connect();
    const back = await conn.runAndReadAll(`SELECT * FROM read_parquet('${pq}') ORDER BY id`);
    assert.deepEqual(
      back.columnNames().map((n, i) => `${n} ${back.columnType(i)}`),
      [
        'time TIMESTAMP',
        'correlationid VARCHAR',
        'row_index BIGINT',
        'id VARCHAR',
        'event_id VARCHAR',
        'modelversion VARCHAR',
        'AGE BIGINT',
        'SEX BIGINT',
      ],
    );
    assert.deepEqual(
      back.getRowObjectsJson().map((r) => [r.time, r.id, r.AGE]),
      [
        ['2024-03-05 18:16:25', 'a_0', '54'],
        ['2024-03-05 18:16:25', 'a_1', '35'],
        ['2024-03-05 18:16:25', 'b', '35'],
        ['2024-03-05 18:16:25', 'no-output', '41'],
      ],
    );
    conn.closeSync();
    db.closeSync();
    await assert.rejects(writeResult(reader, sql, { format: 'parquet' }), { code: 'MDC_INVALID_OPTION' });
  });
});
