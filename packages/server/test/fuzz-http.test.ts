// The fault suite's fuzz part over HTTP: malformed requests against mdc serve's /score, mdc proxy and mdc sidecar,
// with valid requests interleaved. What must hold: the server answers every request (no crash), never with a 5xx,
// refuses with a coded 4xx, and collects every valid request exactly once.
// MDC_FUZZ_COUNT sets how many malformed requests each target gets (npm run bench -- faults runs 10,000);
// MDC_FUZZ_SEED replays a run (the seed is printed).
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { mkdir, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import { join } from 'node:path';
import { test } from 'node:test';
import { type CollectedEvent, readEvents, startCli, tempDir } from './helpers/cli.js';
import {
  type FuzzBody,
  fuzzBody,
  fuzzCount,
  fuzzRawRequest,
  fuzzSeed,
  Prng,
  sendRaw,
  TRAVERSAL_NAMES,
} from './helpers/fuzz.js';

const COUNT = fuzzCount(500);
const SEED = fuzzSeed();
/** Requests in flight at once: enough to interleave, few enough for a shared 2-core machine. */
const CONCURRENCY = 6;
/** One request in VALID_EVERY is a valid one whose collection is checked. */
const VALID_EVERY = 10;

interface Outcome {
  readonly i: number;
  readonly kind: string;
  readonly status: number | undefined;
  readonly code?: string;
  /** The correlation id the server answered with (`x-request-id`). */
  readonly id?: string;
}

/** Runs `count` malformed inputs plus the interleaved valid ones, CONCURRENCY at a time, in index order. */
async function drive(
  count: number,
  one: (i: number, r: Prng, valid: boolean) => Promise<Outcome>,
): Promise<{ outcomes: Outcome[]; validIds: number[] }> {
  const total = count + Math.ceil(count / (VALID_EVERY - 1));
  const outcomes: Outcome[] = [];
  const validIds: number[] = [];
  let next = 0;
  const worker = async () => {
    for (;;) {
      const i = next++;
      if (i >= total) return;
      const valid = i % VALID_EVERY === 0;
      if (valid) validIds.push(i);
      // One generator per input: input i of seed S is the same whatever ran before it.
      const r = new Prng((SEED ^ Math.imul(i + 1, 0x9e3779b1)) >>> 0);
      let o: Outcome;
      try {
        o = await one(i, r, valid);
      } catch (err) {
        throw new Error(`seed ${SEED} input ${i}: ${(err as Error).message}`, { cause: err });
      }
      outcomes.push(o);
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  return { outcomes, validIds };
}

/** Posts a fuzz body and reads the answer; a 4xx must carry a coded JSON error. */
async function post(
  url: string,
  f: FuzzBody,
  headers: Record<string, string>,
  i: number,
  expectCodedErrors = true,
): Promise<Outcome> {
  const h: Record<string, string> = { ...headers };
  if (f.contentType !== undefined) h['content-type'] = f.contentType;
  const res = await fetch(url, { method: 'POST', body: f.body, headers: h });
  const text = await res.text();
  let code: string | undefined;
  if (res.status >= 400 && expectCodedErrors) {
    try {
      code = (JSON.parse(text) as { error: { code: string } }).error.code;
    } catch {
      assert.fail(`input ${i} (${f.kind}): ${res.status} without a coded JSON error: ${text.slice(0, 200)}`);
    }
    assert.match(code ?? '', /^MDC_[A-Z_]+$/, `input ${i} (${f.kind}): error code`);
  }
  return { i, kind: f.kind, status: res.status, code, id: res.headers.get('x-request-id') ?? undefined };
}

function summarize(name: string, outcomes: readonly Outcome[]): string {
  const by = new Map<string, number>();
  for (const o of outcomes) {
    const k = `${o.status ?? 'closed'}${o.code ? ` ${o.code}` : ''}`;
    by.set(k, (by.get(k) ?? 0) + 1);
  }
  const parts = [...by].sort((a, b) => b[1] - a[1]).map(([k, n]) => `${k}: ${n}`);
  return `${name}: ${outcomes.length} requests (seed ${SEED}) → ${parts.join(', ')}`;
}

function assertNo5xx(name: string, outcomes: readonly Outcome[]): void {
  const bad = outcomes.filter((o) => o.status !== undefined && o.status >= 500);
  assert.equal(
    bad.length,
    0,
    `${name}: 5xx answers (seed ${SEED}): ${bad
      .slice(0, 5)
      .map((o) => `input ${o.i} ${o.kind} → ${o.status} ${o.code ?? ''}`)
      .join('; ')}`,
  );
}

function assertExactlyOnce(what: string, ids: readonly string[], wanted: readonly number[]): void {
  const seen = new Map<string, number>();
  for (const id of ids) seen.set(id, (seen.get(id) ?? 0) + 1);
  const missing = wanted.filter((i) => !seen.has(`ok-${SEED}-${i}`));
  const twice = [...seen].filter(([id, n]) => id.startsWith('ok-') && n > 1);
  assert.deepEqual(missing, [], `${what}: valid requests not collected (seed ${SEED})`);
  assert.deepEqual(twice, [], `${what}: valid requests collected more than once (seed ${SEED})`);
}

/** Each valid request once in request, response and model_inputs (every line whole); returns the request events. */
function assertPayloadsOnce(ws: string, endpoint: string, validIds: readonly number[]): CollectedEvent[] {
  // readEvents checks that every line is one whole JSON object.
  const ids = (collection: string) =>
    readEvents(ws, endpoint, 'blue', collection)
      .map((e) => e.correlationid)
      .filter((id) => id.startsWith('ok-'));
  const requests = readEvents(ws, endpoint, 'blue', 'request');
  assertExactlyOnce('request', ids('request'), validIds);
  assertExactlyOnce('response', ids('response'), validIds);
  assertExactlyOnce('model_inputs', ids('model_inputs'), validIds);
  return requests;
}

const SCORE = `import { Collector } from 'model-data-collector';
const inputs = new Collector({ name: 'model_inputs' });
export function init() {}
export function run(data) {
  if (data !== null && typeof data === 'object' && data.valid === true) {
    inputs.collect(data.rows);
    return { rows: data.rows.length };
  }
  // Malformed rows a client may send still go through collect() (its errors go to onError, never to the caller).
  if (data !== null && typeof data === 'object' && Array.isArray(data.data)) inputs.collect(data.data);
  return { kind: typeof data };
}
`;

const ALL_PAYLOADS = `data_collector:
  collections:
    request: {enabled: 'True'}
    response: {enabled: 'True'}
    model_inputs: {enabled: 'True'}
    model_outputs: {enabled: 'True'}
`;

test(`fuzz: ${COUNT} malformed requests against mdc serve /score`, async (t) => {
  const dir = await tempDir(t, 'mdc-fuzz-serve-');
  await mkdir(join(dir, 'src'));
  await writeFile(join(dir, 'src/score.mjs'), SCORE);
  const file = join(dir, 'deployment.yml');
  await writeFile(
    file,
    `name: blue\nendpoint_name: fuzz\ncode_configuration: {code: src, scoring_script: score.mjs}\n${ALL_PAYLOADS}`,
  );
  const ws = join(dir, 'ws');
  const cli = await startCli(t, [
    'serve',
    '-f',
    file,
    '--port',
    '0',
    '--workspace',
    ws,
    '--log-level',
    'fatal',
  ]);
  const port = Number(new URL(cli.url).port);
  const { outcomes, validIds } = await drive(COUNT, async (i, r, valid) => {
    if (valid) {
      const body = JSON.stringify({ valid: true, rows: [{ i, name: `row ${i}` }] });
      const res = await fetch(`${cli.url}/score`, {
        method: 'POST',
        body,
        headers: { 'content-type': 'application/json', 'x-request-id': `ok-${SEED}-${i}` },
      });
      assert.equal(res.status, 200, `valid input ${i}: ${await res.clone().text()}`);
      assert.deepEqual(await res.json(), { rows: 1 });
      return { i, kind: 'valid', status: res.status };
    }
    if (r.chance(0.03)) {
      const status = await sendRaw(port, fuzzRawRequest(r, '/score'));
      return { i, kind: 'raw', status };
    }
    const headers: Record<string, string> = { 'x-request-id': `fuzz-${i}` };
    if (r.chance(0.1)) headers['x-request-id'] = r.ascii(r.int(2000));
    return post(`${cli.url}/score`, fuzzBody(r), headers, i);
  });
  t.diagnostic(summarize('mdc serve /score', outcomes));
  assertNo5xx('/score', outcomes);
  assert.equal((await fetch(`${cli.url}/ready`)).status, 200, 'still ready after the fuzz');
  assert.equal(await cli.stop(), 0, cli.stderr());
  const requests = assertPayloadsOnce(ws, 'fuzz', validIds);
  // Every request that reached /score was logged once, malformed or not (none is lost on the way).
  const logged = new Set(requests.map((e) => e.correlationid));
  // Refused before /score runs (as a 401 is): a Content-Type that does not parse, a body over the limit.
  const early = new Set(['MDC_UNSUPPORTED_MEDIA_TYPE', 'MDC_PAYLOAD_TOO_LARGE']);
  const unlogged = outcomes.filter(
    (o) => o.kind !== 'raw' && o.kind !== 'valid' && !early.has(o.code ?? '') && !logged.has(o.id ?? ''),
  );
  assert.deepEqual(unlogged, [], 'every request answered by /score is logged');
});

test(`fuzz: ${COUNT} malformed requests through mdc proxy (model-io on)`, async (t) => {
  // The model server echoes each body back with its Content-Type: the proxy sees malformed answers too.
  const upstream = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      res.writeHead(200, { 'content-type': req.headers['content-type'] ?? 'application/json' });
      res.end(body);
    });
  });
  upstream.listen(0, '127.0.0.1');
  await once(upstream, 'listening');
  t.after(() => new Promise<void>((r) => upstream.close(() => r())));
  const dir = await tempDir(t, 'mdc-fuzz-proxy-');
  const file = join(dir, 'deployment.yml');
  await writeFile(file, `name: blue\nendpoint_name: fuzzproxy\n${ALL_PAYLOADS}`);
  const ws = join(dir, 'ws');
  const target = `http://127.0.0.1:${(upstream.address() as { port: number }).port}`;
  const cli = await startCli(t, [
    'proxy',
    '--target',
    target,
    '-f',
    file,
    '--port',
    '0',
    '--workspace',
    ws,
    '--model-io',
    'auto',
    '--log-level',
    'fatal',
  ]);
  const port = Number(new URL(cli.url).port);
  const paths = [
    '/score',
    '/v2/models/m/infer',
    '/v1/models/m:predict',
    '/invocations',
    '/v1/chat/completions',
  ];
  const { outcomes, validIds } = await drive(COUNT, async (i, r, valid) => {
    const path = r.pick(paths);
    if (valid) {
      const res = await fetch(`${cli.url}/score`, {
        method: 'POST',
        body: JSON.stringify({ input_data: { columns: ['i'], data: [[i]] } }),
        headers: { 'content-type': 'application/json', 'x-request-id': `ok-${SEED}-${i}` },
      });
      assert.equal(res.status, 200);
      await res.arrayBuffer();
      return { i, kind: 'valid', status: res.status };
    }
    if (r.chance(0.03)) return { i, kind: 'raw', status: await sendRaw(port, fuzzRawRequest(r, path)) };
    // The proxy forwards what the model server answers: a 4xx here would be the proxy's own refusal.
    return post(`${cli.url}${path}`, fuzzBody(r), { 'x-request-id': `fuzz-${i}` }, i, false);
  });
  t.diagnostic(summarize('mdc proxy', outcomes));
  assertNo5xx('mdc proxy', outcomes);
  const proxied = outcomes.filter((o) => o.kind !== 'raw');
  assert.deepEqual(
    proxied.filter((o) => o.status !== 200).map((o) => `${o.i} ${o.kind} ${o.status}`),
    [],
    'every well-framed request reached the model server and its answer came back',
  );
  assert.equal(await cli.stop(), 0, cli.stderr());
  const requests = assertPayloadsOnce(ws, 'fuzzproxy', validIds);
  const logged = new Set(requests.map((e) => e.correlationid));
  const unlogged = proxied.filter((o) => o.kind !== 'valid' && !logged.has(o.id ?? ''));
  assert.deepEqual(unlogged, [], 'every proxied request is logged');
  // A raw request may reach the model server before its framing breaks; nothing is logged twice.
  const raw = outcomes.length - proxied.length;
  assert.ok(
    requests.length >= proxied.length && requests.length <= proxied.length + raw,
    'one event per exchange',
  );
});

