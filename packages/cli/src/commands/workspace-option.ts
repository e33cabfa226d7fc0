import { existsSync } from 'node:fs';
import type { Command } from 'commander';
import { PathNotFoundError, resolveWorkspaceDir } from 'model-data-collector/internal';

/** The workspace folder from the global `--workspace` option (or undefined: then MDC_WORKSPACE / default). */
export function workspaceOption(cmd: Command): string | undefined {
  return cmd.optsWithGlobals<{ workspace?: string }>().workspace;
}

/**
 * The workspace folder of a command that only reads it: a typo in --workspace or MDC_WORKSPACE must not make a
 * new, empty workspace. Throws MDC_PATH_NOT_FOUND naming the folder.
 */
export function existingWorkspace(cmd: Command): string {
  const dir = resolveWorkspaceDir(workspaceOption(cmd));
  if (!existsSync(dir)) {
    throw new PathNotFoundError(
      `workspace ${dir}`,
      'does not exist (check --workspace / MDC_WORKSPACE; `mdc serve`, `mdc demo` or `mdc datastore create` make one)',
    );
  }
  return dir;
}
