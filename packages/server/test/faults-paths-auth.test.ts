// The fault suite's path-traversal and authentication part: every name that becomes a path (collection, endpoint,
// deployment, datastore, data asset, --out) is refused with a code when it tries to leave its folder, and keys are
// checked in constant time; the studio off loopback needs the key.
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { join } from 'node:path';
import { test } from 'node:test';
import { Collector, DataCollectorRuntime, MdcError, resolveDeployment } from 'model-data-collector/internal';
import { authorize } from '../src/endpoint-keys.js';
import { runCli, startStudioCli, tempDir } from './helpers/cli.js';

/** A workspace with one collected event, and an `outside` folder next to it that nothing may write into. */
async function workspace(
  t: Parameters<typeof tempDir>[0],
): Promise<{ dir: string; ws: string; outside: string }> {
  const dir = await tempDir(t, 'mdc-paths-');
  const ws = join(dir, 'ws');
  const outside = join(dir, 'outside');
  await mkdir(outside);
  const runtime = new DataCollectorRuntime({
    workspace: ws,
    deployment: resolveDeployment({
      endpoint_name: 'credit',
      name: 'blue',
      data_collector: { collections: { model_inputs: { enabled: 'True' } } },
    }),
    handleProcessExit: false,
  });
  new Collector({ name: 'model_inputs', runtime }).collect([{ AGE: 30 }]);
  await runtime.shutdown();
  return { dir, ws, outside };
}

function assertCoded(r: { code: number | null; stderr: string }, code: string, what: string): void {
  assert.equal(r.code, 2, `${what}: exit ${r.code}\n${r.stderr}`);
  assert.match(r.stderr, new RegExp(`^error ${code}: `, 'm'), what);
}

test('names that become paths cannot leave their folder: each is refused with a code', async (t) => {
  const { dir, ws, outside } = await workspace(t);
  const yamls: Array<[string, string]> = [
    ['endpoint_name', 'endpoint_name: ../outside\nname: blue\n'],
    ['name (deployment)', 'endpoint_name: e\nname: a/../../../outside\n'],
    ['collection', "data_collector:\n  collections:\n    '..': {enabled: 'True'}\n"],
    [
      'data asset name',
      "data_collector:\n  collections:\n    model_inputs: {enabled: 'True', data: {name: '..'}}\n",
    ],
    [
      'data asset version',
      "data_collector:\n  collections:\n    model_inputs: {enabled: 'True', data: {version: '../../../outside/x'}}\n",
    ],
  ];
  await mkdir(join(dir, 'src'));
  await writeFile(
    join(dir, 'src/score.js'),
    'export function init() {}\nexport function run(d) { return d; }\n',
  );
  for (const [what, yaml] of yamls) {
    const file = join(dir, 'd.yml');
    await writeFile(file, `${yaml}code_configuration: {code: src, scoring_script: score.js}\n`);
    const r = runCli(['serve', '-f', file, '--port', '0', '--workspace', ws]);
    assertCoded(r, 'MDC_INVALID_CONFIG', `mdc serve with a ${what} that leaves its folder`);
    assert.match(r.stderr, /must be one path segment|cannot be \. or \.\./, what);
  }
  const target = ['--target', 'http://127.0.0.1:9', '--port', '0', '--workspace', ws];
  assertCoded(
    runCli(['proxy', ...target, '--endpoint', '../outside']),
    'MDC_INVALID_CONFIG',
    'mdc proxy --endpoint',
  );
  assertCoded(
    runCli(['proxy', ...target, '--deployment', '..']),
    'MDC_INVALID_CONFIG',
    'mdc proxy --deployment',
  );
  assertCoded(
    runCli(['datastore', 'create', '../outside', '--type', 'local', '--path', outside, '--workspace', ws]),
    'MDC_INVALID_OPTION',
    'mdc datastore create ../outside',
  );
  assertCoded(
    runCli(['ls', 'azureml://datastores/workspaceblobstore/paths/../../..', '--workspace', ws]),
    'MDC_INVALID_PATH',
    'mdc ls with ..',
  );
  assertCoded(
    runCli(['ls', 'azureml://datastores/../paths/x', '--workspace', ws]),
    'MDC_UNKNOWN_DATASTORE',
    'mdc ls ..',
  );
  assertCoded(
    runCli(['data', 'show', '../../ws/data-assets/credit-blue-model_inputs', '--workspace', ws]),
    'MDC_UNKNOWN_ASSET',
    'mdc data show ../',
  );
  assertCoded(runCli(['read', '../../outside', '--workspace', ws]), 'MDC_UNKNOWN_ASSET', 'mdc read ../');
  // --out: a folder, a missing folder, and a file inside the datastore (it would be read back as collected data)
  const collection = join(ws, 'datastores/workspaceblobstore/modelDataCollector/credit/blue/model_inputs');
  for (const out of [outside, join(outside, 'missing/rows.jsonl'), join(collection, 'rows.jsonl')]) {
    const r = runCli(['read', 'model_inputs', '--format', 'jsonl', '-o', out, '--workspace', ws]);
    assertCoded(r, 'MDC_INVALID_OPTION', `mdc read -o ${out}`);
  }
  assert.ok(!existsSync(join(collection, 'rows.jsonl')));
  const ok = runCli([
    'read',
    'model_inputs',
    '--format',
    'jsonl',
    '-o',
    join(outside, 'rows.jsonl'),
    '--workspace',
    ws,
  ]);
  assert.equal(ok.code, 0, ok.stderr);
  // A collection name given to the SDK
  const runtime = new DataCollectorRuntime({ workspace: ws, handleProcessExit: false });
  t.after(() => runtime.shutdown());
  for (const name of ['..', '../outside', 'a/b', 'x\0y']) {
    assert.throws(
      () => new Collector({ name, runtime }),
      (err: unknown) => err instanceof MdcError && err.code === 'MDC_INVALID_OPTION',
      `Collector name ${JSON.stringify(name)}`,
    );
  }
  assert.deepEqual(
    readdirSync(outside),
    ['rows.jsonl'],
    'nothing but the allowed export was written outside',
  );
});

