// The fault suite's fuzz part for the reading side: malformed lines in collected .jsonl files (as a torn write, a
// foreign tool or a hostile user could leave them) read by `mdc read` and shown by the studio API, and malformed
// studio API requests. What must hold: no crash, no 5xx, coded refusals, and every valid event among the bad lines
// read exactly once. MDC_FUZZ_COUNT / MDC_FUZZ_SEED as in fuzz-http.test.ts.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { runCli, startStudioCli, tempDir } from './helpers/cli.js';
import { fuzzCount, fuzzSeed, Prng, sampleJson, TRAVERSAL_NAMES } from './helpers/fuzz.js';

const COUNT = fuzzCount(500);
const SEED = fuzzSeed();
/** Malformed lines per `mdc read` call (each call starts DuckDB: a batch keeps the count affordable). */
const LINES_PER_BATCH = 500;
const FILES_PER_BATCH = 5;
const T0 = Date.UTC(2024, 2, 5, 18, 0, 0);

function validLine(id: string, i: number, ms: number): string {
  const data = JSON.stringify([{ i, name: `row ${i}` }]);
  return JSON.stringify({
    specversion: '1.0',
    id: randomUUID(),
    source:
      '/subscriptions/x/resourceGroups/y/providers/Microsoft.MachineLearningServices/workspaces/w/onlineEndpoints/e',
    type: 'azureml.inference.model_inputs',
    datacontenttype: 'application/json',
    time: new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z'),
    data: JSON.parse(data),
    correlationid: id,
    xrequestid: id,
    modelversion: 'default',
    collectdatatype: 'pandas.core.frame.DataFrame',
    agent: 'fuzz',
    contentrange: `bytes 0-${data.length - 1}/${data.length}`,
  });
}

/** One malformed line (without its newline; it may contain newlines of its own). */
function badLine(r: Prng, ms: number): { kind: string; bytes: Buffer } {
  const ev = JSON.parse(validLine(`bad-${r.int(1e9)}`, -1, ms)) as Record<string, unknown>;
  const text = (s: string, kind: string) => ({ kind, bytes: Buffer.from(s) });
  switch (r.int(12)) {
    case 0:
      return { kind: 'random-bytes', bytes: r.bytes(1 + r.int(300)) };
    case 1: {
      const s = JSON.stringify(ev);
      return text(s.slice(0, 1 + r.int(s.length - 1)), 'truncated');
    }
    case 2:
      return text(
        JSON.stringify({ ...ev, data: JSON.parse(`${'['.repeat(500)}1${']'.repeat(500)}`) }),
        'deep-data',
      );
    case 3:
      return text(
        JSON.stringify(ev).replace(
          '"data":[',
          '"data":[{"x":1e999999},{"y":123456789012345678901234567890},',
        ),
        'huge-number',
      );
    case 4: {
      const s = JSON.stringify(ev);
      const at = s.indexOf('row');
      return {
        kind: 'invalid-utf8',
        bytes: Buffer.concat([
          Buffer.from(s.slice(0, at)),
          Buffer.from([0xc3, 0x28, 0xff]),
          Buffer.from(s.slice(at)),
        ]),
      };
    }
    case 5:
      return text(
        JSON.stringify(ev).replace('"data":', '"data":"dup","correlationid":"dup","data":'),
        'duplicate-keys',
      );
    case 6: {
      const field = r.pick([
        'data',
        'time',
        'correlationid',
        'type',
        'contentrange',
        'datainblob',
        'specversion',
      ]);
      const value = r.pick([
        '"x"',
        '5',
        'null',
        '{}',
        '[]',
        'true',
        '"9999-99-99T99:99:99Z"',
        '1e999',
        '"\\u0000"',
      ]);
      const o = JSON.parse(JSON.stringify(ev)) as Record<string, unknown>;
      o[field] = JSON.parse(value.replace('1e999', '1e308'));
      return text(JSON.stringify(o), `wrong-type:${field}`);
    }
    case 7: {
      // a blob pointer that tries to leave the datastore
      const target = r.pick([
        '../../../../etc/passwd',
        '/etc/passwd',
        'azureml://datastores/other/paths/x',
        '..',
        'C:\\x',
      ]);
      return text(JSON.stringify({ ...ev, datainblob: 'true', data: target }), 'blob-pointer');
    }
    case 8:
      return text(
        r.pick(['[]', '1', '"x"', 'null', '{}', ' ', '\r', '\ufeff{}', '{"data":[{"x":1}]}{"y":2}']),
        'not-an-event',
      );
    case 9:
      return text(
        JSON.stringify({ ...ev, data: [{ x: 'y'.repeat(200_000 + r.int(300_000)) }] }),
        'long-line',
      );
    case 10:
      return text(
        JSON.stringify({
          ...ev,
          data: Array.from({ length: 1 + r.int(3) }, () => JSON.parse(sampleJson(r))),
        }),
        'odd-rows',
      );
    default:
      return text(
        JSON.stringify({ ...ev, data: [{ ['__proto__']: { polluted: 1 }, constructor: 1, I: 1, i: 2 }] }),
        'odd-columns',
      );
  }
}

