// The read side over cloud datastores: data collected with the SDK to Azurite (append blobs) and to s3rver
// (whole files, a part appended after assembly, and a live file still only in parts) is listed by `mdc ls`
// and read back by `mdc read` / `mdc query` exactly.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import {
  type Azurite,
  S3RVER_ENV,
  type S3rver,
  startAzurite,
  startS3rver,
} from '@model-data-collector/test-support/emulators';
import { azureLines, s3Lines } from '@model-data-collector/test-support/stored-lines';
import { sleep } from '@model-data-collector/test-support/temp';
import { makeWorkspace } from '@model-data-collector/test-support/workspace';
import {
  BasicCorrelationContext,
  Collector,
  DataCollectorRuntime,
  datastoreStats,
  resolveDeployment,
} from 'model-data-collector/internal';
import { buildCli, mdc, T0, writeWithSdk } from './helpers.js';

const FAST = {
  MDC_UPLOAD_INTERVAL_MS: '100',
  MDC_UPLOAD_RETRY_DELAY_MS: '100',
  MDC_SPOOL_FSYNC: '0',
  // The AWS SDK warns on stderr that it will need Node 22 from 2027; the tests compare stderr exactly.
  AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
};
// In-process runtimes read the delivery settings and the S3 credentials from the environment.
Object.assign(process.env, FAST, S3RVER_ENV);

const FOLDER = 'modelDataCollector/credit/blue';

interface Row {
  correlationid: string;
  row_index: number;
  id: string;
  AGE: number;
  SEX: number;
}

