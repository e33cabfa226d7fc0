import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { join } from 'node:path';
import { test } from 'node:test';
import { collectionFiles, readEvents, startCli, tempDir } from './helpers/cli.js';

const SLOW_SCRIPT = `
import { Collector } from 'model-data-collector';
const inputs = new Collector({ name: 'model_inputs' });
export function init() {}
export async function run(data) {
  inputs.collect([{ i: data.i }]);
  if (data.sleepMs) await new Promise((r) => setTimeout(r, data.sleepMs));
  return { i: data.i, pid: process.pid };
}
`;

const yaml = (count: number) => `
name: blue
endpoint_name: workers
instance_count: ${count}
code_configuration: {code: src, scoring_script: score.js}
data_collector:
  collections:
    model_inputs: {enabled: 'True'}
    request: {enabled: 'True'}
    response: {enabled: 'True'}
`;

/** POST on a fresh connection (so node:cluster spreads the requests over the workers). */
function post(base: string, body: object, id: string): Promise<{ status: number; body: string }> {
  const url = new URL('/score', base);
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      url,
      {
        method: 'POST',
        agent: false,
        headers: { 'content-type': 'application/json', 'x-request-id': id, connection: 'close' },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8').on('data', (d: string) => {
          text += d;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
      },
    );
    req.on('error', reject);
    req.end(JSON.stringify(body));
  });
}

async function setup(t: Parameters<typeof tempDir>[0], count: number) {
  const dir = await tempDir(t);
  await mkdir(join(dir, 'src'));
  await writeFile(join(dir, 'src/score.js'), SLOW_SCRIPT);
  await writeFile(join(dir, 'deployment.yml'), yaml(count));
  return { file: join(dir, 'deployment.yml'), ws: join(dir, 'ws') };
}

test('SIGTERM lets in-flight requests finish, flushes every event and exits 0', async (t) => {
  const { file, ws } = await setup(t, 1);
  const cli = await startCli(t, ['serve', '-f', file, '--port', '0', '--workspace', ws]);
  const n = 30;
  const pending = Array.from({ length: n }, (_, i) => post(cli.url, { i, sleepMs: 800 }, `drain-${i}`));
  // Wait until every request is inside run(), then ask the server to stop.
  const deadline = Date.now() + 10_000;
  for (;;) {
    const text = await (await fetch(`${cli.url}/metrics`)).text();
    const inFlight = Number(/^mdc_http_requests_in_flight (\d+)/m.exec(text)?.[1] ?? 0);
    if (inFlight >= n + 1) break;
    assert.ok(Date.now() < deadline, `only ${inFlight} requests in flight`);
    await new Promise((r) => setTimeout(r, 20));
  }
  cli.child.kill('SIGTERM');
  const answers = await Promise.all(pending);
  assert.deepEqual(
    answers.map((a) => a.status),
    Array(n).fill(200),
  );
  assert.equal(await cli.exited, 0);
  assert.match(cli.stdout(), /SIGTERM: draining/);
  assert.match(cli.stdout(), /stopped/);
  const want = Array.from({ length: n }, (_, i) => `drain-${i}`).sort();
  for (const c of ['request', 'response', 'model_inputs']) {
    const ids = readEvents(ws, 'workers', 'blue', c).map((e) => e.correlationid);
    assert.deepEqual(ids.sort(), want, `${c} has every drained request`);
  }
});

test('instance_count workers share the port, each writing its own files, with metrics summed', async (t) => {
  const { file, ws } = await setup(t, 3);
  const cli = await startCli(t, ['serve', '-f', file, '--port', '0', '--workspace', ws], {
    readyTimeoutMs: 60_000,
  });
  assert.match(cli.stdout(), /3 instances/);
  const n = 300;
  const pids = new Set<number>();
  for (let start = 0; start < n; start += 30) {
    const batch = await Promise.all(
      Array.from({ length: 30 }, (_, k) => post(cli.url, { i: start + k }, `multi-${start + k}`)),
    );
    for (const a of batch) {
      assert.equal(a.status, 200);
      pids.add((JSON.parse(a.body) as { pid: number }).pid);
    }
  }
  assert.equal(pids.size, 3, 'requests reached all three workers');
  const metrics = await (await fetch(`${cli.url}/metrics`)).text();
  assert.match(metrics, /^mdc_http_requests_total\{route="\/score",method="POST",status="200"\} 300$/m);
  assert.match(metrics, /^mdc_ready 3$/m);
  assert.equal(await cli.stop(), 0);

  const want = Array.from({ length: n }, (_, i) => `multi-${i}`).sort();
  for (const c of ['request', 'response', 'model_inputs']) {
    const files = collectionFiles(ws, 'workers', 'blue', c).filter((f) => f.endsWith('.jsonl'));
    assert.equal(files.length, 3, `${c}: one file per instance`);
    const ids = readEvents(ws, 'workers', 'blue', c).map((e) => e.correlationid);
    assert.deepEqual(ids.sort(), want, `${c}: every event exactly once`);
  }
});