interface Batch {
  readonly endpoint: string;
  readonly validIds: string[];
  readonly kinds: Map<string, number>;
}

/** Writes `lines` malformed lines over FILES_PER_BATCH files of endpoint `fz<b>`, a valid event after every few. */
function writeBatch(ws: string, b: number, lines: number): Batch {
  const endpoint = `fz${b}`;
  const validIds: string[] = [];
  const kinds = new Map<string, number>();
  for (let f = 0; f < FILES_PER_BATCH; f++) {
    const ms = T0 + f * 3_600_000;
    const hour = new Date(ms).toISOString().slice(0, 13).replace(/[-T]/g, '/');
    const dir = join(
      ws,
      'datastores/workspaceblobstore/modelDataCollector',
      endpoint,
      'blue/model_inputs',
      hour,
    );
    mkdirSync(dir, { recursive: true });
    const parts: Buffer[] = [];
    const n = Math.ceil(lines / FILES_PER_BATCH);
    for (let k = 0; k < n; k++) {
      const i = b * LINES_PER_BATCH + f * n + k;
      const r = new Prng((SEED ^ Math.imul(i + 1, 0x9e3779b1)) >>> 0);
      const bad = badLine(r, ms + k);
      kinds.set(bad.kind, (kinds.get(bad.kind) ?? 0) + 1);
      parts.push(bad.bytes, Buffer.from('\n'));
      if (k % 3 === 0) {
        const id = `ok-${SEED}-${i}`;
        validIds.push(id);
        parts.push(Buffer.from(`${validLine(id, i, ms + k)}\n`));
      }
    }
    // The last file ends in a torn line, as one being written does.
    if (f === FILES_PER_BATCH - 1) parts.push(Buffer.from('{"specversion":"1.0","id":"torn'));
    writeFileSync(join(dir, 'fuzz-instance.jsonl'), Buffer.concat(parts));
  }
  return { endpoint, validIds, kinds };
}

