import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';

import { type CollectedEvent, readEvents, startCli, tempDir } from './helpers/cli.js';

// A scoring script in a folder with no package.json and no node_modules: `model-data-collector` must resolve
// to the server's own SDK, and the collect() calls must pick up the request's correlation id by themselves.
const SCORE_JS = `
import { Collector } from 'model-data-collector';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
let inputs, outputs, weight;
export function init() {
  inputs = new Collector({ name: 'model_inputs' });
  outputs = new Collector({ name: 'model_outputs' });
  weight = Number(readFileSync(join(process.env.AZUREML_MODEL_DIR, 'model', 'weight.txt'), 'utf8'));
}
export async function run(data, request) {
  if (typeof data === 'string') return { status: 200, headers: { 'x-kind': 'text' }, body: data.toUpperCase() };
  if (Buffer.isBuffer(data)) return { status: 201, body: data.subarray(0, 4) };
  if (data.fail) throw new Error('the model failed on purpose');
  if (data.teapot) return { status: 418, headers: { 'content-type': 'application/json' }, body: { short: true } };
  if (data.env) return { model_dir: process.env.MDC_MODEL_DIR, azure: process.env.AZUREML_MODEL_DIR, path: request.path };
  inputs.collect(data.rows);
  const preds = data.rows.map((r) => ({ y: r.x * weight }));
  outputs.collect(preds);
  return preds;
}
`;

const DEPLOYMENT = `
$schema: https://azuremlschemas.azureedge.net/latest/managedOnlineDeployment.schema.json
name: blue
endpoint_name: payload-ep
model:
  path: ./model
code_configuration:
  code: ./onlinescoring
  scoring_script: score.js
environment:
  image: mcr.microsoft.com/azureml/openmpi4.1.0-ubuntu20.04
instance_type: Standard_DS3_v2
instance_count: 1
data_collector:
  collections:
    model_inputs:
      enabled: 'True'
    model_outputs:
      enabled: 'True'
    request:
      enabled: 'True'
    response:
      enabled: 'True'
`;

async function post(url: string, body: string | Uint8Array, headers: Record<string, string>) {
  const res = await fetch(url, { method: 'POST', body, headers });
  return { status: res.status, headers: res.headers, body: Buffer.from(await res.arrayBuffer()) };
}

