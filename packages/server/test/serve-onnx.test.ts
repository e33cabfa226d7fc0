import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { ROOT, readEvents, runCli, startCli, tempDir } from './helpers/cli.js';

interface Samples {
  columns: string[];
  dataframe_split: { columns: string[]; index: number[]; data: number[][] };
  dataframe_records: Record<string, number>[];
  expected: { label: number; probability_0: number; probability_1: number }[];
}
const samples = JSON.parse(
  readFileSync(join(ROOT, 'models/credit-default/sample-requests.json'), 'utf8'),
) as Samples;

function assertPredictions(actual: unknown): void {
  const rows = (actual as { predictions: Samples['expected'] }).predictions;
  assert.equal(rows.length, samples.expected.length);
  rows.forEach((row, i) => {
    const want = samples.expected[i]!;
    assert.equal(row.label, want.label);
    assert.ok(Math.abs(row.probability_1 - want.probability_1) < 1e-5, `row ${i}`);
  });
}

const COLLECTIONS = `data_collector:
  collections:
    model_inputs: {enabled: 'True'}
    model_outputs: {enabled: 'True'}
    request: {enabled: 'True'}
    response: {enabled: 'True'}
`;

test('an MLflow model with no scoring script is served and its inputs and outputs collected', async (t) => {
  const dir = await tempDir(t);
  const ws = join(dir, 'ws');
  const file = join(dir, 'deployment.yml');
  await writeFile(
    file,
    `name: mlflow\nendpoint_name: credit\nmodel:\n  path: ${join(ROOT, 'models/credit-default-mlflow')}\n${COLLECTIONS}`,
  );
  const cli = await startCli(t, ['serve', '-f', file, '--port', '0', '--workspace', ws]);
  assert.match(cli.stdout(), /built-in ONNX scorer/);
  const score = async (body: unknown, id: string) => {
    const res = await fetch(`${cli.url}/score`, {
      method: 'POST',
      body: JSON.stringify(body),
      headers: { 'content-type': 'application/json', 'x-request-id': id },
    });
    return { status: res.status, body: (await res.json()) as unknown };
  };
  const split = await score({ dataframe_split: samples.dataframe_split }, 'split');
  assert.equal(split.status, 200);
  assertPredictions(split.body);
  assertPredictions((await score({ dataframe_records: samples.dataframe_records }, 'records')).body);
  assertPredictions((await score({ inputs: samples.dataframe_split.data }, 'inputs')).body);
  assertPredictions((await score({ input_data: samples.dataframe_split }, 'input_data')).body);
  const bad = await score({ dataframe_records: [{ LIMIT_BAL: 'lots' }] }, 'bad');
  assert.equal(bad.status, 400);
  assert.equal((bad.body as { error: { code: string } }).error.code, 'MDC_BAD_SCORING_INPUT');
  assert.equal(await cli.stop(), 0);

  const inputs = new Map(readEvents(ws, 'credit', 'mlflow', 'model_inputs').map((e) => [e.correlationid, e]));
  const outputs = new Map(
    readEvents(ws, 'credit', 'mlflow', 'model_outputs').map((e) => [e.correlationid, e]),
  );
  const requests = new Map(readEvents(ws, 'credit', 'mlflow', 'request').map((e) => [e.correlationid, e]));
  for (const id of ['split', 'records', 'inputs', 'input_data']) {
    assert.deepEqual(inputs.get(id)?.data, samples.dataframe_records, `${id}: inputs are named rows`);
    assert.equal(inputs.get(id)?.collectdatatype, 'pandas.core.frame.DataFrame');
    assert.equal((outputs.get(id)!.data as unknown[]).length, samples.expected.length);
    assert.ok(requests.has(id));
  }
  assert.ok(!inputs.has('bad'), 'an input that cannot be parsed is not a model input');
  assert.equal(requests.get('bad')?.statuscode, 400);
});

test('a plain .onnx model path is served from column-named records', async (t) => {
  const dir = await tempDir(t);
  const ws = join(dir, 'ws');
  const file = join(dir, 'deployment.yml');
  await writeFile(
    file,
    `name: plain\nendpoint_name: credit\nmodel: ${join(ROOT, 'models/credit-default/model.onnx')}\n`,
  );
  const cli = await startCli(t, ['serve', '-f', file, '--port', '0', '--workspace', ws]);
  const res = await fetch(`${cli.url}/score`, {
    method: 'POST',
    body: JSON.stringify({ dataframe_records: samples.dataframe_records }),
    headers: { 'content-type': 'application/json' },
  });
  assert.equal(res.status, 200);
  assertPredictions(await res.json());
  assert.equal(await cli.stop(), 0);
  assert.equal(
    readEvents(ws, 'credit', 'plain', 'model_inputs').length,
    0,
    'no data_collector: nothing collected',
  );
});

test('npm start (mdc demo) serves the demo deployment over HTTP and shows all four collections', async (t) => {
  const ws = join(await tempDir(t), 'ws');
  const r = runCli(['demo', '--requests', '20', '--workspace', ws], {}, 60_000);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /Scored 20 requests over HTTP \(\d+ rows, 0 failed\)/);
  for (const c of ['request', 'response', 'model_inputs', 'model_outputs']) {
    const ids = readEvents(ws, 'credit-default', 'blue', c).map((e) => e.correlationid);
    assert.equal(ids.length, 20, c);
    // Ids are demo-<run id>-<n>: unique per run, so reruns on one workspace do not multiply joins.
    assert.ok(
      ids.some((id) => /^demo-[0-9a-f]{8}-19$/.test(id)),
      `${c}: ${ids.join(', ')}`,
    );
  }
});
