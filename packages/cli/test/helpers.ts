import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

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
