import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { test } from 'node:test';
import { readEvents, runCli, startCli, tempDir } from './helpers/cli.js';

async function deploymentDir(
  t: Parameters<typeof tempDir>[0],
  yaml: string,
  files: Record<string, string> = {},
): Promise<{ dir: string; ws: string; file: string }> {
  const dir = await tempDir(t);
  for (const [name, text] of Object.entries(files)) {
    await mkdir(join(dir, name, '..'), { recursive: true });
    await writeFile(join(dir, name), text);
  }
  await writeFile(join(dir, 'deployment.yml'), yaml);
  return { dir, ws: join(dir, 'ws'), file: join(dir, 'deployment.yml') };
}

const ECHO = 'export function init() {}\nexport function run(data) { return { echo: data }; }\n';
const COLLECT_PAYLOADS = `data_collector:
  collections:
    request: {enabled: 'True'}
    response: {enabled: 'True'}
`;

test('auth_mode key refuses requests without the workspace key and does not collect them', async (t) => {
  const { ws, file } = await deploymentDir(
    t,
    `name: green\nendpoint_name: keyed\nauth_mode: key\ncode_configuration: {code: src, scoring_script: score.mjs}\n${COLLECT_PAYLOADS}`,
    { 'src/score.mjs': ECHO },
  );
  const cli = await startCli(t, ['serve', '-f', file, '--port', '0', '--workspace', ws]);
  const keys = runCli(['keys', 'show', '--json', '--workspace', ws]);
  assert.equal(keys.code, 0, keys.stderr);
  const { primaryKey, secondaryKey } = JSON.parse(keys.stdout) as {
    primaryKey: string;
    secondaryKey: string;
  };
  assert.equal(runCli(['keys', 'show', '--workspace', ws]).stdout.trim(), primaryKey);

  const score = (headers: Record<string, string>) =>
    fetch(`${cli.url}/score`, {
      method: 'POST',
      body: '{"a": 1}',
      headers: { 'content-type': 'application/json', ...headers },
    });
  const refused: Record<string, string>[] = [
    {},
    { authorization: 'Bearer wrong' },
    { authorization: primaryKey },
  ];
  for (const headers of refused) {
    const res = await score({ ...headers, 'x-request-id': 'refused' });
    assert.equal(res.status, 401);
    assert.equal(res.headers.get('www-authenticate'), 'Bearer');
    assert.equal(res.headers.get('x-request-id'), 'refused');
    assert.equal(((await res.json()) as { error: { code: string } }).error.code, 'MDC_UNAUTHORIZED');
  }
  const ok1 = await score({ authorization: `Bearer ${primaryKey}`, 'x-request-id': 'primary' });
  assert.equal(ok1.status, 200);
  assert.deepEqual(await ok1.json(), { echo: { a: 1 } });
  const ok2 = await score({ authorization: `bearer ${secondaryKey}`, 'x-request-id': 'secondary' });
  assert.equal(ok2.status, 200);
  // probes need no key
  assert.equal((await fetch(`${cli.url}/ready`)).status, 200);
  assert.equal(await cli.stop(), 0);

  const ids = readEvents(ws, 'keyed', 'green', 'request').map((e) => e.correlationid);
  assert.deepEqual(ids.sort(), ['primary', 'secondary']);
});

test('request_settings, body limits, TypeScript scripts and registered models', async (t) => {
  const { dir, ws, file } = await deploymentDir(
    t,
    `name: blue\nendpoint_name: limits\nmodel: azureml:credit:2\ncode_configuration: {code: src, scoring_script: score.ts}\nrequest_settings: {request_timeout_ms: 300}\n${COLLECT_PAYLOADS}`,
    {
      'src/score.ts': `import { Collector } from 'model-data-collector';
const c: Collector = new Collector({ name: 'request' });
export async function run(data: { sleepMs?: number }): Promise<unknown> {
  if (data.sleepMs) await new Promise((r) => setTimeout(r, data.sleepMs));
  return { dir: process.env.AZUREML_MODEL_DIR, path: process.env.MDC_MODEL_PATH, typed: c.name };
}
`,
      'ws/models/credit/1/model/weights.bin': 'old',
      'ws/models/credit/2/model/weights.bin': 'new',
    },
  );
  const cli = await startCli(t, [
    'serve',
    '-f',
    file,
    '--port',
    '0',
    '--workspace',
    ws,
    '--max-body-bytes',
    '1000',
  ]);
  const post = (body: string, id: string) =>
    fetch(`${cli.url}/score`, {
      method: 'POST',
      body,
      headers: { 'content-type': 'application/json', 'x-request-id': id },
    });
  const ok = await post('{}', 'fast');
  assert.equal(ok.status, 200);
  assert.deepEqual(await ok.json(), {
    dir: join(ws, 'models/credit/2'),
    path: join(ws, 'models/credit/2/model'),
    typed: 'request',
  });
  const slow = await post('{"sleepMs": 1500}', 'slow');
  assert.equal(slow.status, 504);
  assert.equal(((await slow.json()) as { error: { code: string } }).error.code, 'MDC_SCORING_TIMEOUT');
  const big = await post(JSON.stringify({ pad: 'x'.repeat(2000) }), 'big');
  assert.equal(big.status, 413);
  assert.equal(((await big.json()) as { error: { code: string } }).error.code, 'MDC_PAYLOAD_TOO_LARGE');
  assert.equal(await cli.stop(), 0);
  const status = new Map(
    readEvents(ws, 'limits', 'blue', 'response').map((e) => [e.correlationid, e.statuscode]),
  );
  assert.equal(status.get('fast'), 200);
  assert.equal(status.get('slow'), 504);
  assert.ok(dir);
});