/** The rows of `mdc read … --format jsonl`, reduced to what the test collected, in a stable order. */
function rows(stdout: string): Row[] {
  return stdout
    .split('\n')
    .filter(Boolean)
    .map((l) => {
      const r = JSON.parse(l) as Row & { time: string; event_id: string };
      assert.match(r.time, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
      assert.match(r.event_id, /^[0-9a-f-]{36}$/);
      return { correlationid: r.correlationid, row_index: r.row_index, id: r.id, AGE: r.AGE, SEX: r.SEX };
    })
    .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

/** Collects the same first batch to any workspace: 3 input rows in 2 events, 2 output rows. */
async function firstBatch(ws: string): Promise<void> {
  await writeWithSdk(ws, T0, ({ collect }) => {
    const a = collect(
      'model_inputs',
      [
        { AGE: 54, SEX: 2 },
        { AGE: 35, SEX: 1 },
      ],
      new BasicCorrelationContext('a'),
    );
    collect('model_outputs', [{ p: 0.9 }, { p: 0.1 }], a);
    collect('model_inputs', [{ AGE: 41, SEX: 1 }], new BasicCorrelationContext('b'));
  });
}

const FIRST: Row[] = [
  { correlationid: 'a', row_index: 0, id: 'a_0', AGE: 54, SEX: 2 },
  { correlationid: 'a', row_index: 1, id: 'a_1', AGE: 35, SEX: 1 },
  { correlationid: 'b', row_index: 0, id: 'b', AGE: 41, SEX: 1 },
];

/** File count and bytes of every collection folder, from `mdc ls <folder> --json`. */
function lsTotals(ws: string, target: string, env: NodeJS.ProcessEnv = {}): Record<string, [number, number]> {
  const r = mdc(['--workspace', ws, 'ls', target, '--json'], env);
  assert.equal(r.stderr, '');
  assert.equal(r.code, 0);
  const { entries } = JSON.parse(r.stdout) as { entries: { name: string; files: number; bytes: number }[] };
  return Object.fromEntries(entries.map((e) => [e.name, [e.files, e.bytes]]));
}

/** Files and bytes under each collection, from what the store holds. */
function storedTotals(files: Map<string, string[]>, base: string): Record<string, [number, number]> {
  const out: Record<string, [number, number]> = {};
  for (const [name, lines] of files) {
    const collection = name.slice(base.length + 1).split('/')[0]!;
    const [n, bytes] = out[`${collection}/`] ?? [0, 0];
    out[`${collection}/`] = [n + 1, bytes + lines.reduce((b, l) => b + Buffer.byteLength(l) + 1, 0)];
  }
  return out;
}

describe('reading an Azure Blob datastore', () => {
  let az: Azurite;
  let ws: string;
  before(async () => {
    buildCli();
    az = await startAzurite();
    await az.createContainer('data');
    ws = makeWorkspace({
      workspaceblobstore: { type: 'azure_blob', container: 'data', connection_string: az.connectionString },
    });
    await firstBatch(ws);
  });
  after(() => az?.stop());

  test('mdc ls shows the collection folders with the stored file counts and sizes', async () => {
    const stored = await azureLines(az.service, 'data');
    assert.equal(stored.size, 2);
    assert.deepEqual(lsTotals(ws, FOLDER), storedTotals(stored, FOLDER));
    const r = mdc(['--workspace', ws, 'ls', `${FOLDER}/model_inputs/2024/03/05/18`]);
    assert.equal(r.code, 0);
    assert.match(
      r.stdout,
      /^azureml:\/\/datastores\/workspaceblobstore\/paths\/.*\/18\nNAME +FILES +SIZE +MODIFIED\ninstance-1\.jsonl +1 /,
    );
  });

  test('mdc read returns exactly the collected rows', () => {
    const r = mdc(['--workspace', ws, 'read', 'model_inputs', '--format', 'jsonl']);
    assert.equal(r.stderr, '');
    assert.equal(r.code, 0);
    assert.deepEqual(rows(r.stdout), FIRST);
  });

  test('mdc query joins inputs and outputs stored in the container', () => {
    const r = mdc([
      '--workspace',
      ws,
      'query',
      'SELECT i.id, i.AGE, o.p FROM model_inputs i JOIN model_outputs o USING (correlationid, row_index) ORDER BY 1',
      '--format',
      'csv',
    ]);
    assert.deepEqual([r.code, r.stderr, r.stdout], [0, '', 'id,AGE,p\na_0,54,0.9\na_1,35,0.1\n']);
  });
});

describe('reading an S3 datastore', () => {
  let s3: S3rver;
  let ws: string;
  let live: DataCollectorRuntime | undefined;
  const liveRows: Row[] = [];
  before(async () => {
    buildCli();
    s3 = await startS3rver();
    await s3.createBucket('lake');
    ws = makeWorkspace({
      workspaceblobstore: {
        type: 's3',
        bucket: 'lake',
        prefix: 'pre',
        endpoint: s3.endpoint,
        force_path_style: true,
      },
    });
    // A past hour: the file is assembled (its period is over) and its parts deleted.
    await firstBatch(ws);
    // More of the same hour from a new process with the same instance id: stored as a part after the whole file.
    await writeWithSdk(
      ws,
      T0 + 60_000,
      ({ collect }) => {
        collect('model_inputs', [{ AGE: 29, SEX: 2 }], new BasicCorrelationContext('c'));
      },
      { collections: ['model_inputs'] },
    );
    // A collector still running in the current hour: its file exists only as parts.
    live = new DataCollectorRuntime({
      workspace: ws,
      deployment: resolveDeployment({
        endpoint_name: 'credit',
        name: 'blue',
        data_collector: { collections: { model_inputs: { enabled: 'True' } }, rolling_rate: 'Hour' },
      }),
      handleProcessExit: false,
      instanceId: 'live',
      flushIntervalMs: 20,
    });
    const c = new Collector({ name: 'model_inputs', runtime: live });
    for (const [i, AGE] of [60, 61].entries()) {
      c.collect([{ AGE, SEX: 1 }], new BasicCorrelationContext(`live${i}`));
      liveRows.push({ correlationid: `live${i}`, row_index: 0, id: `live${i}`, AGE, SEX: 1 });
      await live.flush();
      // One upload per event, so the live file is two parts.
      const deadline = Date.now() + 10_000;
      for (;;) {
        const s = datastoreStats().find((d) => d.datastore === 'workspaceblobstore');
        if (s && s.pendingBytes === 0 && s.deliveredEvents >= i + 1) break;
        if (Date.now() > deadline) throw new Error(`not delivered: ${JSON.stringify(s)}`);
        await sleep(20);
      }
    }
  });
  after(async () => {
    await live?.shutdown();
    await s3?.stop();
  });

  test('the bucket holds a whole file with a part after it, and a file only in parts', async () => {
    const r = await s3.client.send(new ListObjectsV2Command({ Bucket: 'lake', Prefix: `pre/${FOLDER}/` }));
    const keys = (r.Contents ?? []).map((o) => o.Key!.replace(/^.*\/model_inputs\//, 'model_inputs/'));
    const past = 'model_inputs/2024/03/05/18/instance-1.jsonl';
    assert.ok(keys.includes(past), keys.join(' '));
    assert.ok(
      keys.some((k) => k.startsWith(`${past}.part-`)),
      keys.join(' '),
    );
    const liveKeys = keys.filter((k) => k.includes('/live.jsonl'));
    assert.equal(liveKeys.length, 2, keys.join(' '));
    assert.ok(liveKeys.every((k) => /\.part-\d{16}$/.test(k)));
  });

  test('mdc ls shows assembled files, parts hidden, with their assembled sizes', async () => {
    const stored = await s3Lines(s3.client, 'lake', 'pre/');
    assert.equal(stored.size, 3);
    assert.deepEqual(lsTotals(ws, FOLDER), storedTotals(stored, `pre/${FOLDER}`));
    const r = mdc(['--workspace', ws, 'ls', `${FOLDER}/model_inputs/2024/03/05/18`, '--json']);
    const { entries } = JSON.parse(r.stdout) as { entries: { name: string; bytes: number }[] };
    const lines = stored.get(`pre/${FOLDER}/model_inputs/2024/03/05/18/instance-1.jsonl`)!;
    assert.deepEqual(
      entries.map((e) => [e.name, e.bytes]),
      [['instance-1.jsonl', lines.reduce((n, l) => n + Buffer.byteLength(l) + 1, 0)]],
    );
    // The same folder by its s3:// URI.
    assert.deepEqual(
      lsTotals(ws, `s3://lake/pre/${FOLDER}/model_inputs/2024/03/05`),
      lsTotals(ws, `${FOLDER}/model_inputs/2024/03/05`),
    );
  });

  test('mdc read returns exactly the collected rows: whole file, appended part, live parts', () => {
    const r = mdc(['--workspace', ws, 'read', 'model_inputs', '--format', 'jsonl']);
    assert.equal(r.stderr, '');
    assert.equal(r.code, 0);
    const expected = [
      ...FIRST,
      { correlationid: 'c', row_index: 0, id: 'c', AGE: 29, SEX: 2 },
      ...liveRows,
    ].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    assert.deepEqual(rows(r.stdout), expected);
  });

  test('mdc query counts over the bucket', () => {
    const r = mdc([
      '--workspace',
      ws,
      'query',
      'SELECT count(*) AS n, sum(AGE) AS age FROM model_inputs',
      '--format',
      'csv',
    ]);
    assert.deepEqual([r.code, r.stderr, r.stdout], [0, '', `n,age\n6,${54 + 35 + 41 + 29 + 60 + 61}\n`]);
  });
});
