// The logging rule of mdc serve and mdc proxy: start-up lines on stdout stay human; log lines on stderr are
// human on a terminal or with --log-format human, JSON (pino's) otherwise or with --log-format json.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { BIN, ensureBuilt, ROOT, runCli, startCli, tempDir } from './helpers/cli.js';

const SCRIPT = `export function init() {}
export function run(data) {
  if (data.boom) throw new Error('boom in run');
  return { ok: true };
}
`;

async function deployment(t: Parameters<typeof tempDir>[0]): Promise<{ file: string; ws: string }> {
  const dir = await tempDir(t);
  await writeFile(join(dir, 'score.mjs'), SCRIPT);
  await writeFile(
    join(dir, 'deployment.yml'),
    'name: blue\nendpoint_name: logs\ncode_configuration: {code: ., scoring_script: score.mjs}\n',
  );
  return { file: join(dir, 'deployment.yml'), ws: join(dir, 'ws') };
}

/** Sends one request whose run() throws: the server logs it as an error with the script's stack. */
async function boom(url: string): Promise<void> {
  const res = await fetch(`${url}/score`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: '{"boom": 1}',
  });
  assert.equal(res.status, 500);
  await res.text();
}

/** Waits until stderr holds `pattern` (log lines are written as the request ends). */
async function waitFor(read: () => string, pattern: RegExp): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!pattern.test(read())) {
    if (Date.now() > deadline) assert.fail(`stderr never matched ${pattern}:\n${read()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

test('mdc serve: JSON log lines on stderr when it is not a terminal, human lines on stdout', async (t) => {
  const { file, ws } = await deployment(t);
  const cli = await startCli(t, ['serve', '-f', file, '--port', '0', '--workspace', ws]);
  await boom(cli.url);
  await waitFor(cli.stderr, /boom in run/);
  assert.equal(await cli.stop(), 0);
  const lines = cli.stderr().trim().split('\n');
  const logs = lines.map((l) => JSON.parse(l) as { level: number; msg: string; err?: { stack: string } });
  const error = logs.find((l) => l.level === 50);
  assert.equal(error?.msg, 'run() failed: boom in run');
  assert.match(error?.err?.stack ?? '', /score\.mjs/);
  assert.doesNotMatch(cli.stdout(), /^\{/m, 'no JSON on stdout');
  assert.match(cli.stdout(), /^mdc serve: ready at http/m);
});

test('mdc serve --log-format human: one readable line per log entry, the stack under an error', async (t) => {
  const { file, ws } = await deployment(t);
  const cli = await startCli(t, [
    'serve',
    '-f',
    file,
    '--port',
    '0',
    '--workspace',
    ws,
    '--log-format',
    'human',
  ]);
  await boom(cli.url);
  await waitFor(cli.stderr, /boom in run/);
  assert.equal(await cli.stop(), 0);
  const err = cli.stderr();
  assert.doesNotMatch(err, /^\{/m, 'no JSON line');
  assert.match(err, /^\d\d:\d\d:\d\d INFO {2}Server listening at http:\/\/127\.0\.0\.1:\d+$/m);
  assert.match(
    err,
    /^\d\d:\d\d:\d\d ERROR run\(\) failed: boom in run reqId=[\w-]+\n {4}Error: boom in run\n {8}at .*score\.mjs/m,
  );
});

test('mdc serve on a terminal logs human lines with no flag; MDC_LOG_FORMAT=json keeps JSON there', async (t) => {
  ensureBuilt();
  const { file, ws } = await deployment(t);
  // script(1) runs mdc on a pseudo-terminal; timeout(1) stops it with SIGTERM once it has logged its start.
  const run = (env: NodeJS.ProcessEnv) =>
    spawnSync(
      'script',
      [
        '-qec',
        `timeout -s TERM 5 ${process.execPath} ${BIN} serve -f ${file} --port 0 --workspace ${ws}`,
        '/dev/null',
      ],
      { cwd: ROOT, encoding: 'utf8', env: { ...process.env, ...env }, timeout: 30_000 },
    ).stdout;
  const human = run({ MDC_LOG_FORMAT: '' });
  assert.match(human, /mdc serve: ready at http/);
  assert.match(human, /\d\d:\d\d:\d\d INFO {2}Server listening at http/);
  assert.doesNotMatch(human, /"level":/);
  const json = run({ MDC_LOG_FORMAT: 'json' });
  assert.match(json, /\{"level":30,.*"msg":"Server listening at http/);
});

test('a log format other than human or json is refused with a coded error', async (t) => {
  const { file, ws } = await deployment(t);
  let r = runCli(['serve', '-f', file, '--port', '0', '--workspace', ws, '--log-format', 'xml']);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /^error MDC_USAGE: --log-format must be human or json; got "xml"/);
  r = runCli(['proxy', '--target', 'http://127.0.0.1:9', '--port', '0', '--workspace', ws], {
    MDC_LOG_FORMAT: 'xml',
  });
  assert.equal(r.code, 2);
  assert.match(
    r.stderr,
    /^error MDC_INVALID_ENV: environment variable MDC_LOG_FORMAT: must be human or json/,
  );
});

test('mdc proxy --log-format human: an unreachable target is one WARN line', async (t) => {
  const ws = join(await tempDir(t), 'ws');
  const cli = await startCli(t, [
    'proxy',
    '--target',
    'http://127.0.0.1:9',
    '--port',
    '0',
    '--workspace',
    ws,
    '--log-format',
    'human',
  ]);
  const res = await fetch(`${cli.url}/predict`, { method: 'POST', body: '{}' });
  assert.equal(res.status, 502);
  await res.text();
  await waitFor(cli.stderr, /UPSTREAM/);
  assert.equal(await cli.stop(), 0);
  assert.match(
    cli.stderr(),
    /^\d\d:\d\d:\d\d WARN {2}proxy: MDC_UPSTREAM_UNAVAILABLE: .* target=http:\/\/127\.0\.0\.1:9/m,
  );
  assert.doesNotMatch(cli.stderr(), /^\{/m);
});
