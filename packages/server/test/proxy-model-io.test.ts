import assert from 'node:assert/strict';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { test } from 'node:test';
import { isSampled } from 'model-data-collector/internal';
import {
  type Cli,
  type CollectedEvent,
  collectionFiles,
  readEvents,
  runCli,
  startCli,
  tempDir,
} from './helpers/cli.js';

type Handler = (req: IncomingMessage, body: string, res: ServerResponse) => void;

/** A model server of the test's own on node:http; `seen` lists every request it got (method and path). */
async function upstream(t: Parameters<typeof tempDir>[0], handler: Handler) {
  const seen: string[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      seen.push(`${req.method} ${req.url}`);
      try {
        handler(req, Buffer.concat(chunks).toString('utf8'), res);
      } catch (err) {
        // As a model server does: a body it cannot read is a 400.
        json(res, 400, { error: (err as Error).message });
      }
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.after(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen };
}

function json(res: ServerResponse, status: number, value: unknown): void {
  const body = JSON.stringify(value);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

const DEPLOYMENT = `endpoint_name: io-ep
name: blue
data_collector:
  collections:
    request: { enabled: 'True' }
    response: { enabled: 'True' }
    model_inputs: { enabled: 'True' }
    model_outputs: { enabled: 'True' }
`;

/** `mdc proxy -f deployment.yml` in front of `target`, as a user starts it. */
async function proxy(t: Parameters<typeof tempDir>[0], target: string, extra: string[] = []) {
  const dir = await tempDir(t);
  const ws = join(dir, 'ws');
  const file = join(dir, 'deployment.yml');
  await writeFile(file, DEPLOYMENT);
  const cli = await startCli(t, [
    'proxy',
    '-f',
    file,
    '--target',
    target,
    '--port',
    '0',
    '--workspace',
    ws,
    ...extra,
  ]);
  const events = (collection: string) => readEvents(ws, 'io-ep', 'blue', collection);
  return { cli, ws, dir, events };
}

async function post(base: string, path: string, body: unknown, id: string) {
  const res = await fetch(`${base}${path}`, {
    method: 'POST',
    body: typeof body === 'string' ? body : JSON.stringify(body),
    headers: { 'content-type': 'application/json', 'x-request-id': id },
  });
  return { status: res.status, body: await res.text() };
}

/** The proxy's counters of one metric, by label value. */
async function counters(base: string, metric: string): Promise<Record<string, number>> {
  const text = await (await fetch(`${base}/-/mdc/metrics`)).text();
  const out: Record<string, number> = {};
  for (const line of text.split('\n')) {
    const m = new RegExp(`^${metric}(?:\\{\\w+="([^"]*)"\\})? (\\S+)$`).exec(line);
    if (m) out[m[1] ?? ''] = Number(m[2]);
  }
  return out;
}

/** Stops the proxy (SIGTERM flushes) and checks it exited cleanly. */
async function stop(cli: Awaited<ReturnType<typeof startCli>>) {
  assert.equal(await cli.stop(), 0, cli.stderr());
}

const byId = (events: CollectedEvent[], id: string) => events.filter((e) => e.correlationid === id);
const one = (events: CollectedEvent[], id: string) => {
  const found = byId(events, id);
  assert.equal(found.length, 1, `one event for ${id}, got ${found.length}`);
  return found[0]!;
};

// ---- Open Inference Protocol: a server that answers as the KServe v2 REST spec says ----

interface Tensor {
  name: string;
  shape: number[];
  datatype: string;
  data: unknown[];
}

function oipServer(t: Parameters<typeof tempDir>[0]) {
  return upstream(t, (req, body, res) => {
    const url = req.url ?? '';
    if (req.method === 'GET') {
      // Metadata: the iris model declares its feature names; credit declares its output's class names.
      if (url === '/v2/models/iris') {
        return json(res, 200, {
          name: 'iris',
          versions: ['1'],
          platform: 'sklearn',
          inputs: [
            {
              name: 'input-0',
              datatype: 'FP64',
              shape: [-1, 4],
              parameters: { feature_names: ['sepal_length', 'sepal_width', 'petal_length', 'petal_width'] },
            },
          ],
          outputs: [{ name: 'output-0', datatype: 'INT64', shape: [-1] }],
        });
      }
      if (url === '/v2/models/credit/versions/3') {
        return json(res, 200, {
          name: 'credit',
          versions: ['3'],
          platform: 'xgboost',
          inputs: [],
          outputs: [
            {
              name: 'probabilities',
              datatype: 'FP32',
              shape: [-1, 2],
              parameters: { feature_names: ['p_no', 'p_yes'] },
            },
          ],
        });
      }
      return json(res, 404, { error: `no model at ${url}` });
    }
    const m = /^\/v2\/models\/([^/]+)(?:\/versions\/[^/]+)?\/infer$/.exec(url);
    if (!m) return json(res, 404, { error: 'no route' });
    const request = JSON.parse(body) as { id?: string; inputs: Tensor[] };
    if (m[1] === 'broken') return json(res, 400, { error: 'input-0: expected FP32' });
    if (m[1] === 'short') {
      // A server that answers one row fewer than asked.
      const n = request.inputs[0]!.shape[0]! - 1;
      return json(res, 200, {
        model_name: 'short',
        outputs: [{ name: 'y', shape: [n], datatype: 'FP32', data: Array.from({ length: n }, () => 1) }],
      });
    }
    const first = request.inputs[0]!;
    const n = first.shape[0]!;
    const flat = first.data.flat(3) as number[];
    const width = flat.length / n;
    const label = Array.from({ length: n }, (_, i) => (flat[i * width]! > 5 ? 1 : 0));
    const outputs: Tensor[] = [{ name: 'label', shape: [n], datatype: 'INT64', data: label }];
    if (m[1] === 'credit') {
      outputs.push({
        name: 'probabilities',
        shape: [n, 2],
        datatype: 'FP32',
        data: label.flatMap((l) => (l ? [0.25, 0.75] : [0.75, 0.25])),
      });
    }
    return json(res, 200, { model_name: m[1], id: request.id, outputs });
  });
}

test('Open Inference Protocol: multi-input, BYTES, 2-D tensors named by metadata, nested data, batches of 1 and 1,000', async (t) => {
  const server = await oipServer(t);
  const p = await proxy(t, server.url);
  assert.match(p.cli.stdout(), /model_inputs, model_outputs/);
  assert.match(p.cli.stdout(), /model io: auto/);

  // Three 1-D inputs (one BYTES) to a versioned model whose [N, 2] output is named by its metadata.
  const credit = {
    id: 'c1',
    inputs: [
      { name: 'age', shape: [3], datatype: 'FP32', data: [7, 31.5, 52] },
      { name: 'income', shape: [3], datatype: 'INT64', data: [1000, 2000, 3000] },
      { name: 'city', shape: [3], datatype: 'BYTES', data: ['Lyon', 'Oslo', 'Porto'] },
    ],
  };
  const r1 = await post(p.cli.url, '/v2/models/credit/versions/3/infer', credit, 'oip-credit');
  assert.equal(r1.status, 200);
  assert.deepEqual(JSON.parse(r1.body).outputs[0].data, [1, 1, 1]);

  // One [N, 4] input, nested data, metadata names its columns; asked again, the metadata is not.
  const iris = (rows: number[][]) => ({
    inputs: [{ name: 'input-0', shape: [rows.length, 4], datatype: 'FP64', data: rows }],
  });
  await post(p.cli.url, '/v2/models/iris/infer', iris([[6.1, 2.8, 4.7, 1.2]]), 'oip-iris-1');
  const big = Array.from({ length: 1000 }, (_, i) => [4 + (i % 40) / 10, 3, 1.5 + (i % 7) / 10, 0.2]);
  const rBig = await post(p.cli.url, '/v2/models/iris/infer', iris(big), 'oip-iris-1000');
  assert.equal(JSON.parse(rBig.body).outputs[0].data.length, 1000);
  // A model without metadata: its 2-D input columns are <tensor>_<i>, and the failure is counted.
  await post(
    p.cli.url,
    '/v2/models/nometa/infer',
    { inputs: [{ name: 'x', shape: [2, 2], datatype: 'FP32', data: [1, 2, 3, 4] }] },
    'oip-nometa',
  );
  // A 3-D tensor keeps each row's nested array in one column.
  await post(
    p.cli.url,
    '/v2/models/img/infer',
    { inputs: [{ name: 'pixels', shape: [2, 2, 2], datatype: 'UINT8', data: [9, 2, 3, 4, 5, 6, 7, 8] }] },
    'oip-3d',
  );

  // Let the extraction (after each answer) and the metadata requests finish, then read the counters.
  await new Promise((r) => setTimeout(r, 300));
  const failures = await counters(p.cli.url, 'mdc_model_io_metadata_failures_total');
  assert.equal(failures[''], 1);
  const exchanges = await counters(p.cli.url, 'mdc_model_io_exchanges_total');
  assert.equal(exchanges.oip, 5);
  await stop(p.cli);
  assert.equal(server.seen.filter((s) => s === 'GET /v2/models/iris').length, 1, server.seen.join('\n'));
  assert.equal(server.seen.filter((s) => s.startsWith('GET /v2/models/credit/versions/3')).length, 1);

  const inputs = p.events('model_inputs');
  const outputs = p.events('model_outputs');
  const requests = p.events('request');
  const c = one(inputs, 'oip-credit');
  assert.deepEqual(c.data, [
    { age: 7, income: 1000, city: 'Lyon' },
    { age: 31.5, income: 2000, city: 'Oslo' },
    { age: 52, income: 3000, city: 'Porto' },
  ]);
  assert.equal(c.type, 'azureml.inference.model_inputs');
  assert.equal(c.xrequestid, 'oip-credit');
  assert.equal(c.collectdatatype, 'pandas.core.frame.DataFrame');
  // The same correlation as the request/response events of the exchange.
  assert.equal(one(requests, 'oip-credit').correlationid, c.correlationid);
  // The payload events are what they are without model-io: the body as sent, the answer as received.
  assert.deepEqual(one(requests, 'oip-credit').data, credit);
  assert.deepEqual(one(p.events('response'), 'oip-credit').data, JSON.parse(r1.body));
  assert.equal(one(p.events('response'), 'oip-credit').correlationid, c.correlationid);
  assert.deepEqual(one(outputs, 'oip-credit').data, [
    { label: 1, p_no: 0.25, p_yes: 0.75 },
    { label: 1, p_no: 0.25, p_yes: 0.75 },
    { label: 1, p_no: 0.25, p_yes: 0.75 },
  ]);

  assert.deepEqual(one(inputs, 'oip-iris-1').data, [
    { sepal_length: 6.1, sepal_width: 2.8, petal_length: 4.7, petal_width: 1.2 },
  ]);
  assert.deepEqual(one(outputs, 'oip-iris-1').data, [{ label: 1 }]);
  const bigIn = one(inputs, 'oip-iris-1000').data as Record<string, number>[];
  assert.equal(bigIn.length, 1000);
  assert.deepEqual(bigIn[999], {
    sepal_length: big[999]![0],
    sepal_width: 3,
    petal_length: big[999]![2],
    petal_width: 0.2,
  });
  assert.equal((one(outputs, 'oip-iris-1000').data as unknown[]).length, 1000);
  assert.deepEqual(one(inputs, 'oip-nometa').data, [
    { x_0: 1, x_1: 2 },
    { x_0: 3, x_1: 4 },
  ]);
  assert.deepEqual(one(inputs, 'oip-3d').data, [
    {
      pixels: [
        [9, 2],
        [3, 4],
      ],
    },
    {
      pixels: [
        [5, 6],
        [7, 8],
      ],
    },
  ]);

  // mdc join pairs row i of the outputs with row i of the inputs.
  const joined = runCli(['join', '--workspace', p.ws, '--format', 'jsonl']);
  assert.equal(joined.code, 0, joined.stderr);
  const rows = joined.stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
  const pairs = rows.filter((r) => r.correlationid === 'oip-iris-1000');
  assert.equal(pairs.length, 1000);
  for (const r of pairs) {
    const i = r.row_index as number;
    assert.equal(r.sepal_length, big[i]![0]);
    assert.equal(r.label, big[i]![0]! > 5 ? 1 : 0, `row ${i}`);
  }
  assert.deepEqual(
    rows.filter((r) => r.correlationid === 'oip-credit').map((r) => [r.city, r.p_yes]),
    [
      ['Lyon', 0.75],
      ['Oslo', 0.75],
      ['Porto', 0.75],
    ],
  );
});

test('Open Inference Protocol: errors, unmappable payloads and mismatched rows are logged and counted, never failed', async (t) => {
  const server = await oipServer(t);
  const p = await proxy(t, server.url);
  const one1 = { inputs: [{ name: 'a', shape: [2], datatype: 'FP32', data: [1, 2] }] };
  const bad = await post(p.cli.url, '/v2/models/broken/infer', one1, 'oip-400');
  assert.equal(bad.status, 400);
  const odd = await post(p.cli.url, '/v2/models/iris/infer', '{"foo": 1}', 'oip-unmappable');
  assert.equal(odd.status, 400); // the test server cannot read it either, and says so
  const half = await post(
    p.cli.url,
    '/v2/models/iris/infer',
    { inputs: [{ name: 'h', shape: [2], datatype: 'FP16', data: [1, 2] }] },
    'oip-fp16',
  );
  assert.equal(half.status, 200);
  const wrongSize = await post(
    p.cli.url,
    '/v2/models/iris/infer',
    { inputs: [{ name: 'a', shape: [3], datatype: 'FP32', data: [1, 2] }] },
    'oip-size',
  );
  assert.equal(wrongSize.status, 200);
  await post(p.cli.url, '/v2/models/short/infer', one1, 'oip-short');
  // The binary tensor extension: refused before its body is read as JSON.
  const bin = await fetch(`${p.cli.url}/v2/models/iris/infer`, {
    method: 'POST',
    body: '{"inputs":[{"name":"a","shape":[1],"datatype":"FP32","parameters":{"binary_data_size":4}}]}\u0000\u0000\u0080?',
    headers: { 'inference-header-content-length': '86', 'x-request-id': 'oip-binary' },
  });
  await bin.text();
  await new Promise((r) => setTimeout(r, 200));
  const skipped = await counters(p.cli.url, 'mdc_model_io_skipped_total');
  assert.deepEqual(skipped, {
    error_status: 1,
    invalid_request: 2,
    unsupported_datatype: 1,
    binary_extension: 1,
  });
  assert.equal((await counters(p.cli.url, 'mdc_model_io_unaligned_total'))[''], 1);
  await stop(p.cli);

  const inputs = p.events('model_inputs');
  const outputs = p.events('model_outputs');
  const responses = p.events('response');
  // Non-2xx: the inputs and the response (with its status) are kept, no model_outputs.
  assert.deepEqual(one(inputs, 'oip-400').data, [{ a: 1 }, { a: 2 }]);
  assert.equal(byId(outputs, 'oip-400').length, 0);
  assert.equal(one(responses, 'oip-400').statuscode, 400);
  // Unmappable: request/response logged, no rows.
  for (const id of ['oip-unmappable', 'oip-fp16', 'oip-size', 'oip-binary']) {
    assert.equal(byId(p.events('request'), id).length, 1, id);
    assert.equal(byId(responses, id).length, 1, id);
    assert.equal(byId(inputs, id).length, 0, id);
    assert.equal(byId(outputs, id).length, 0, id);
  }
  assert.deepEqual(one(p.events('request'), 'oip-unmappable').data, { foo: 1 });
  // Mismatched row counts: the outputs are kept, flagged.
  const short = one(outputs, 'oip-short');
  assert.deepEqual(short.data, [{ y: 1 }]);
  assert.equal(short.unaligned, 'true');
  assert.equal(short.inputrows, 2);
});

// ---- TensorFlow Serving REST API (:predict), row and columnar formats ----

test('TF Serving :predict: instances as objects and lists, inputs columnar; predictions and outputs', async (t) => {
  const server = await upstream(t, (req, body, res) => {
    if (!req.url?.endsWith(':predict')) return json(res, 404, { error: 'Not found' });
    const b = JSON.parse(body) as { instances?: unknown[]; inputs?: Record<string, number[]> | number[][] };
    if (b.instances) {
      // Row format in, row format out: a list per instance with the model's two outputs named.
      return json(res, 200, {
        predictions: b.instances.map((x) =>
          Array.isArray(x) ? [x.length, 0.5] : { score: (x as { a: number }).a * 2, tag: 'ok' },
        ),
      });
    }
    const cols = b.inputs as Record<string, number[]>;
    return json(res, 200, { outputs: { y: cols.a!.map((a) => a + 1) } });
  });
  const p = await proxy(t, server.url);
  await post(
    p.cli.url,
    '/v1/models/m:predict',
    {
      signature_name: 'serving_default',
      instances: [
        { a: 1, b: 'x' },
        { a: 2, b: 'y' },
      ],
    },
    'tf-rows',
  );
  await post(
    p.cli.url,
    '/v1/models/m/versions/2:predict',
    {
      instances: [
        [1, 2, 3],
        [4, 5, 6],
      ],
    },
    'tf-lists',
  );
  await post(
    p.cli.url,
    '/v1/models/m:predict',
    { inputs: { a: [10, 20, 30], b: ['u', 'v', 'w'] } },
    'tf-columns',
  );
  await stop(p.cli);
  const inputs = p.events('model_inputs');
  const outputs = p.events('model_outputs');
  assert.deepEqual(one(inputs, 'tf-rows').data, [
    { a: 1, b: 'x' },
    { a: 2, b: 'y' },
  ]);
  assert.deepEqual(one(outputs, 'tf-rows').data, [
    { score: 2, tag: 'ok' },
    { score: 4, tag: 'ok' },
  ]);
  assert.deepEqual(one(inputs, 'tf-lists').data, [
    { 0: 1, 1: 2, 2: 3 },
    { 0: 4, 1: 5, 2: 6 },
  ]);
  assert.deepEqual(one(outputs, 'tf-lists').data, [
    { predictions_0: 3, predictions_1: 0.5 },
    { predictions_0: 3, predictions_1: 0.5 },
  ]);
  assert.deepEqual(one(inputs, 'tf-columns').data, [
    { a: 10, b: 'u' },
    { a: 20, b: 'v' },
    { a: 30, b: 'w' },
  ]);
  assert.deepEqual(one(outputs, 'tf-columns').data, [{ y: 11 }, { y: 21 }, { y: 31 }]);
});

// ---- MLflow scoring server (/invocations) and Azure ML bodies, then drift with no extra step ----

test('MLflow /invocations and Azure input_data / {"data"} become rows; mdc monitor drift runs on them', async (t) => {
  const server = await upstream(t, (req, body, res) => {
    const b = JSON.parse(body) as Record<string, unknown>;
    let rows: Record<string, number>[];
    if (b.dataframe_split || b.input_data) {
      const s = (b.dataframe_split ?? b.input_data) as { columns: string[]; data: number[][] };
      rows = s.data.map((r) => Object.fromEntries(s.columns.map((c, i) => [c, r[i]!])));
    } else if (b.dataframe_records) rows = b.dataframe_records as Record<string, number>[];
    else rows = (b.data as number[][]).map((r) => ({ x: r[0]!, y: r[1]! }));
    const predictions = rows.map((r) => (r.x! + r.y! > 10 ? 1 : 0));
    // MLflow answers {"predictions": [...]}; the Azure score.py here answers a bare list.
    return json(res, 200, req.url === '/invocations' ? { predictions } : predictions);
  });
  const p = await proxy(t, server.url);
  const day = Array.from({ length: 40 }, (_, i) => [i % 10, (i * 7) % 13]);
  await post(
    p.cli.url,
    '/invocations',
    { dataframe_split: { columns: ['x', 'y'], data: day.slice(0, 20) } },
    'mlf-split',
  );
  await post(
    p.cli.url,
    '/invocations',
    { dataframe_records: day.slice(20, 30).map(([x, y]) => ({ x, y })) },
    'mlf-records',
  );
  await post(
    p.cli.url,
    '/score',
    { input_data: { columns: ['x', 'y'], index: [0, 1, 2, 3, 4], data: day.slice(30, 35) } },
    'az-input-data',
  );
  await post(p.cli.url, '/score', { data: day.slice(35, 40) }, 'az-data');
  await stop(p.cli);
  const inputs = p.events('model_inputs');
  const outputs = p.events('model_outputs');
  assert.equal((one(inputs, 'mlf-split').data as unknown[]).length, 20);
  assert.deepEqual((one(inputs, 'mlf-split').data as unknown[])[3], { x: 3, y: 8 });
  assert.deepEqual((one(outputs, 'mlf-split').data as unknown[])[3], { predictions: 1 });
  assert.deepEqual((one(inputs, 'mlf-records').data as unknown[])[0], { x: 0, y: 10 });
  assert.equal((one(outputs, 'mlf-records').data as unknown[]).length, 10);
  assert.deepEqual((one(inputs, 'az-input-data').data as unknown[])[0], { x: 0, y: 2 });
  assert.equal((one(outputs, 'az-input-data').data as unknown[]).length, 5);
  // The reference's {"data": [[...]]}: positional columns "0", "1".
  assert.deepEqual((one(inputs, 'az-data').data as unknown[])[0], { 0: 5, 1: 11 });
  assert.equal((one(outputs, 'az-data').data as unknown[]).length, 5);

  // Drift over the proxy's model_inputs against a training CSV: no step between collecting and monitoring.
  const train = join(p.dir, 'train.csv');
  await writeFile(
    train,
    `x,y\n${day
      .slice(0, 35)
      .map((r) => r.join(','))
      .join('\n')}\n`,
  );
  const drift = runCli([
    '--workspace',
    p.ws,
    'monitor',
    'drift',
    '--production',
    'model_inputs',
    '--endpoint',
    'io-ep',
    '--deployment',
    'blue',
    '--window',
    'P1D',
    '--reference',
    train,
    '--features',
    'x,y',
    '--format',
    'json',
    '--no-history',
  ]);
  assert.ok(drift.code === 0 || drift.code === 3, `${drift.code}\n${drift.stdout}\n${drift.stderr}`);
  const result = JSON.parse(drift.stdout) as {
    signals: { production: { rows: number }; features: { feature: string }[] }[];
  };
  // 20 + 10 + 5 rows have columns x and y (the {"data"} rows are "0"/"1").
  assert.equal(result.signals[0]!.production.rows, 40);
  assert.deepEqual(result.signals[0]!.features.map((f) => f.feature).sort(), ['x', 'y']);
});

test('--model-io: a forced protocol without a YAML turns model_inputs on; a YAML without them is a usage error', async (t) => {
  const server = await upstream(t, (_req, _body, res) => json(res, 200, { predictions: [1, 2] }));
  const dir = await tempDir(t);
  const ws = join(dir, 'ws');
  const cli = await startCli(t, [
    'proxy',
    '--target',
    server.url,
    '--endpoint',
    'forced',
    '--deployment',
    'd',
    '--port',
    '0',
    '--workspace',
    ws,
    '--model-io',
    'mlflow',
    '--feature-names',
    'f1,f2',
  ]);
  assert.match(cli.stdout(), /collections: request, response, model_inputs, model_outputs/);
  // Any path: the protocol is forced. Positional rows take --feature-names.
  await post(
    cli.url,
    '/predict',
    {
      inputs: [
        [1, 2],
        [3, 4],
      ],
    },
    'forced-1',
  );
  await stop(cli);
  assert.deepEqual(one(readEvents(ws, 'forced', 'd', 'model_inputs'), 'forced-1').data, [
    { f1: 1, f2: 2 },
    { f1: 3, f2: 4 },
  ]);
  assert.deepEqual(one(readEvents(ws, 'forced', 'd', 'model_outputs'), 'forced-1').data, [
    { predictions: 1 },
    { predictions: 2 },
  ]);

  const yaml = join(dir, 'payload-only.yml');
  await writeFile(yaml, 'data_collector:\n  collections:\n    request: { enabled: "True" }\n');
  const noRows = runCli([
    'proxy',
    '--target',
    server.url,
    '-f',
    yaml,
    '--model-io',
    'oip',
    '--workspace',
    ws,
  ]);
  assert.equal(noRows.code, 2, noRows.stderr);
  assert.match(noRows.stderr, /data_collector\.collections\.model_inputs\.enabled/);
  const typo = runCli(['proxy', '--target', server.url, '--model-io', 'kserve', '--workspace', ws]);
  assert.equal(typo.code, 2, typo.stderr);
  assert.match(typo.stderr, /--model-io must be one of auto, none, oip, tfserving, mlflow, azureml, openai/);
});

test('a body over --max-capture-bytes is forwarded whole and counted as body_too_large, with no rows', async (t) => {
  const server = await upstream(t, (_req, body, res) => {
    const n = (JSON.parse(body) as { instances: unknown[] }).instances.length;
    json(res, 200, { predictions: Array.from({ length: n }, () => 1) });
  });
  const p = await proxy(t, server.url, ['--max-capture-bytes', '256']);
  const small = await post(p.cli.url, '/v1/models/m:predict', { instances: [[1, 2]] }, 'small');
  assert.equal(small.status, 200);
  const rows = Array.from({ length: 100 }, (_, i) => [i, i * 2]);
  const big = await post(p.cli.url, '/v1/models/m:predict', { instances: rows }, 'big');
  assert.equal(big.status, 200);
  assert.equal((JSON.parse(big.body) as { predictions: unknown[] }).predictions.length, 100);
  await new Promise((r) => setTimeout(r, 200));
  assert.deepEqual(await counters(p.cli.url, 'mdc_model_io_skipped_total'), { body_too_large: 1 });
  await stop(p.cli);
  assert.deepEqual(one(p.events('model_inputs'), 'small').data, [{ 0: 1, 1: 2 }]);
  assert.equal(byId(p.events('model_inputs'), 'big').length, 0);
  assert.equal(byId(p.events('model_outputs'), 'big').length, 0);
});

// ---- Golden: the exact bytes each protocol's rows are stored as ----

/** The `data` of the stored event of `id`, as the bytes on storage (its length from the event's contentrange). */
function storedData(ws: string, collection: string, id: string): string {
  const found: string[] = [];
  for (const f of collectionFiles(ws, 'io-ep', 'blue', collection)) {
    for (const line of readFileSync(f, 'utf8').split('\n')) {
      if (line.includes(`"correlationid":${JSON.stringify(id)}`)) found.push(line);
    }
  }
  assert.equal(found.length, 1, `one ${collection} line for ${id}`);
  const line = Buffer.from(found[0]!);
  const n = Number(/"contentrange":"bytes 0-\d+\/(\d+)"/.exec(found[0]!)![1]);
  const at = line.indexOf('"data":') + '"data":'.length;
  return line.toString('utf8', at, at + n);
}

test('golden: the exact stored rows of every protocol (numbers as JSON writes them, names in order, escapes)', async (t) => {
  // Each request as raw text, and the answer its model server gives, as raw text.
  const exchanges: {
    id: string;
    path: string;
    request: string;
    answer: string;
    inputs: string;
    outputs: string;
  }[] = [
    {
      // 2-D input named by metadata, a 1-D INT64 and a BYTES tensor; numbers in forms JSON.stringify rewrites.
      id: 'g-oip',
      path: '/v2/models/credit/infer',
      request:
        '{"inputs":[{"name":"features","shape":[2,4],"datatype":"FP32","data":[[25,30000.0,5e3,-0],[1.5e1,0.1,1E2,12]]},' +
        '{"name":"id","shape":[2],"datatype":"INT64","data":[7,8]},' +
        '{"name":"city","shape":[2],"datatype":"BYTES","data":["Lyon \\"centre\\"","Z\\u00fcrich\\n"]}]}',
      answer:
        '{"model_name":"credit","outputs":[{"name":"label","shape":[2],"datatype":"INT64","data":[1,0]},' +
        '{"name":"probabilities","shape":[2,2],"datatype":"FP32","data":[0.25,0.75,8e-1,0.2]}]}',
      inputs:
        '[{"age":25,"income":30000,"limit":5000,"months":0,"id":7,"city":"Lyon \\"centre\\""},' +
        '{"age":15,"income":0.1,"limit":100,"months":12,"id":8,"city":"Zürich\\n"}]',
      outputs: '[{"label":1,"p_no":0.25,"p_yes":0.75},{"label":0,"p_no":0.8,"p_yes":0.2}]',
    },
    {
      // Metadata names that are array indexes: a row object puts them first, in numeric order.
      id: 'g-oip-index-names',
      path: '/v2/models/ranked/infer',
      request:
        '{"inputs":[{"name":"x","shape":[1,2],"datatype":"FP32","data":[10,20]},{"name":"b","shape":[1],"datatype":"BOOL","data":[true]}]}',
      answer: '{"outputs":[{"name":"y","shape":[1,1],"datatype":"FP32","data":[[1e999]]}]}',
      inputs: '[{"1":20,"2":10,"b":true}]',
      outputs: '[{"y":null}]',
    },
    {
      id: 'g-oip-3d',
      path: '/v2/models/img/infer',
      request: '{"inputs":[{"name":"pixels","shape":[1,2,2],"datatype":"UINT8","data":[9,2,3,4]}]}',
      answer: '{"outputs":[{"name":"y","shape":[1],"datatype":"FP32","data":[0.5]}]}',
      inputs: '[{"pixels":[[9,2],[3,4]]}]',
      outputs: '[{"y":0.5}]',
    },
    {
      id: 'g-tf-rows',
      path: '/v1/models/m:predict',
      request: '{"instances":[{"a":1.0,"b":"x"},{"a":2,"b":"y"}]}',
      answer: '{"predictions":[[1,0.5],[2,0.25]]}',
      inputs: '[{"a":1,"b":"x"},{"a":2,"b":"y"}]',
      outputs: '[{"predictions_0":1,"predictions_1":0.5},{"predictions_0":2,"predictions_1":0.25}]',
    },
    {
      id: 'g-tf-columns',
      path: '/v1/models/m:predict',
      request: '{"inputs":{"a":[10,20],"b":["u","v"]}}',
      answer: '{"outputs":{"y":[11,21]}}',
      inputs: '[{"a":10,"b":"u"},{"a":20,"b":"v"}]',
      outputs: '[{"y":11},{"y":21}]',
    },
    {
      id: 'g-mlflow-split',
      path: '/invocations',
      request: '{"dataframe_split":{"columns":["x","y"],"data":[[1,2],[3,4]]}}',
      answer: '{"predictions":[0,1]}',
      inputs: '[{"x":1,"y":2},{"x":3,"y":4}]',
      outputs: '[{"predictions":0},{"predictions":1}]',
    },
    {
      id: 'g-mlflow-records',
      path: '/invocations',
      request: '{"dataframe_records":[{"x":5,"y":6}]}',
      answer: '[1]',
      inputs: '[{"x":5,"y":6}]',
      outputs: '[{"predictions":1}]',
    },
    {
      id: 'g-azure-input-data',
      path: '/score',
      request: '{"input_data":{"columns":["x","y"],"index":[0],"data":[[7,8]]}}',
      answer: '[1]',
      inputs: '[{"x":7,"y":8}]',
      outputs: '[{"predictions":1}]',
    },
    {
      id: 'g-azure-data',
      path: '/score',
      request: '{"data":[[9,10]]}',
      answer: '{"result":[0]}',
      inputs: '[{"0":9,"1":10}]',
      outputs: '[{"result":0}]',
    },
  ];
  const METADATA: Record<string, unknown> = {
    '/v2/models/credit': {
      name: 'credit',
      inputs: [
        {
          name: 'features',
          datatype: 'FP32',
          shape: [-1, 4],
          parameters: { feature_names: ['age', 'income', 'limit', 'months'] },
        },
      ],
      outputs: [
        {
          name: 'probabilities',
          datatype: 'FP32',
          shape: [-1, 2],
          parameters: { feature_names: ['p_no', 'p_yes'] },
        },
      ],
    },
    '/v2/models/ranked': {
      name: 'ranked',
      inputs: [{ name: 'x', datatype: 'FP32', shape: [-1, 2], parameters: { feature_names: ['2', '1'] } }],
      outputs: [],
    },
  };
  const server = await upstream(t, (req, body, res) => {
    if (req.method === 'GET') {
      const meta = METADATA[req.url ?? ''];
      return meta ? json(res, 200, meta) : json(res, 404, { error: 'no model' });
    }
    const x = exchanges.find((e) => e.path === req.url && e.request === body);
    if (!x) return json(res, 404, { error: 'no such exchange' });
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(x.answer);
  });
  const p = await proxy(t, server.url);
  for (const x of exchanges) {
    const r = await post(p.cli.url, x.path, x.request, x.id);
    assert.equal(r.status, 200, `${x.id}: ${r.body}`);
    assert.equal(r.body, x.answer);
  }
  // Twice more, once the metadata is known: the same bytes whichever way the names came.
  for (const x of exchanges.slice(0, 2)) await post(p.cli.url, x.path, x.request, `${x.id}-again`);
  await new Promise((r) => setTimeout(r, 200));
  assert.deepEqual(await counters(p.cli.url, 'mdc_model_io_skipped_total'), {});
  await stop(p.cli);
  for (const x of exchanges) {
    assert.equal(storedData(p.ws, 'model_inputs', x.id), x.inputs, `${x.id} model_inputs`);
    assert.equal(storedData(p.ws, 'model_outputs', x.id), x.outputs, `${x.id} model_outputs`);
    // The payload events keep the bodies as they came.
    assert.equal(storedData(p.ws, 'request', x.id), x.request, `${x.id} request`);
  }
  for (const x of exchanges.slice(0, 2)) {
    assert.equal(storedData(p.ws, 'model_inputs', `${x.id}-again`), x.inputs);
    assert.equal(storedData(p.ws, 'model_outputs', `${x.id}-again`), x.outputs);
  }
});

test('Open Inference Protocol: BF16, binary_data_size, non-JSON and unknown bodies are skipped by reason; --feature-names names a 2-D input before the metadata', async (t) => {
  const server = await oipServer(t);
  const p = await proxy(t, server.url, ['--feature-names', 'a,b,c']);
  const tensor = (shape: number[], data: unknown[], extra: Record<string, unknown> = {}) => ({
    inputs: [{ name: 'input-0', shape, datatype: 'FP64', data, ...extra }],
  });
  // A 3-wide input takes --feature-names and needs no metadata; a 4-wide one takes the model's.
  await post(p.cli.url, '/v2/models/iris/infer', tensor([2, 3], [1, 2, 3, 4, 5, 6]), 'fn-3');
  await new Promise((r) => setTimeout(r, 200));
  assert.deepEqual(
    server.seen.filter((s) => s.startsWith('GET')),
    [],
  );
  await post(p.cli.url, '/v2/models/iris/infer', tensor([1, 4], [6, 3, 5, 2]), 'fn-4');
  // Refused: BF16, the binary extension's parameter without its header, a body that is not JSON, a path and
  // body of no known protocol, and an answer that is not JSON.
  await post(
    p.cli.url,
    '/v2/models/iris/infer',
    { inputs: [{ name: 'h', shape: [1], datatype: 'BF16', data: [1] }] },
    'bf16',
  );
  await post(
    p.cli.url,
    '/v2/models/iris/infer',
    tensor([1, 4], [1, 2, 3, 4], { parameters: { binary_data_size: 16 } }),
    'binary-param',
  );
  assert.equal((await post(p.cli.url, '/v2/models/iris/infer', 'not json', 'not-json')).status, 400);
  assert.equal((await post(p.cli.url, '/health/check', { ping: 1 }, 'unknown')).status, 404);
  const text = await upstream(t, (_req, _body, res) => {
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.end('label: 1');
  });
  const q = await proxy(t, text.url);
  await post(q.cli.url, '/v2/models/m/infer', tensor([1], [1]), 'text-answer');
  await new Promise((r) => setTimeout(r, 200));
  assert.deepEqual(await counters(p.cli.url, 'mdc_model_io_skipped_total'), {
    unsupported_datatype: 1,
    binary_extension: 1,
    request_not_json: 1,
    unrecognized: 1,
  });
  assert.deepEqual(await counters(q.cli.url, 'mdc_model_io_skipped_total'), { response_not_json: 1 });
  await stop(p.cli);
  await stop(q.cli);
  assert.deepEqual(one(p.events('model_inputs'), 'fn-3').data, [
    { a: 1, b: 2, c: 3 },
    { a: 4, b: 5, c: 6 },
  ]);
  assert.deepEqual(one(p.events('model_inputs'), 'fn-4').data, [
    { sepal_length: 6, sepal_width: 3, petal_length: 5, petal_width: 2 },
  ]);
  for (const id of ['bf16', 'binary-param', 'not-json', 'unknown']) {
    assert.equal(byId(p.events('model_inputs'), id).length, 0, id);
    assert.equal(byId(p.events('request'), id).length, 1, id);
  }
  // An answer that is not JSON: the inputs are kept, the outputs skipped.
  assert.deepEqual(one(q.events('model_inputs'), 'text-answer').data, [{ 'input-0': 1 }]);
  assert.equal(byId(q.events('model_outputs'), 'text-answer').length, 0);
});

/** mdc proxy in front of an OIP server, with the test deployment at sampling_rate 0.5. */
async function sampledProxy(t: Parameters<typeof tempDir>[0]): Promise<{ cli: Cli; ws: string }> {
  const server = await oipServer(t);
  const dir = await tempDir(t);
  const ws = join(dir, 'ws');
  const file = join(dir, 'deployment.yml');
  await writeFile(file, DEPLOYMENT.replace('data_collector:\n', 'data_collector:\n  sampling_rate: 0.5\n'));
  const cli = await startCli(t, [
    'proxy',
    '-f',
    file,
    '--target',
    server.url,
    '--port',
    '0',
    '--workspace',
    ws,
  ]);
  return { cli, ws };
}

test('an exchange that sampling_rate drops is not read: no rows and no skip counted for it', async (t) => {
  const { cli, ws } = await sampledProxy(t);
  // Ids on both sides of the 0.5 cut, each sending a tensor model-io cannot map (FP16).
  const ids = Array.from({ length: 40 }, (_, i) => `sample-${i}`);
  const kept = ids.filter((id) => isSampled(id, 0.5));
  assert.ok(kept.length > 5 && kept.length < 35, `${kept.length} of 40 sampled in`);
  for (const id of ids) {
    const ok = ids.indexOf(id) % 2 === 0;
    const body = ok
      ? { inputs: [{ name: 'a', shape: [1], datatype: 'FP32', data: [1] }] }
      : { inputs: [{ name: 'h', shape: [1], datatype: 'FP16', data: [1] }] };
    await post(cli.url, '/v2/models/iris/infer', body, id);
  }
  await new Promise((r) => setTimeout(r, 200));
  const refused = kept.filter((id) => ids.indexOf(id) % 2 === 1).length;
  assert.deepEqual(
    await counters(cli.url, 'mdc_model_io_skipped_total'),
    refused ? { unsupported_datatype: refused } : {},
  );
  await stop(cli);
  const rows = readEvents(ws, 'io-ep', 'blue', 'model_inputs').map((e) => e.correlationid);
  assert.deepEqual(rows.sort(), kept.filter((id) => ids.indexOf(id) % 2 === 0).sort());
});

test('an exchange sampling_rate drops is counted once as sampled out in each collection, rows and payloads alike', async (t) => {
  const { cli, ws } = await sampledProxy(t);
  const ids = Array.from({ length: 40 }, (_, i) => `counted-${i}`);
  const out = ids.filter((id) => !isSampled(id, 0.5)).length;
  assert.ok(out > 5 && out < 35, `${out} of 40 sampled out`);
  for (const id of ids) {
    await post(
      cli.url,
      '/v2/models/iris/infer',
      { inputs: [{ name: 'a', shape: [1], datatype: 'FP32', data: [1] }] },
      id,
    );
  }
  await new Promise((r) => setTimeout(r, 200));
  assert.deepEqual(await counters(cli.url, 'mdc_collection_events_sampled_out_total'), {
    request: out,
    response: out,
    model_inputs: out,
    model_outputs: out,
  });
  assert.deepEqual(await counters(cli.url, 'mdc_model_io_exchanges_total'), { oip: 40 - out });
  await stop(cli);
  assert.equal(readEvents(ws, 'io-ep', 'blue', 'model_outputs').length, 40 - out);
});

test('a client that goes away before its answer is complete gives no rows, counted as aborted', async (t) => {
  // The model server sends the answer's first half, then waits: the client gives up in between.
  const server = await upstream(t, (_req, _body, res) => {
    const answer = JSON.stringify({ outputs: [{ name: 'y', shape: [1], datatype: 'FP32', data: [1] }] });
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(answer) });
    res.write(answer.slice(0, 10));
    setTimeout(() => res.end(answer.slice(10)), 1000).unref();
  });
  const p = await proxy(t, server.url);
  const controller = new AbortController();
  const res = await fetch(`${p.cli.url}/v2/models/m/infer`, {
    method: 'POST',
    body: JSON.stringify({ inputs: [{ name: 'x', shape: [1], datatype: 'FP32', data: [1] }] }),
    headers: { 'content-type': 'application/json', 'x-request-id': 'gone' },
    signal: controller.signal,
  });
  assert.equal(res.status, 200);
  controller.abort();
  await assert.rejects(res.text());
  await new Promise((r) => setTimeout(r, 300));
  assert.deepEqual(await counters(p.cli.url, 'mdc_model_io_skipped_total'), { aborted: 1 });
  await stop(p.cli);
  assert.equal(byId(p.events('model_inputs'), 'gone').length, 0);
  assert.equal(byId(p.events('request'), 'gone').length, 1);
});
