// The README as a newcomer types it: `npm start` fills a fresh workspace, then every `npx mdc …` line of the
// README's sh blocks runs at the repository root against it. The lines are read from README.md when the test
// runs, so a README line that stops working fails here.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ROOT, tempDir } from './helpers.js';

/** The `npx mdc …` lines of the README's ```sh blocks, without their trailing comments. */
function readmeLines(): string[] {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const lines: string[] = [];
  for (const block of readme.matchAll(/```sh\n([\s\S]*?)```/g)) {
    for (const raw of block[1]!.split('\n')) {
      // A `#` starts a comment only outside quotes (the SQL of a query line may hold one).
      const line = raw.replace(/\s+#[^'"]*$/, '').trim();
      if (line.startsWith('npx mdc ')) lines.push(line);
    }
  }
  return lines;
}

/** Commands that keep running: started, checked over HTTP, then stopped. */
const SERVERS = new Set(['studio']);

const ws = join(tempDir('mdc-readme-'), 'mdc-workspace');
const env = { ...process.env, MDC_WORKSPACE: ws };
after(() => rmSync(join(ws, '..'), { recursive: true, force: true }));

/** Runs one README line in a shell at the repository root, as typed. */
function sh(line: string) {
  const r = spawnSync('sh', ['-c', line], { cwd: ROOT, env, encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** npm itself must not warn (an unknown .npmrc key, an engine mismatch): a newcomer reads every line. */
function assertNoNpmWarning(stderr: string, what: string): void {
  assert.doesNotMatch(stderr, /^npm warn/im, `${what} printed npm warnings:\n${stderr}`);
}

describe('the README, command by command', { timeout: 300_000 }, () => {
  before(() => {
    // "npm start … writes into ./mdc-workspace (set MDC_WORKSPACE to put it elsewhere)".
    const r = spawnSync('npm', ['start'], { cwd: ROOT, env, encoding: 'utf8', timeout: 180_000 });
    assert.equal(r.status, 0, `npm start:\n${r.stdout}\n${r.stderr}`);
    assertNoNpmWarning(r.stderr, 'npm start');
    assert.match(r.stdout, /correlationid/);
  });

  it('npx --no-install mdc --help works at the repository root', () => {
    const r = sh('npx --no-install mdc --help');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^Usage: mdc \[options\] \[command\]/);
    assertNoNpmWarning(r.stderr, 'npx mdc --help');
  });

  it('finds the npx mdc lines of the README', () => {
    const lines = readmeLines();
    assert.ok(lines.length >= 4, `only ${lines.length} lines: ${lines.join('\n')}`);
    assert.ok(
      lines.some((l) => l.startsWith('npx mdc studio')),
      'the studio line',
    );
  });

  for (const line of readmeLines()) {
    const command = line.split(/\s+/)[2]!;
    it(line, async () => {
      if (SERVERS.has(command)) return checkServer(line);
      const r = sh(line);
      assertNoNpmWarning(r.stderr, line);
      assert.doesNotMatch(r.stderr, /^error/m, `${line}:\n${r.stderr}`);
      // mdc monitor exits 3 when a threshold is breached (docs/monitoring.md): the demo's drift is on purpose.
      const ok = command === 'monitor' ? [0, 3] : [0];
      assert.ok(ok.includes(r.code!), `${line} exited ${r.code}:\n${r.stdout}\n${r.stderr}`);
      assert.notEqual(r.stdout.trim(), '', `${line} printed nothing`);
      const limit = /--limit (\d+)/.exec(line);
      if (limit) assert.match(r.stdout, new RegExp(`\\(${limit[1]} rows\\)\\n$`), line);
      if (command === 'query') assert.match(r.stdout, /\((?!0 rows)\d+ rows?\)\n$/, line);
      if (command === 'monitor') assert.match(r.stdout, /pass|fail/, line);
    });
  }
});

/** Starts a long-running line (on a free port, so a busy 5050 cannot fail it), checks HTTP 200, stops it. */
async function checkServer(line: string): Promise<void> {
  const child: ChildProcess = spawn('sh', ['-c', `exec ${line} --port 0`], {
    cwd: ROOT,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let out = '';
  let err = '';
  child.stdout!.on('data', (b: Buffer) => {
    out += b.toString();
  });
  child.stderr!.on('data', (b: Buffer) => {
    err += b.toString();
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  try {
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${line}: no URL printed:\n${out}\n${err}`)), 60_000);
      child.stdout!.on('data', () => {
        const m = /(http:\/\/127\.0\.0\.1:\d+\/)/.exec(out);
        if (m) {
          clearTimeout(timer);
          resolve(m[1]!);
        }
      });
      void exited.then((code) => reject(new Error(`${line} exited ${code}:\n${out}\n${err}`)));
    });
    const page = await fetch(url);
    assert.equal(page.status, 200);
    await page.text();
    const info = (await (await fetch(`${url}api/info`)).json()) as { workspace: string };
    assert.equal(info.workspace, ws, 'the studio shows the demo workspace');
  } finally {
    // The shell exec'd npx, which runs mdc: stop the whole group this test started.
    if (child.pid !== undefined && child.exitCode === null) process.kill(-child.pid, 'SIGTERM');
    await exited;
  }
  assertNoNpmWarning(err, line);
}