test('the studio API refuses paths that leave a datastore, and never shows the keys file', async (t) => {
  const { ws } = await workspace(t);
  const keys = runCli(['keys', 'show', '--json', '--workspace', ws]);
  assert.equal(keys.code, 0, keys.stderr);
  const { primaryKey } = JSON.parse(keys.stdout) as { primaryKey: string };
  const studio = await startStudioCli(t, ['--workspace', ws, '--port', '0']);
  const refused: Array<[string, number, string]> = [
    ['/api/datastores/workspaceblobstore/file?path=../../endpoint-keys.json', 400, 'MDC_INVALID_QUERY_PARAM'],
    [
      '/api/datastores/workspaceblobstore/file?path=..%2F..%2Fendpoint-keys.json',
      400,
      'MDC_INVALID_QUERY_PARAM',
    ],
    ['/api/datastores/workspaceblobstore/file?path=%2Fetc%2Fpasswd', 400, 'MDC_INVALID_QUERY_PARAM'],
    ['/api/datastores/workspaceblobstore/record?path=a%5C..%5C..%5Cx.jsonl', 400, 'MDC_INVALID_QUERY_PARAM'],
    [
      '/api/datastores/workspaceblobstore/tree?path=modelDataCollector%2F..%2F..',
      400,
      'MDC_INVALID_QUERY_PARAM',
    ],
    ['/api/datastores/..%2F..%2Fws/tree', 404, 'MDC_UNKNOWN_DATASTORE'],
    ['/api/assets/..%2Fendpoint-keys', 404, 'MDC_UNKNOWN_ASSET'],
    ['/api/records/..%2F..%2Fendpoint-keys', 404, 'MDC_UNKNOWN_ASSET'],
  ];
  for (const [path, status, code] of refused) {
    const res = await fetch(`${studio.url}${path}`);
    const text = await res.text();
    assert.equal(res.status, status, `${path}: ${text}`);
    assert.equal((JSON.parse(text) as { error: { code: string } }).error.code, code, path);
    assert.ok(!text.includes(primaryKey), `${path} shows no key`);
  }
  // A page from another host name (DNS rebinding) is refused by a loopback studio.
  const rebound = await new Promise<number | undefined>((resolve, reject) =>
    request(`${studio.url}/api/info`, { headers: { host: 'evil.example' } }, (res) => {
      res.resume();
      resolve(res.statusCode);
    })
      .once('error', reject)
      .end(),
  );
  assert.equal(rebound, 403);
});

