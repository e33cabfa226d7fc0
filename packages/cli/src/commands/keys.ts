import type { Command } from 'commander';
import { UsageError } from 'model-data-collector/internal';
import { existingWorkspace } from './workspace-option.js';

export function registerKeys(program: Command): void {
  const keys = program
    .command('keys')
    .description('the endpoint keys that auth_mode: key checks (one pair per workspace, made on first use)');
  keys
    .command('show')
    .description('print the primary key (with --json, both keys)')
    .option('--json', 'print {"primaryKey", "secondaryKey"}')
    .action(async (opts: { json?: boolean }, cmd: Command) => {
      const { getEndpointKeys } = await import('@model-data-collector/server/internal');
      const k = getEndpointKeys(existingWorkspace(cmd));
      process.stdout.write(opts.json ? `${JSON.stringify(k, null, 2)}\n` : `${k.primaryKey}\n`);
    });
  keys
    .command('regenerate')
    .description('replace one key with a new one (restart running servers to use it)')
    .requiredOption('--key-type <type>', 'primary or secondary: the key that stops working')
    .action(async (opts: { keyType: string }, cmd: Command) => {
      const { regenerateEndpointKey } = await import('@model-data-collector/server/internal');
      if (opts.keyType !== 'primary' && opts.keyType !== 'secondary') {
        throw new UsageError(`--key-type must be primary or secondary; got "${opts.keyType}"`);
      }
      const k = regenerateEndpointKey(existingWorkspace(cmd), opts.keyType);
      process.stdout.write(`${opts.keyType === 'primary' ? k.primaryKey : k.secondaryKey}\n`);
      process.stderr.write(
        `regenerated the ${opts.keyType} key (the old one no longer works; restart running servers to use the new one)\n`,
      );
    });
}
