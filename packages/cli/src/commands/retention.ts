import type { Command } from 'commander';
import { loadDeploymentFile, openWorkspace } from 'model-data-collector/internal';
import { intOption } from './options.js';
import { loadReader } from './output-options.js';
import { formatBytes, printTable } from './text-table.js';
import { existingWorkspace } from './workspace-option.js';

interface ApplyFlags {
  file?: string;
  days?: number;
  dryRun?: boolean;
  json?: boolean;
}

/** `mdc retention apply`: deletes the time partitions older than each collection's retention. */
export function registerRetention(program: Command): void {
  const retention = program
    .command('retention')
    .description('delete collected data older than its retention (whole time partitions, by folder date)');
  retention
    .command('apply')
    .description(
      "delete the date folders older than the retention of each collection: the smallest of --days, the deployment's data_collector.retention_days (-f) and the datastore's retention_days (mdc datastore create --retention-days)",
    )
    .option(
      '-f, --file <deployment.yml>',
      'a deployment YAML whose data_collector.retention_days applies to its collections',
    )
    .option('--days <n>', 'keep this many days in every collection', intOption('--days', 1))
    .option('--dry-run', 'list what would be deleted, delete nothing')
    .option('--json', 'print JSON')
    .action(async (flags: ApplyFlags, cmd: Command) => {
      const ws = openWorkspace(existingWorkspace(cmd));
      const deployment = flags.file ? loadDeploymentFile(flags.file, '--file') : undefined;
      const { applyRetention } = await loadReader();
      const result = await applyRetention(ws, {
        days: flags.days,
        dryRun: flags.dryRun === true,
        deployment: deployment && {
          endpoint: deployment.endpoint,
          deployment: deployment.deployment,
          retentionDays: deployment.retentionDays,
        },
        onWarning: (m) => process.stderr.write(`warning: ${m}\n`),
      });
      if (flags.json) {
        process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
        return;
      }
      for (const x of result.streams) process.stdout.write(`${x.uri}: not deleted: ${x.note}\n`);
      if (result.collections.length === 0 && flags.days === undefined) {
        process.stdout.write(
          'no collection has a retention: set data_collector.retention_days (with -f), a datastore retention_days, or --days\n',
        );
        return;
      }
      if (result.removed.length > 0) {
        printTable(
          ['PARTITION', 'FILES', 'SIZE'],
          result.removed.map((p) => [p.uri, String(p.files), formatBytes(p.bytes)]),
          [1, 2],
        );
      }
      const verb = result.dryRun ? 'would delete' : 'deleted';
      process.stdout.write(
        `${verb} ${result.removed.length} partition(s), ${result.files} file(s), ${formatBytes(result.bytes)} in ${result.collections.length} collection(s) with a retention\n`,
      );
    });
}