test('start-up failures exit 2 with a coded message', async (t) => {
  const { dir, ws } = await deploymentDir(t, '', {
    'ok/score.js': ECHO,
    'norun/score.js': 'export function init() {}\n',
    'badinit/score.js':
      "export function init() { throw new Error('no weights'); }\nexport function run() {}\n",
    'syntax/score.js': 'export function run( {\n',
    'model/weights.pkl': 'x',
  });
  const cases: Array<[string, string, RegExp]> = [
    [
      "code_configuration: {code: ok, scoring_script: score.js}\ndata_colector: {collections: {request: {enabled: 'True'}}}",
      'MDC_UNKNOWN_KEY',
      /data_colector: unknown key; did you mean data_collector\?/,
    ],
    [
      'code_configuration: {code: missing, scoring_script: score.js}',
      'MDC_SCRIPT_LOAD_FAILED',
      /does not exist/,
    ],
    ['code_configuration: {code: norun, scoring_script: score.js}', 'MDC_SCRIPT_LOAD_FAILED', /run\(data\)/],
    [
      'code_configuration: {code: syntax, scoring_script: score.js}',
      'MDC_SCRIPT_LOAD_FAILED',
      /cannot import/,
    ],
    ['code_configuration: {code: badinit, scoring_script: score.js}', 'MDC_INIT_FAILED', /no weights/],
    [
      'code_configuration: {code: ok, scoring_script: score.rb}',
      'MDC_SCRIPT_LOAD_FAILED',
      /score\.rb is not a Python, JavaScript or TypeScript file/,
    ],
    ['model: azureml:nowhere:3', 'MDC_MODEL_NOT_FOUND', /not registered/],
    ['model: {path: ./nope}', 'MDC_MODEL_NOT_FOUND', /does not exist/],
    ['model: {path: ./model}', 'MDC_NOTHING_TO_SERVE', /not an \.onnx file/],
    [
      'auth_mode: aad_token\ncode_configuration: {code: ok, scoring_script: score.js}',
      'MDC_INVALID_CONFIG',
      /auth_mode/,
    ],
  ];
  for (const [yaml, code, message] of cases) {
    const file = join(dir, `${code}-${cases.findIndex((c) => c[0] === yaml)}.yml`);
    await writeFile(file, `name: x\nendpoint_name: y\n${yaml}\n`);
    const r = runCli(['serve', '-f', file, '--port', '0', '--workspace', ws]);
    assert.equal(r.code, 2, `${yaml}: ${r.stderr}`);
    assert.match(r.stderr, new RegExp(`^error ${code}: `, 'm'), yaml);
    assert.match(r.stderr, message, yaml);
  }
  const missing = runCli(['serve', '-f', join(dir, 'absent.yml'), '--workspace', ws]);
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /^error MDC_CONFIG_NOT_FOUND: /m);
  const badPort = runCli(['serve', '-f', join(dir, 'absent.yml'), '--port', '70000']);
  assert.equal(badPort.code, 2);
  assert.match(badPort.stderr, /^error MDC_USAGE: --port/m);

  const busy = createServer().listen(0, '127.0.0.1');
  await new Promise((r) => busy.once('listening', r));
  t.after(() => new Promise<void>((r) => busy.close(() => r())));
  const file = join(dir, 'busy.yml');
  await writeFile(file, 'code_configuration: {code: ok, scoring_script: score.js}\n');
  const port = String((busy.address() as { port: number }).port);
  const inUse = runCli(['serve', '-f', file, '--port', port, '--workspace', ws]);
  assert.equal(inUse.code, 2);
  assert.match(inUse.stderr, /^error MDC_LISTEN_FAILED: /m);
});