test(`fuzz: ${COUNT} malformed posts against mdc sidecar /modeldata/log`, async (t) => {
  const dir = await tempDir(t, 'mdc-fuzz-sidecar-');
  const file = join(dir, 'deployment.yml');
  await writeFile(
    file,
    `name: blue\nendpoint_name: fuzzside\ndata_collector:\n  collections:\n    model_inputs: {enabled: 'True'}\n    model_outputs: {enabled: 'True'}\n`,
  );
  const ws = join(dir, 'ws');
  const cli = await startCli(t, ['sidecar', '-f', file, '--port', '0', '--workspace', ws]);
  const port = Number(new URL(cli.url).port);
  const url = `${cli.url}/modeldata/log`;
  const ceTypes = [
    'azureml.inference.model_inputs',
    'azureml.inference.MODEL_OUTPUTS',
    'azureml.inference.',
    'azureml.inference.request',
    'azureml.inference.nope',
    ...TRAVERSAL_NAMES.map((n) => `azureml.inference.${n.replace(/\0/g, '')}`),
    'x',
  ];
  const { outcomes, validIds } = await drive(COUNT, async (i, r, valid) => {
    if (valid) {
      const res = await fetch(url, {
        method: 'POST',
        body: JSON.stringify([{ i, name: `row ${i}` }]),
        headers: {
          'content-type': 'application/json',
          'ce-type': 'azureml.inference.model_inputs',
          'ce-x-request-id': `ok-${SEED}-${i}`,
        },
      });
      assert.equal(res.status, 200, await res.clone().text());
      await res.arrayBuffer();
      return { i, kind: 'valid', status: res.status };
    }
    if (r.chance(0.03))
      return { i, kind: 'raw', status: await sendRaw(port, fuzzRawRequest(r, '/modeldata/log')) };
    const headers: Record<string, string> = {
      'ce-type': r.chance(0.7) ? 'azureml.inference.model_inputs' : r.pick(ceTypes),
      'ce-x-request-id': r.chance(0.9) ? `fuzz-${i}` : r.ascii(r.int(500)),
    };
    if (r.chance(0.3))
      headers['ce-time'] = r.pick([
        '1700000000',
        '1700000000000',
        '-1',
        'abc',
        '1e400',
        '',
        '0x10',
        ' 1700000000 ',
      ]);
    if (r.chance(0.2)) headers['ce-collect-data-type'] = r.ascii(r.int(100));
    return post(url, fuzzBody(r), headers, i);
  });
  t.diagnostic(summarize('mdc sidecar', outcomes));
  assertNo5xx('mdc sidecar', outcomes);
  assert.equal(await cli.stop(), 0, cli.stderr());
  const events = readEvents(ws, 'fuzzside', 'blue', 'model_inputs');
  assertExactlyOnce(
    'model_inputs',
    events.filter((e) => e.correlationid.startsWith('ok-')).map((e) => e.correlationid),
    validIds,
  );
  const accepted = outcomes.filter((o) => o.status === 200).length;
  const stored = events.length + readEvents(ws, 'fuzzside', 'blue', 'model_outputs').length;
  assert.equal(stored, accepted, 'every accepted post is one stored event');
});