test('mdc serve runs a scoring script and logs request, response, inputs and outputs with one correlation id', async (t) => {
  const dir = await tempDir(t);
  const ws = join(dir, 'ws');
  await mkdir(join(dir, 'onlinescoring'));
  await mkdir(join(dir, 'model'));
  await writeFile(join(dir, 'onlinescoring/score.js'), SCORE_JS);
  await writeFile(join(dir, 'model/weight.txt'), '3');
  await writeFile(join(dir, 'deployment.yml'), DEPLOYMENT);
  const cli = await startCli(
    t,
    ['serve', '-f', join(dir, 'deployment.yml'), '--port', '0', '--workspace', ws],
    {
      env: { MDC_LARGE_PAYLOAD_BYTES: '4096' },
    },
  );
  // From DEPLOYMENT_KEYS, the SDK's one list of Azure's deployment keys.
  assert.match(cli.stdout(), /^ {2}not used locally: \$schema, environment, instance_type$/m);
  const score = `${cli.url}/score`;

  // liveness and readiness
  const live = await fetch(`${cli.url}/`);
  assert.equal(live.status, 200);
  assert.ok(live.headers.get('x-request-id'));
  assert.equal((await fetch(`${cli.url}/ready`)).status, 200);

  // 1. JSON with the client's id: all four collections carry it
  const ok = await post(`${score}?v=1`, '{"rows": [{"x": 1}, {"x": 2}]}', {
    'content-type': 'application/json',
    'x-request-id': 'client-id-1',
  });
  assert.equal(ok.status, 200);
  assert.equal(ok.headers.get('x-request-id'), 'client-id-1');
  assert.deepEqual(JSON.parse(ok.body.toString()), [{ y: 3 }, { y: 6 }]);

  // 2. no id: one is made, echoed, and used everywhere; x-ms-client-request-id is honoured
  const gen = await post(score, '{"rows": [{"x": 5}]}', { 'content-type': 'application/json' });
  const genId = gen.headers.get('x-request-id')!;
  assert.match(genId, /^[0-9a-f-]{36}$/);
  const ms = await post(score, '{"rows": [{"x": 7}]}', {
    'content-type': 'application/json',
    'x-ms-client-request-id': 'ms-client-7',
  });
  assert.equal(ms.headers.get('x-request-id'), 'ms-client-7');

  // 3. pretty-printed JSON stays one line; text and CSV are strings; binary is offloaded
  const pretty = await post(score, '{\n  "rows": [\n    {"x": 10}\n  ]\n}\n', {
    'content-type': 'application/json; charset=utf-8',
    'x-request-id': 'pretty',
  });
  assert.equal(pretty.status, 200);
  const csv = await post(score, 'a,b\n1,2\n', { 'content-type': 'text/csv', 'x-request-id': 'csv' });
  assert.equal(csv.status, 200);
  assert.equal(csv.body.toString(), 'A,B\n1,2\n');
  assert.equal(csv.headers.get('x-kind'), 'text');
  const bytes = Uint8Array.from([0, 1, 2, 3, 250, 251, 252]);
  const bin = await post(score, bytes, { 'content-type': 'image/png', 'x-request-id': 'bin' });
  assert.equal(bin.status, 201);
  assert.deepEqual([...bin.body], [0, 1, 2, 3]);

  // 4. failures are answered with a coded body and still collected, with their status
  const boom = await post(score, '{"fail": true}', {
    'content-type': 'application/json',
    'x-request-id': 'boom',
  });
  assert.equal(boom.status, 500);
  assert.equal(JSON.parse(boom.body.toString()).error.code, 'MDC_SCORING_ERROR');
  const bad = await post(score, '{"rows": [', { 'content-type': 'application/json', 'x-request-id': 'bad' });
  assert.equal(bad.status, 400);
  assert.equal(JSON.parse(bad.body.toString()).error.code, 'MDC_BAD_REQUEST_BODY');
  const teapot = await post(score, '{"teapot": true}', {
    'content-type': 'application/json',
    'x-request-id': 'tea',
  });
  assert.equal(teapot.status, 418);
  const missing = await fetch(`${cli.url}/nope`, { headers: { 'x-request-id': 'nf' } });
  assert.equal(missing.status, 404);
  assert.equal(missing.headers.get('x-request-id'), 'nf');
  assert.equal(((await missing.json()) as { error: { code: string } }).error.code, 'MDC_NOT_FOUND');

  // 5. the model folder is exposed as Azure lays it out
  const env = await post(score, '{"env": true}', { 'content-type': 'application/json' });
  const envBody = JSON.parse(env.body.toString());
  assert.equal(envBody.azure, dir);
  assert.equal(envBody.model_dir, dir);

  // 6. a large JSON body (over MDC_LARGE_PAYLOAD_BYTES) is offloaded
  const bigRows = Array.from({ length: 1000 }, (_, i) => ({ x: i }));
  const big = await post(score, JSON.stringify({ rows: bigRows }), {
    'content-type': 'application/json',
    'x-request-id': 'big',
  });
  assert.equal(big.status, 200);

  const metrics = await (await fetch(`${cli.url}/metrics`)).text();
  assert.match(metrics, /mdc_http_requests_total\{route="\/score",method="POST",status="500"\} 1/);
  assert.match(metrics, /mdc_http_request_duration_seconds_bucket/);
  assert.match(metrics, /mdc_queue_events \d+/);
  assert.match(metrics, /mdc_ready 1/);

  assert.equal(await cli.stop('SIGTERM'), 0);

  const byId = (events: CollectedEvent[]) => new Map(events.map((e) => [e.correlationid, e]));
  const req = byId(readEvents(ws, 'payload-ep', 'blue', 'request'));
  const res = byId(readEvents(ws, 'payload-ep', 'blue', 'response'));
  const ins = byId(readEvents(ws, 'payload-ep', 'blue', 'model_inputs'));
  const outs = byId(readEvents(ws, 'payload-ep', 'blue', 'model_outputs'));

  for (const id of ['client-id-1', genId, 'ms-client-7', 'pretty']) {
    for (const c of [req, res, ins, outs]) assert.ok(c.has(id), `${id} collected in every collection`);
  }
  const r1 = req.get('client-id-1')!;
  assert.equal(r1.type, 'azureml.inference.request');
  assert.deepEqual(r1.data, { rows: [{ x: 1 }, { x: 2 }] });
  assert.equal(r1.path, '/score?v=1');
  assert.equal(r1.method, 'POST');
  assert.equal(r1.datacontenttype, 'application/json');
  assert.equal(r1.contentrange, 'bytes 0-29/30');
  assert.equal(r1.xrequestid, 'client-id-1');
  assert.equal(r1.statuscode, 200);
  const o1 = res.get('client-id-1')!;
  assert.deepEqual(o1.data, [{ y: 3 }, { y: 6 }]);
  assert.equal(o1.statuscode, 200);
  assert.deepEqual(ins.get('client-id-1')!.data, [{ x: 1 }, { x: 2 }]);
  assert.deepEqual(outs.get('client-id-1')!.data, [{ y: 3 }, { y: 6 }]);
  assert.equal(req.get('ms-client-7')!.xrequestid, 'ms-client-7');

  assert.deepEqual(req.get('pretty')!.data, { rows: [{ x: 10 }] });
  assert.equal(req.get('pretty')!.datacontenttype, 'application/json; charset=utf-8');
  assert.equal(req.get('csv')!.data, 'a,b\n1,2\n');
  assert.equal(req.get('csv')!.datacontenttype, 'text/csv');
  assert.equal(res.get('csv')!.data, 'A,B\n1,2\n');

  const binEvent = req.get('bin')!;
  assert.equal(binEvent.datainblob, 'true');
  assert.equal(binEvent.datacontenttype, 'image/png');
  assert.equal(binEvent.contentrange, 'bytes 0-6/7');
  assert.deepEqual([...readFileSync(blobPath(ws, binEvent.data as string))], [...bytes]);
  assert.equal(res.get('bin')!.datainblob, 'true');
  assert.equal(res.get('bin')!.statuscode, 201);

  assert.equal(req.get('boom')!.statuscode, 500);
  assert.equal((res.get('boom')!.data as { error: { code: string } }).error.code, 'MDC_SCORING_ERROR');
  assert.equal(req.get('bad')!.data, '{"rows": [', 'invalid JSON is kept as a string');
  assert.equal(req.get('bad')!.statuscode, 400);
  assert.equal(res.get('tea')!.statuscode, 418);
  assert.ok(!req.has('nf'), 'requests to other routes are not payload-logged');

  const bigEvent = req.get('big')!;
  assert.equal(bigEvent.datainblob, 'true');
  assert.deepEqual(JSON.parse(readFileSync(blobPath(ws, bigEvent.data as string), 'utf8')), {
    rows: bigRows,
  });
});

/** The local file behind an `azureml://datastores/workspaceblobstore/paths/...` pointer. */
function blobPath(ws: string, uri: string): string {
  const m = /^azureml:\/\/datastores\/workspaceblobstore\/paths\/(.+)$/.exec(uri);
  assert.ok(m, `datainblob pointer ${uri}`);
  return join(ws, 'datastores/workspaceblobstore', m[1]!);
}