test('auth_mode key: keys are compared as equal-length digests, so a wrong key of any length is refused alike', () => {
  const keys = { primaryKey: 'p'.repeat(43), secondaryKey: 's'.repeat(43) };
  assert.equal(authorize(`Bearer ${keys.primaryKey}`, keys), true);
  assert.equal(authorize(`bearer ${keys.secondaryKey} `, keys), true);
  for (const wrong of [
    '',
    'p',
    `${'p'.repeat(42)}q`,
    `${keys.primaryKey}p`,
    'x'.repeat(4096),
    keys.primaryKey.toUpperCase(),
  ])
    assert.equal(authorize(`Bearer ${wrong}`, keys), false, JSON.stringify(wrong.slice(0, 50)));
  assert.equal(authorize(keys.primaryKey, keys), false, 'no Bearer scheme');
  assert.equal(authorize(`Basic ${keys.primaryKey}`, keys), false);
  assert.equal(authorize(undefined, keys), false);
  // Time per check, alternating rounds, median: a key of another length costs what a near-miss of the right
  // length costs (no early exit on length). A loose bound: this machine is shared, only a gross leak fails it.
  const time = (key: string) => {
    const start = process.hrtime.bigint();
    for (let i = 0; i < 2000; i++) authorize(`Bearer ${key}`, keys);
    return Number(process.hrtime.bigint() - start);
  };
  const ratios: number[] = [];
  for (let round = 0; round < 15; round++) {
    const shortKey = time('p');
    const nearMiss = time(`${'p'.repeat(42)}q`);
    ratios.push(shortKey / nearMiss);
  }
  ratios.sort((a, b) => a - b);
  const median = ratios[7]!;
  assert.ok(median > 0.6 && median < 1.6, `short key / near miss time ratio ${median.toFixed(2)}`);
});

test('the studio off loopback needs the workspace key on every request', async (t) => {
  const { ws } = await workspace(t);
  const keys = runCli(['keys', 'show', '--json', '--workspace', ws]);
  assert.equal(keys.code, 0, keys.stderr);
  const { primaryKey, secondaryKey } = JSON.parse(keys.stdout) as {
    primaryKey: string;
    secondaryKey: string;
  };
  const studio = await startStudioCli(t, [
    '--workspace',
    ws,
    '--host',
    '0.0.0.0',
    '--allow-remote',
    '--port',
    '0',
  ]);
  const base = studio.url.replace('0.0.0.0', '127.0.0.1');
  const get = (path: string, headers: Record<string, string> = {}) =>
    fetch(`${base}${path}`, { headers, redirect: 'manual' });
  const refusedHeaders: Record<string, string>[] = [
    {},
    { authorization: 'Bearer wrong' },
    { authorization: `Bearer ${primaryKey.slice(0, -1)}x` },
    { authorization: primaryKey },
    { cookie: 'mdc_studio_key=wrong' },
  ];
  for (const headers of refusedHeaders) {
    const res = await get('/api/datastores', headers);
    assert.equal(res.status, 401, JSON.stringify(headers));
    assert.equal(((await res.json()) as { error: { code: string } }).error.code, 'MDC_UNAUTHORIZED');
  }
  assert.equal((await get('/api/datastores', { authorization: `Bearer ${primaryKey}` })).status, 200);
  assert.equal((await get('/api/datastores', { authorization: `Bearer ${secondaryKey}` })).status, 200);
  assert.equal((await get(`/?key=${encodeURIComponent('not-the-key')}`)).status, 401);
  const login = await get(`/?key=${encodeURIComponent(primaryKey)}`);
  assert.equal(login.status, 303);
  const cookie = login.headers.get('set-cookie') ?? '';
  assert.match(cookie, /HttpOnly/);
  assert.equal((await get('/api/datastores', { cookie: cookie.split(';')[0]! })).status, 200);
});
