import assert from 'node:assert/strict';
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmdirSync, statSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
export const BIN = join(ROOT, 'packages/cli/dist/bin.js');

let built = false;

/** Builds the packages the CLI runs from (once per test process; a lock keeps parallel test files apart). */
export function ensureBuilt(): void {
  // MDC_TEST_SKIP_BUILD=1: test the dist/ already there (e.g. built by `npm run typecheck`).
  if (built || process.env.MDC_TEST_SKIP_BUILD === '1') return;
  const lock = join(ROOT, 'node_modules/.mdc-test-build.lock');
  const deadline = Date.now() + 120_000;
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch {
      if (Date.now() > deadline) throw new Error(`build lock ${lock} held for 2 minutes`);
      spawnSync('sleep', ['0.2']);
    }
  }
  try {
    // The same projects `npm run build` builds.
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
      scripts: { build: string };
    };
    // Only its `tsc -b …` part (the script goes on with `&& node …` steps the CLI tests do not need).
    const args = pkg.scripts.build.split('&&')[0]!.trim().split(/\s+/).slice(1);
    const tsc = join(ROOT, 'node_modules/typescript/bin/tsc');
    const r = spawnSync(process.execPath, [tsc, ...args], {
      cwd: ROOT,
      encoding: 'utf8',
    });
    assert.equal(r.status, 0, `tsc -b failed:\n${r.stdout}${r.stderr}`);
    built = true;
  } finally {
    rmdirSync(lock);
  }
}

export async function tempDir(
  t: { after: (fn: () => Promise<void> | void) => void },
  prefix = 'mdc-test-',
): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

export interface Cli {
  readonly child: ChildProcess;
  /** The base URL from the `ready at` line (without /score). */
  readonly url: string;
  stdout(): string;
  stderr(): string;
  /** Sends a signal and resolves with the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
  exited: Promise<number | null>;
}

const live = new Set<ChildProcess>();
process.on('exit', () => {
  for (const c of live) c.kill('SIGKILL');
});

/** Runs `mdc <args>` to completion. */
export function runCli(args: string[], env: NodeJS.ProcessEnv = {}, timeoutMs = 30_000) {
  ensureBuilt();
  const r = spawnSync(process.execPath, [BIN, ...args], {
    cwd: ROOT,
    encoding: 'utf8',
    env: { ...process.env, ...env },
    timeout: timeoutMs,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/**
 * Starts a long-running `mdc` command (serve, proxy) and resolves once it prints `ready at <url>`. The child is
 * killed when the test ends, whatever happens.
 */
export async function startCli(
  t: { after: (fn: () => Promise<void> | void) => void },
  args: string[],
  options: { env?: NodeJS.ProcessEnv; readyTimeoutMs?: number } = {},
): Promise<Cli> {
  ensureBuilt();
  const child = spawn(process.execPath, [BIN, ...args], {
    cwd: ROOT,
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  live.add(child);
  let out = '';
  let err = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => {
    out += d;
  });
  child.stderr!.setEncoding('utf8').on('data', (d: string) => {
    err += d;
  });
  const exited = new Promise<number | null>((resolve) => {
    child.once('exit', (code) => {
      live.delete(child);
      resolve(code);
    });
  });
  t.after(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`mdc ${args.join(' ')} not ready in time\nstdout:\n${out}\nstderr:\n${err}`)),
      options.readyTimeoutMs ?? 30_000,
    );
    const check = () => {
      const m = /ready at (http:\/\/[^\s/]+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    };
    child.stdout!.on('data', check);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(
        new Error(`mdc ${args.join(' ')} exited ${code} before ready\nstdout:\n${out}\nstderr:\n${err}`),
      );
    });
  });
  return {
    child,
    url,
    stdout: () => out,
    stderr: () => err,
    exited,
    async stop(signal = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}

export interface CollectedEvent {
  [key: string]: unknown;
  id: string;
  type: string;
  data: unknown;
  correlationid: string;
  xrequestid: string;
  datacontenttype: string;
  contentrange: string;
}

/** Every `.jsonl` file under a collection's folder, with its raw text. */
export function collectionFiles(workspace: string, endpoint: string, deployment: string, collection: string) {
  const dir = join(
    workspace,
    'datastores/workspaceblobstore/modelDataCollector',
    endpoint,
    deployment,
    collection,
  );
  return filesUnder(dir);
}

/** Every file under `dir` (none when it does not exist), in name order. */
export function filesUnder(dir: string): string[] {
  const files: string[] = [];
  const walk = (d: string) => {
    let names: string[];
    try {
      names = readdirSync(d);
    } catch {
      return;
    }
    for (const n of names.sort()) {
      const p = join(d, n);
      if (statSync(p).isDirectory()) walk(p);
      else files.push(p);
    }
  };
  walk(dir);
  return files;
}

/** The events of one collection, every line checked to be one complete JSON object. */
export function readEvents(
  workspace: string,
  endpoint: string,
  deployment: string,
  collection: string,
): CollectedEvent[] {
  const events: CollectedEvent[] = [];
  for (const f of collectionFiles(workspace, endpoint, deployment, collection)) {
    if (!f.endsWith('.jsonl')) continue;
    const text = readFileSync(f, 'utf8');
    assert.ok(text.endsWith('\n'), `${f} ends with a newline`);
    for (const line of text.slice(0, -1).split('\n')) events.push(JSON.parse(line) as CollectedEvent);
  }
  return events;
}

/** Finds a free TCP port on 127.0.0.1 (for tests that need to know it before starting). */
export { freePort } from '@model-data-collector/test-support/temp';

/** Starts `mdc studio <args>` and resolves with its base URL (no trailing slash) once it prints it. */
export async function startStudioCli(
  t: { after: (fn: () => Promise<void> | void) => void },
  args: string[],
): Promise<{ url: string; child: ChildProcess; stderr: () => string }> {
  ensureBuilt();
  const child = spawn(process.execPath, [BIN, 'studio', ...args], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  live.add(child);
  t.after(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  let err = '';
  child.stderr!.setEncoding('utf8').on('data', (d: string) => {
    err += d;
  });
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout!.setEncoding('utf8').on('data', (d: string) => {
      out += d;
      const m = /mdc studio: (http:\/\/\S+?)\/?\n/.exec(out);
      if (m) resolve(m[1]!);
    });
    child.once('exit', (code) => reject(new Error(`mdc studio exited ${code}: ${err}`)));
  });
  return { url, child, stderr: () => err };
}
