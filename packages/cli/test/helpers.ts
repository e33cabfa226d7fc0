import assert from 'node:assert/strict';
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DataCollectorRuntime, type RuntimeOptions, resolveDeployment } from 'model-data-collector/internal';

export const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
export const BIN = join(ROOT, 'packages/cli/dist/bin.js');

/** Runs the built `mdc` as a user would; the suite is run after `npm run build` (npm test builds first). */
export function mdc(args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {}) {
  if (!existsSync(BIN)) throw new Error(`${BIN} is missing: run npm run build first`);
  const res = spawnSync(process.execPath, [BIN, ...args], {
    cwd: opts.cwd ?? ROOT,
    env: { ...process.env, MDC_WORKSPACE: '', ...opts.env },
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { code: res.status, stdout: res.stdout, stderr: res.stderr };
}

export function tempDir(prefix = 'mdc-cli-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** A running `mdc` child whose stdout is kept; `waitFor` resolves when a pattern shows. */
export function startMdc(args: string[], cwd: string, env: NodeJS.ProcessEnv = {}) {
  const child: ChildProcess = spawn(process.execPath, [BIN, ...args], {
    cwd,
    env: { ...process.env, ...env, MDC_WORKSPACE: '' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => {
    out += d;
  });
  child.stderr!.setEncoding('utf8').on('data', (d: string) => {
    err += d;
  });
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  return {
    child,
    exited,
    get out() {
      return out;
    },
    get err() {
      return err;
    },
    async waitFor(re: RegExp, ms = 30_000): Promise<RegExpExecArray> {
      const end = Date.now() + ms;
      for (;;) {
        const m = re.exec(out);
        if (m) return m;
        if (Date.now() > end || child.exitCode !== null)
          throw new Error(`no ${re} in mdc ${args.join(' ')}:\n${out}\n${err}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    },
  };
}

/** The credit-default model's sample, scored through `POST /score` with a request id. */
export async function scoreCredit(url: string, requestId: string): Promise<void> {
  const sample = JSON.parse(readFileSync(join(ROOT, 'models/credit-default/sample-requests.json'), 'utf8'));
  const res = await fetch(`${url}/score`, {
    method: 'POST',
    body: JSON.stringify({ dataframe_split: sample.dataframe_split }),
    headers: { 'content-type': 'application/json', 'x-request-id': requestId },
  });
  assert.equal(res.status, 200, await res.text());
}

/** A runtime of the deployment credit/blue in workspace `ws`, with this `data_collector` section (no exit hooks). */
export function creditRuntime(
  ws: string,
  dataCollector: Record<string, unknown>,
  options: Omit<RuntimeOptions, 'workspace' | 'deployment'> = {},
): DataCollectorRuntime {
  return new DataCollectorRuntime({
    workspace: ws,
    deployment: resolveDeployment({ endpoint_name: 'credit', name: 'blue', data_collector: dataCollector }),
    handleProcessExit: false,
    ...options,
  });
}
