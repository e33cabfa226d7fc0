import type { Command } from 'commander';
import { resolveWorkspaceDir, UsageError } from 'model-data-collector';
import { workspaceOption } from '../index.js';

export function registerKeys(program: Command): void {
  const keys = program
    .command('keys')
    .description('the endpoint keys that auth_mode: key checks (one pair per workspace, made on first use)');
  keys
    .command('show')
    .description('print the primary key (with --json, both keys)')
    .option('--json', 'print {"primaryKey", "secondaryKey"}')
    .action(async (opts: { json?: boolean }, cmd: Command) => {
      const { getEndpointKeys } = await import('@model-data-collector/server');
      const k = getEndpointKeys(resolveWorkspaceDir(workspaceOption(cmd)));
      process.stdout.write(opts.json ? `${JSON.stringify(k, null, 2)}\n` : `${k.primaryKey}\n`);
    });
  keys
    .command('regenerate')
    .description('replace one key with a new one (restart running servers to use it)')
    .option('--key-type <type>', 'primary or secondary', 'primary')
    .action(async (opts: { keyType: string }, cmd: Command) => {
      const { regenerateEndpointKey } = await import('@model-data-collector/server');
      if (opts.keyType !== 'primary' && opts.keyType !== 'secondary') {
        throw new UsageError(`--key-type must be primary or secondary; got "${opts.keyType}"`);
      }
      const k = regenerateEndpointKey(resolveWorkspaceDir(workspaceOption(cmd)), opts.keyType);
      process.stdout.write(`${opts.keyType === 'primary' ? k.primaryKey : k.secondaryKey}\n`);
    });
}
