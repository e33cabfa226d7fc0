import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, test } from 'node:test';
import { DuckDBInstance } from '@duckdb/node-api';
import { BasicCorrelationContext, openWorkspace, registerDataAsset } from 'model-data-collector/internal';
import { buildCli, FIXTURES, mdc, T0, tempDir, writeWithSdk } from './helpers.js';

const ws = tempDir();
/** Event ids of the model_inputs events, in file order (the SDK makes them random). */
let ids: string[];

before(async () => {
  buildCli();
  await writeWithSdk(ws, T0, ({ collect }) => {
    const a = collect(
      'model_inputs',
      [
        { AGE: 54, SEX: 2, NAME: 'x, "y"' },
        { AGE: 35, SEX: 1 },
      ],
      new BasicCorrelationContext('a'),
    );
    collect('model_outputs', [{ p: 0.9 }, { p: 0.1 }], a);
    collect('model_inputs', [{ AGE: 41, SEX: 1 }], new BasicCorrelationContext('b'));
  });
  const file = join(
    ws,
    'datastores/workspaceblobstore/modelDataCollector/credit/blue/model_inputs/2024/03/05/18/instance-1.jsonl',
  );
  ids = readFileSync(file, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l).id as string);
});

describe('mdc read', () => {
  test('--format csv: the exact rows, quoted where needed', () => {
    const r = mdc(['--workspace', ws, 'read', 'model_inputs', '--format', 'csv']);
    assert.equal(r.stderr, '');
    assert.equal(r.code, 0);
    assert.equal(
      r.stdout,
      'time,correlationid,row_index,id,event_id,modelversion,AGE,SEX,NAME\n' +
        `2024-03-05T18:16:25Z,a,0,a_0,${ids[0]},default,54,2,"x, ""y"""\n` +
        `2024-03-05T18:16:25Z,a,1,a_1,${ids[0]},default,35,1,\n` +
        `2024-03-05T18:16:25Z,b,0,b,${ids[1]},default,41,1,\n`,
    );
  });

  test('--format jsonl --limit 1, with MDC_WORKSPACE instead of --workspace', () => {
    const r = mdc(['read', 'credit-blue-model_inputs@1', '--format', 'jsonl', '--limit', '1'], {
      MDC_WORKSPACE: ws,
    });
    assert.equal(r.code, 0);
    assert.equal(
      r.stdout,
      `{"time":"2024-03-05T18:16:25Z","correlationid":"a","row_index":0,"id":"a_0","event_id":"${ids[0]}","modelversion":"default","AGE":54,"SEX":2,"NAME":"x, \\"y\\""}\n`,
    );
  });

  test('the default table format', () => {
    const r = mdc(['-w', ws, 'read', 'model_outputs']);
    assert.equal(r.code, 0);
    const lines = r.stdout.split('\n');
    assert.equal(
      lines[0],
      'time                  correlationid  row_index  id   event_id                              modelversion    p',
    );
    assert.equal(
      lines[1],
      '--------------------  -------------  ---------  ---  ------------------------------------  ------------  ---',
    );
    assert.match(lines[2]!, /^2024-03-05T18:16:25Z {2}a {22}0 {2}a_0 {2}[0-9a-f-]{36} {2}default {7}0\.9$/);
    assert.equal(lines[4], '(2 rows)');
  });

  test('--format parquet --out FILE writes a Parquet file DuckDB reads', async () => {
    const out = join(tempDir(), 'inputs.parquet');
    const r = mdc(['-w', ws, 'read', 'model_inputs', '--format', 'parquet', '--out', out]);
    assert.equal(r.code, 0);
    assert.equal(r.stdout, '');
    assert.equal(r.stderr, `wrote 3 rows to ${out}\n`);
    const db = await DuckDBInstance.create(':memory:');
    const conn = await db.connect();
    const back = await conn.runAndReadAll(`SELECT id, AGE, NAME FROM read_parquet('${out}') ORDER BY id`);
    assert.deepEqual(back.getRowObjectsJson(), [
      { id: 'a_0', AGE: '54', NAME: 'x, "y"' },
      { id: 'a_1', AGE: '35', NAME: null },
      { id: 'b', AGE: '41', NAME: null },
    ]);
    conn.closeSync();
    db.closeSync();
  });

  test('--format csv --out FILE', () => {
    const out = join(tempDir(), 'outputs.csv');
    const r = mdc([
      '-w',
      ws,
      'read',
      'model_outputs',
      '--format',
      'csv',
      '--out',
      out,
      '--since',
      '2024-03-05T18:00Z',
    ]);
    assert.equal(r.code, 0);
    assert.equal(r.stderr, `wrote 2 rows to ${out}\n`);
    assert.equal(readFileSync(out, 'utf8').split('\n').length, 4);
  });

  test('the reference example records read from the CLI', () => {
    const r = mdc([
      '-w',
      FIXTURES,
      'read',
      'model_inputs',
      '--endpoint',
      'credit-default-mdc-testing-4',
      '--format',
      'csv',
    ]);
    assert.equal(r.code, 0);
    const lines = r.stdout.trimEnd().split('\n');
    assert.equal(lines.length, 3);
    assert.match(
      lines[1]!,
      /^2024-03-05T18:16:25Z,test,0,test_0,720b8867-54a2-4876-80eb-1fd6a8975770,default,502970,54,/,
    );
  });

  test('errors: unknown asset, ambiguous collection, bad time range, parquet without --out', () => {
    let r = mdc(['-w', ws, 'read', 'nope', '--format', 'csv']);
    assert.deepEqual([r.code, r.stdout], [2, '']);
    assert.equal(
      r.stderr,
      'error MDC_UNKNOWN_ASSET: no data asset or collection named "nope" (known: credit-blue-model_inputs, credit-blue-model_outputs)\n',
    );
    r = mdc(['-w', ws, 'read', 'model_inputs', '--since', '2024-03-06', '--until', '2024-03-05']);
    assert.deepEqual([r.code, r.stdout], [2, '']);
    assert.equal(
      r.stderr,
      'error MDC_INVALID_TIME_RANGE: the time range is empty: --since 2024-03-06T00:00:00Z is not before --until 2024-03-05T00:00:00Z\n',
    );
    r = mdc(['-w', ws, 'read', 'model_inputs', '--since', 'last tuesday']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /^error MDC_INVALID_TIME_RANGE: --since "last tuesday" is not a time/);
    r = mdc(['-w', ws, 'read', 'model_inputs', '--format', 'parquet']);
    assert.deepEqual(
      [r.code, r.stderr],
      [2, 'error MDC_INVALID_OPTION: --format parquet needs --out FILE\n'],
    );
    r = mdc(['-w', ws, 'read', 'model_inputs', '--format', 'xml']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /^error MDC_USAGE: option '--format <format>' argument 'xml' is invalid/);
    r = mdc(['-w', FIXTURES, 'read', 'model_inputs']);
    assert.equal(r.code, 2);
    assert.equal(
      r.stderr,
      'error MDC_AMBIGUOUS_COLLECTION: collection "model_inputs" exists in several deployments (credit-default-mdc-testing-4/main2, localdev-endpoint/localdev); pass --endpoint and --deployment, or a data asset name\n',
    );
  });

  test('errors: a missing datastore, and a cloud datastore that does not answer', async () => {
    const w = tempDir();
    await registerDataAsset(openWorkspace(w), {
      name: 'lost',
      path: 'azureml://datastores/nosuchstore/paths/x/y',
      endpoint: 'e',
      deployment: 'd',
      collection: 'c',
    });
    let r = mdc(['-w', w, 'read', 'lost']);
    assert.deepEqual(
      [r.code, r.stdout, r.stderr],
      [
        2,
        '',
        'error MDC_UNKNOWN_DATASTORE: datastore "nosuchstore" is not defined in the workspace (known: workspaceblobstore)\n',
      ],
    );
    writeFileSync(
      join(w, 'workspace.yml'),
      'datastores:\n  nosuchstore:\n    type: s3\n    bucket: b\n    endpoint: http://127.0.0.1:1\n    force_path_style: true\n',
    );
    r = mdc(['-w', w, 'read', 'lost'], {
      AWS_ACCESS_KEY_ID: 'k',
      AWS_SECRET_ACCESS_KEY: 's',
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /^error MDC_READ_FAILED: s3:\/\/b: the storage service did not answer \(/);
  });
});

describe('mdc query', () => {
  test('SQL over the collections, as CSV', () => {
    const r = mdc([
      '-w',
      ws,
      'query',
      'SELECT SEX, count(*) AS n, sum(AGE) AS age FROM model_inputs GROUP BY 1 ORDER BY 1',
      '--format',
      'csv',
    ]);
    assert.deepEqual([r.code, r.stderr, r.stdout], [0, '', 'SEX,n,age\n1,2,76\n2,1,54\n']);
  });

  test('a join across collections, as a table', () => {
    const r = mdc([
      '-w',
      ws,
      'query',
      'SELECT i.id, i.AGE, o.p FROM model_inputs i JOIN model_outputs o USING (correlationid, row_index) ORDER BY i.id',
    ]);
    assert.equal(r.code, 0);
    assert.equal(r.stdout, 'id   AGE    p\n---  ---  ---\na_0   54  0.9\na_1   35  0.1\n(2 rows)\n');
  });

  test("bad SQL: DuckDB's message, exit 2", () => {
    const r = mdc(['-w', ws, 'query', 'SELEC AGE FROM model_inputs']);
    assert.equal(r.code, 2);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /^error MDC_QUERY_FAILED: .*Parser Error: syntax error at or near "SELEC"/);
    const r2 = mdc(['-w', ws, 'query', 'SELECT nope FROM model_inputs']);
    assert.equal(r2.code, 2);
    assert.match(r2.stderr, /^error MDC_QUERY_FAILED: Binder Error: Referenced column "nope" not found/);
  });
});

describe('mdc join', () => {
  test('inputs with outputs, the match counts on stderr', () => {
    const r = mdc(['-w', ws, 'join', '--format', 'csv']);
    assert.equal(r.code, 0);
    assert.equal(
      r.stderr,
      'join: 2 rows matched; 1 input rows without output; 0 output rows without input\n',
    );
    const lines = r.stdout.trimEnd().split('\n');
    assert.equal(
      lines[0],
      'correlationid,row_index,id,time,output_time,input_event_id,output_event_id,modelversion,AGE,SEX,NAME,p',
    );
    assert.equal(lines.length, 4);
  });

  test('with ground truth', () => {
    const truth = join(tempDir(), 'truth.csv');
    writeFileSync(truth, 'id,label\na_0,1\nb,0\n');
    const r = mdc(['-w', ws, 'join', '--ground-truth', truth, '--on', 'id', '--format', 'csv']);
    assert.equal(r.code, 0);
    assert.equal(
      r.stderr,
      'join: 2 rows matched; 1 input rows without output; 0 output rows without input; ground truth: 2 rows matched, 1 without, 0 ground-truth rows unused\n',
    );
    assert.ok(
      r.stdout.startsWith(
        'correlationid,row_index,id,time,output_time,input_event_id,output_event_id,modelversion,AGE,SEX,NAME,p,label\n',
      ),
    );
  });
});

describe('mdc data and mdc ls', () => {
  test('data list and data show', () => {
    let r = mdc(['-w', ws, 'data', 'list']);
    assert.equal(r.code, 0);
    const lines = r.stdout.trimEnd().split('\n');
    assert.equal(
      lines[0],
      'NAME                       VERSION  ENDPOINT  DEPLOYMENT  COLLECTION     CREATED                   PATH',
    );
    assert.match(
      lines[1]!,
      /^credit-blue-model_inputs {3}1 {8}credit {4}blue {8}model_inputs {3}\d{4}-\d\d-\d\dT[\d:.]+Z {2}azureml:\/\/datastores\/workspaceblobstore\/paths\/modelDataCollector\/credit\/blue\/model_inputs$/,
    );
    r = mdc(['-w', ws, 'data', 'show', 'credit-blue-model_inputs', '--json']);
    assert.equal(r.code, 0);
    const d = JSON.parse(r.stdout);
    assert.deepEqual(
      { ...d, created: undefined, bytes: undefined },
      {
        name: 'credit-blue-model_inputs',
        version: '1',
        type: 'uri_folder',
        path: 'azureml://datastores/workspaceblobstore/paths/modelDataCollector/credit/blue/model_inputs',
        created: undefined,
        endpoint: 'credit',
        deployment: 'blue',
        collection: 'model_inputs',
        kind: 'tabular',
        files: 1,
        payloadFiles: 0,
        bytes: undefined,
        events: 2,
        rows: 3,
        firstTime: '2024-03-05T18:16:25Z',
        lastTime: '2024-03-05T18:16:25Z',
        columns: [
          { name: 'time', type: 'TIMESTAMP' },
          { name: 'correlationid', type: 'VARCHAR' },
          { name: 'row_index', type: 'BIGINT' },
          { name: 'id', type: 'VARCHAR' },
          { name: 'event_id', type: 'VARCHAR' },
          { name: 'modelversion', type: 'VARCHAR' },
          { name: 'AGE', type: 'BIGINT' },
          { name: 'SEX', type: 'BIGINT' },
          { name: 'NAME', type: 'VARCHAR' },
        ],
      },
    );
    assert.equal(
      d.bytes,
      readFileSync(
        join(
          ws,
          'datastores/workspaceblobstore/modelDataCollector/credit/blue/model_inputs/2024/03/05/18/instance-1.jsonl',
        ),
      ).length,
    );
    r = mdc(['-w', ws, 'data', 'show', 'credit-blue-model_inputs@3']);
    assert.deepEqual(
      [r.code, r.stderr],
      [
        2,
        'error MDC_UNKNOWN_ASSET: data asset "credit-blue-model_inputs" has no version "3" (versions: 1)\n',
      ],
    );
  });

  test('ls: datastores, then folders with file counts and sizes', () => {
    let r = mdc(['-w', FIXTURES, 'ls']);
    assert.equal(r.code, 0);
    assert.equal(r.stdout.split('\n')[0], 'DATASTORE           TYPE   FILES     SIZE  LOCATION');
    assert.match(
      r.stdout.split('\n')[1]!,
      /^workspaceblobstore {2}local {6}5 {2}3\.7 KiB {2}\/.*\/reference-workspace\/datastores\/workspaceblobstore$/,
    );
    r = mdc([
      '-w',
      FIXTURES,
      'ls',
      'azureml://datastores/workspaceblobstore/paths/modelDataCollector/localdev-endpoint/localdev',
    ]);
    assert.equal(r.code, 0);
    const lines = r.stdout.trimEnd().split('\n');
    assert.equal(
      lines[0],
      'azureml://datastores/workspaceblobstore/paths/modelDataCollector/localdev-endpoint/localdev',
    );
    assert.equal(lines[1], 'NAME           FILES   SIZE  MODIFIED');
    assert.match(lines[2]!, /^model_inputs\/ {6}1 {2}\d+ B {2}\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    assert.equal(lines.length, 5);
    r = mdc(['-w', FIXTURES, 'ls', 'modelDataCollector/nothing-here']);
    assert.deepEqual(
      [r.code, r.stderr],
      [
        2,
        'error MDC_PATH_NOT_FOUND: azureml://datastores/workspaceblobstore/paths/modelDataCollector/nothing-here: does not exist\n',
      ],
    );
    r = mdc(['-w', FIXTURES, 'ls', 'azureml://datastores/elsewhere/paths/x']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /^error MDC_UNKNOWN_DATASTORE: /);
  });
});
