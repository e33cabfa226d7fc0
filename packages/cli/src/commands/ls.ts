import type { Command } from 'commander';
import { openWorkspace } from 'model-data-collector/internal';
import { loadReader } from './output-options.js';
import { formatBytes, printTable } from './text-table.js';
import { existingWorkspace } from './workspace-option.js';

export function registerLs(program: Command): void {
  program
    .command('ls')
    .description('browse the datastores: folders with their file counts and sizes')
    .argument(
      '[path]',
      'azureml://datastores/<name>/paths/<path>, or a path in workspaceblobstore (default: the datastores)',
    )
    .option('--json', 'print JSON')
    .action(async (path: string | undefined, flags: { json?: boolean }, c: Command) => {
      const ws = openWorkspace(existingWorkspace(c));
      const { listTree } = await loadReader();
      const { uri, entries } = await listTree(ws, path);
      if (flags.json) {
        process.stdout.write(`${JSON.stringify({ uri, entries }, null, 2)}\n`);
        return;
      }
      if (path === undefined) {
        printTable(
          ['DATASTORE', 'TYPE', 'FILES', 'SIZE', 'LOCATION'],
          entries.map((e) => [
            e.name,
            e.type ?? '',
            e.type === 'local' ? String(e.files) : '-',
            e.type === 'local' ? formatBytes(e.bytes) : '-',
            e.location ?? '',
          ]),
          [2, 3],
        );
        return;
      }
      process.stdout.write(`${uri}\n`);
      if (entries.length === 0) {
        process.stdout.write('(empty)\n');
        return;
      }
      printTable(
        ['NAME', 'FILES', 'SIZE', 'MODIFIED'],
        entries.map((e) => [
          e.name,
          String(e.files),
          formatBytes(e.bytes),
          e.modifiedMs === undefined ? '-' : new Date(e.modifiedMs).toISOString().slice(0, 19) + 'Z',
        ]),
        [1, 2],
      );
    });
}