test(`fuzz: ${COUNT} malformed .jsonl lines read by mdc read, with valid events among them`, async (t) => {
  const dir = await tempDir(t, 'mdc-fuzz-jsonl-');
  const ws = join(dir, 'ws');
  const batches = Math.ceil(COUNT / LINES_PER_BATCH);
  const kinds = new Map<string, number>();
  for (let b = 0; b < batches; b++) {
    const lines = Math.min(LINES_PER_BATCH, COUNT - b * LINES_PER_BATCH);
    const batch = writeBatch(ws, b, lines);
    for (const [k, n] of batch.kinds) kinds.set(k, (kinds.get(k) ?? 0) + n);
    const out = join(dir, `batch-${b}.jsonl`);
    const r = runCli(
      [
        'read',
        'model_inputs',
        '--endpoint',
        batch.endpoint,
        '--deployment',
        'blue',
        '--workspace',
        ws,
        '--format',
        'jsonl',
        '--since',
        '2024-01-01',
        '--until',
        '2025-01-01',
        '-o',
        out,
      ],
      {},
      120_000,
    );
    assert.equal(r.code, 0, `seed ${SEED} batch ${b}: mdc read exit ${r.code}\n${r.stderr.slice(0, 2000)}`);
    const ids = new Map<string, number>();
    for (const line of readFileSync(out, 'utf8').split('\n')) {
      if (line === '') continue;
      const row = JSON.parse(line) as { correlationid?: string };
      if (row.correlationid?.startsWith('ok-'))
        ids.set(row.correlationid, (ids.get(row.correlationid) ?? 0) + 1);
    }
    const missing = batch.validIds.filter((id) => !ids.has(id));
    const twice = [...ids].filter(([, n]) => n > 1);
    assert.deepEqual(missing, [], `seed ${SEED} batch ${b}: valid events not read`);
    assert.deepEqual(twice, [], `seed ${SEED} batch ${b}: valid events read twice`);
    assert.equal(ids.size, batch.validIds.length);
  }
  t.diagnostic(
    `mdc read: ${COUNT} malformed lines in ${batches * FILES_PER_BATCH} files (seed ${SEED}): ${[...kinds].map(([k, n]) => `${k} ${n}`).join(', ')}`,
  );

  // The studio API over the same workspace: malformed requests, and valid ones interleaved.
  const { url: base, child, stderr } = await startStudioCli(t, ['--workspace', ws, '--port', '0']);
  const file = `modelDataCollector/fz0/blue/model_inputs/${new Date(T0).toISOString().slice(0, 13).replace(/[-T]/g, '/')}/fuzz-instance.jsonl`;
  const names = [
    ...TRAVERSAL_NAMES.map((n) => encodeURIComponent(n)),
    'workspaceblobstore',
    'model_inputs',
    '%zz',
    '%C3%28',
    '%00',
    'x'.repeat(3000),
    'fz0-blue-model_inputs',
  ];
  const values = [
    ...TRAVERSAL_NAMES.map((n) => encodeURIComponent(n)),
    '-1',
    '1e999',
    '99999999999999999999',
    'NaN',
    '%zz',
    '%C3%28',
    encodeURIComponent(file),
    "x'; DROP TABLE t; --",
    '"',
    '1h',
    '2024-13-45',
  ];
  const filters = [
    'eq:i:1',
    "eq:name:x' OR 1=1 --",
    'gt:i:1e999',
    'contains:name:%',
    'null:nope',
    'bad',
    'eq:i:',
    'lt:"i":1',
    'notnull:i',
  ];
  const routes = [
    () => '/api/datastores',
    (r: Prng) => `/api/datastores/${r.pick(names)}/tree?path=${r.pick(values)}`,
    (r: Prng) =>
      `/api/datastores/${r.pick(names)}/file?path=${r.chance(0.5) ? encodeURIComponent(file) : r.pick(values)}&offset=${r.pick(values)}&limit=${r.pick(values)}`,
    (r: Prng) =>
      `/api/datastores/workspaceblobstore/record?path=${encodeURIComponent(file)}&offset=${r.int(20_000)}`,
    (r: Prng) =>
      `/api/records/${r.pick(names)}?endpoint=fz0&limit=${r.pick(values)}&offset=${r.pick(values)}&since=${r.pick(values)}&sort=${r.pick(['i', 'nope', '"; DROP', ''])}&filter=${encodeURIComponent(r.pick(filters))}`,
    (r: Prng) =>
      `/api/records/fz0-blue-model_inputs/summary?filter=${encodeURIComponent(r.pick(filters))}&version=${r.pick(values)}`,
    () => '/api/assets',
    (r: Prng) => `/api/assets/${r.pick(names)}`,
    (r: Prng) => `/api/requests?endpoint=${r.pick(names)}&limit=${r.pick(values)}`,
    (r: Prng) => `/api/requests/${r.pick(names)}`,
    (r: Prng) => `/api/deployments?window=${r.pick(values)}`,
    (r: Prng) => `/${r.pick(names)}/${r.pick(values)}`,
  ];
  const studioCount = Math.max(50, Math.round(COUNT / 4));
  const statuses = new Map<string, number>();
  for (let i = 0; i < studioCount; i++) {
    const r = new Prng((SEED ^ Math.imul(i + 7, 0x85ebca6b)) >>> 0);
    if (i % 10 === 0) {
      const res = await fetch(
        `${base}/api/datastores/workspaceblobstore/file?path=${encodeURIComponent(file)}&limit=100`,
      );
      assert.equal(res.status, 200, `valid request ${i}: ${await res.clone().text()}`);
      const page = (await res.json()) as { rows: { correlationid?: string }[] };
      assert.ok(
        page.rows.some((row) => row.correlationid?.startsWith('ok-')),
        'the valid events are shown',
      );
      continue;
    }
    const path = r.pick(routes)(r);
    const method = r.chance(0.1) ? r.pick(['POST', 'PUT', 'DELETE', 'PATCH']) : 'GET';
    const res = await fetch(`${base}${path}`, {
      method,
      ...(method !== 'GET'
        ? {
            body: r.bytes(r.int(200)),
            headers: { 'content-type': r.pick(['application/json', 'text/plain']) },
          }
        : {}),
    });
    const body = await res.text();
    let code = '';
    if (res.status >= 400) {
      try {
        code = (JSON.parse(body) as { error: { code: string } }).error.code;
      } catch {
        assert.fail(
          `seed ${SEED} studio input ${i} ${method} ${path}: ${res.status} without a coded error: ${body.slice(0, 200)}`,
        );
      }
    }
    if (res.status >= 400)
      assert.match(
        code,
        /^MDC_[A-Z_]+$/,
        `seed ${SEED} studio input ${i} ${method} ${path}: ${res.status} ${body.slice(0, 300)}`,
      );
    assert.ok(
      res.status < 500,
      `seed ${SEED} studio input ${i} ${method} ${path}: ${res.status} ${body.slice(0, 300)}`,
    );
    const k = `${res.status}${code ? ` ${code}` : ''}`;
    statuses.set(k, (statuses.get(k) ?? 0) + 1);
  }
  t.diagnostic(
    `studio API: ${studioCount} requests (seed ${SEED}) → ${[...statuses].map(([k, n]) => `${k}: ${n}`).join(', ')}`,
  );
  assert.equal(child.exitCode, null, `the studio is still running: ${stderr()}`);
});
