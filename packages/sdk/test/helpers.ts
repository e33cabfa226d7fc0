// Shared helpers of the SDK tests: temp workspaces, explicit runtimes, and reading what landed on disk.
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { after } from 'node:test';
import {
  DataCollectorRuntime,
  type MdcError,
  type RuntimeOptions,
  resolveDeployment,
} from '../src/internal.js';

/** 2024-03-05T18:16:25.750Z: a fixed instant for the injected clock. */
export const FIXED_MS = Date.UTC(2024, 2, 5, 18, 16, 25, 750);

/** The local datastore folder of a workspace (the default `workspaceblobstore`). */
export const blobstore = (ws: string) => join(ws, 'datastores', 'workspaceblobstore');

/** A fresh temp folder, removed when the test file ends. */
export function tempDir(prefix = 'mdc-sdk-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Writes a file (making its text from lines when given an array) and returns its path. */
export function writeText(path: string, text: string | string[]): string {
  writeFileSync(path, Array.isArray(text) ? `${text.join('\n')}\n` : text);
  return path;
}

/** A runtime on a temp workspace with a fixed clock and no process hooks; options override. */
export function makeRuntime(
  options: RuntimeOptions & { yaml?: unknown } = {},
): DataCollectorRuntime & { ws: string } {
  const ws = typeof options.workspace === 'string' ? options.workspace : tempDir();
  const { yaml, ...rest } = options;
  const rt = new DataCollectorRuntime(
    {
      workspace: ws,
      deployment:
        yaml === undefined
          ? resolveDeployment({ endpoint_name: 'ep', name: 'blue' })
          : resolveDeployment(yaml, join(ws, 'deployment.yml')),
      clock: () => FIXED_MS,
      handleProcessExit: false,
      instanceId: 'inst',
      ...rest,
    },
    {},
  ) as DataCollectorRuntime & { ws: string };
  rt.ws = ws;
  return rt;
}

/** Every file under `dir`, as paths relative to it with `/`, sorted. */
export function listFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    let names: string[];
    try {
      names = readdirSync(d);
    } catch {
      return;
    }
    for (const name of names) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else out.push(relative(dir, p).split('\\').join('/'));
    }
  };
  walk(dir);
  return out.sort();
}

/** One event line read back from disk: the raw text and the parsed object. */
export interface Line {
  readonly file: string;
  readonly text: string;
  readonly event: Record<string, unknown>;
}

/**
 * Reads every `.jsonl` file under `dir` and checks the framing a reader relies on: each file ends in `\n`
 * and every line is one JSON object.
 */
export function readEvents(dir: string): Line[] {
  const lines: Line[] = [];
  for (const file of listFiles(dir).filter((f) => f.endsWith('.jsonl'))) {
    const text = readFileSync(join(dir, file), 'utf8');
    assert.ok(text.endsWith('\n'), `${file} ends in a newline`);
    for (const line of text.slice(0, -1).split('\n')) {
      let event: unknown;
      try {
        event = JSON.parse(line);
      } catch {
        assert.fail(`a line of ${file} is not JSON: ${line.slice(0, 200)}`);
      }
      assert.ok(typeof event === 'object' && event !== null && !Array.isArray(event), `${file}: an object`);
      lines.push({ file, text: line, event: event as Record<string, unknown> });
    }
  }
  return lines;
}

/** Waits until `check()` is truthy, polling; fails after a generous deadline instead of assuming speed. */
export async function waitFor<T>(
  check: () => T | undefined | false,
  what: string,
  deadlineMs = 20_000,
): Promise<T> {
  const end = Date.now() + deadlineMs;
  for (;;) {
    let v: T | undefined | false;
    try {
      v = check();
    } catch (err) {
      // A check may read a file while a write to it is under way (a partial last line): try again.
      if (Date.now() > end) throw err;
      v = undefined;
    }
    if (v) return v;
    if (Date.now() > end) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Runs `fn` and returns the MdcError it throws (failing when it throws nothing or something else). */
export function catchMdc(fn: () => unknown): MdcError {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof Error, `threw a non-Error: ${String(err)}`);
    assert.equal(typeof (err as MdcError).code, 'string', `error without code: ${err.message}`);
    return err as MdcError;
  }
  assert.fail('expected an error, none was thrown');
}

/** A promise with its resolve function outside, to hold a sink's writes until the test lets them go. */
export function deferred<T = void>(): { promise: Promise<T>; resolve: (v: T) => void } {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}
