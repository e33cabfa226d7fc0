import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after } from 'node:test';
import {
  Collector,
  type CorrelationContext,
  DataCollectorRuntime,
  type RollingRate,
  resolveDeployment,
} from 'model-data-collector/internal';

export const ROOT = new URL('../../../', import.meta.url).pathname;
export const FIXTURES = join(ROOT, 'packages/reader/test/fixtures/reference-workspace');

/** A temporary folder removed after the test file. */
export function tempDir(prefix = 'mdc-reader-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

export interface WriteOptions {
  readonly endpoint?: string;
  readonly deployment?: string;
  readonly rollingRate?: RollingRate;
  readonly largePayloadBytes?: number;
  readonly instanceId?: string;
  readonly collections?: readonly string[];
}

/**
 * Collects with the SDK into a workspace at a fixed clock: `fn` gets a `collect(name, rows, ctx?)` and
 * `at(ms)` to move the clock.
 */
export async function writeWithSdk(
  workspace: string,
  startMs: number,
  fn: (api: {
    collect: (name: string, data: unknown, ctx?: CorrelationContext | string) => CorrelationContext;
    at: (ms: number) => void;
    runtime: DataCollectorRuntime;
  }) => void | Promise<void>,
  options: WriteOptions = {},
): Promise<void> {
  let now = startMs;
  const names = options.collections ?? ['model_inputs', 'model_outputs'];
  const runtime = new DataCollectorRuntime({
    workspace,
    deployment: resolveDeployment({
      endpoint_name: options.endpoint ?? 'credit',
      name: options.deployment ?? 'blue',
      data_collector: {
        collections: Object.fromEntries(names.map((n) => [n, { enabled: 'True' }])),
        rolling_rate: options.rollingRate ?? 'Hour',
      },
    }),
    clock: () => now,
    handleProcessExit: false,
    instanceId: options.instanceId ?? 'instance-1',
    largePayloadBytes: options.largePayloadBytes,
  });
  const collectors = new Map<string, Collector>();
  const collect = (name: string, data: unknown, ctx?: CorrelationContext | string) => {
    let c = collectors.get(name);
    if (!c) {
      c = new Collector({ name, runtime });
      collectors.set(name, c);
    }
    return c.collect(data, ctx as CorrelationContext);
  };
  await fn({ collect, at: (ms) => (now = ms), runtime });
  await runtime.shutdown();
}

/** Runs the built CLI; returns exit code, stdout and stderr. */
export function mdc(
  args: readonly string[],
  env: NodeJS.ProcessEnv = {},
): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [join(ROOT, 'packages/cli/dist/bin.js'), ...args], {
    encoding: 'utf8',
    env: { ...process.env, MDC_WORKSPACE: '', ...env },
    cwd: ROOT,
  });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** Builds the packages the CLI needs (once per test file). */
export function buildCli(): void {
  const r = spawnSync(
    process.execPath,
    [
      join(ROOT, 'node_modules/typescript/bin/tsc'),
      '-b',
      'packages/sdk',
      'packages/reader',
      'packages/server',
      'packages/cli',
    ],
    { cwd: ROOT, encoding: 'utf8' },
  );
  if (r.status !== 0) throw new Error(`build failed:\n${r.stdout}${r.stderr}`);
}

export const T0 = Date.UTC(2024, 2, 5, 18, 16, 25);
