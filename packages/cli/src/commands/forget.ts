import type { Command } from 'commander';
import { openWorkspace, UsageError } from 'model-data-collector/internal';
import { loadReader, withReader } from './output-options.js';
import { existingWorkspace } from './workspace-option.js';

interface ForgetFlags {
  correlationId?: string[];
  where?: string;
  dryRun?: boolean;
  json?: boolean;
}

/** `mdc forget`: erases events from every collection on every datastore, with an audit entry. */
export function registerForget(program: Command): void {
  program
    .command('forget')
    .description(
      'erase events everywhere: every collection on every datastore, destination copies included, is rewritten without them (atomically), their stored payloads are deleted, their messages in NATS streams that destinations copied to are deleted, and the workspace audit log (audit.jsonl) records what was done',
    )
    .option(
      '--correlation-id <id...>',
      'forget the events of these correlation ids (inputs, outputs, payloads)',
    )
    .option(
      '--where <sql>',
      'forget the events with a row matching this SQL condition, e.g. "EMAIL = \'x@y.z\'"',
    )
    .option('--dry-run', 'count what would be erased, change nothing')
    .option('--json', 'print JSON')
    .action(async (flags: ForgetFlags, cmd: Command) => {
      const ids = flags.correlationId ?? [];
      if (ids.length > 0 === (flags.where !== undefined))
        throw new UsageError('give either --correlation-id ID [ID ...] or --where "SQL condition"');
      const ws = openWorkspace(existingWorkspace(cmd));
      const { forgetEvents, eventIdsWhere } = await loadReader();
      const onWarning = (m: string) => process.stderr.write(`warning: ${m}\n`);
      let eventIds: string[] = [];
      if (flags.where !== undefined) {
        const where = flags.where;
        eventIds = await withReader(cmd, (reader) =>
          eventIdsWhere(reader, where, (c, m) => onWarning(`${c}: condition not applied: ${m}`)),
        );
      }
      const result = await forgetEvents(ws, {
        correlationIds: ids,
        eventIds,
        dryRun: flags.dryRun === true,
        request: flags.where !== undefined ? { where: flags.where } : { correlationIds: ids },
        onWarning,
      });
      if (flags.json) {
        process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
        return;
      }
      for (const f of result.files) {
        process.stdout.write(
          `${f.uri}: ${f.removed} event(s) ${result.dryRun ? 'to remove' : 'removed'}, ${f.kept} kept${f.deleted && !result.dryRun ? ' (file deleted)' : ''}\n`,
        );
      }
      for (const p of result.payloadFiles)
        process.stdout.write(`${p}: payload ${result.dryRun ? 'to delete' : 'deleted'}\n`);
      for (const x of result.streams) {
        if (x.error) {
          process.stderr.write(
            `error: stream ${x.description} (datastore ${x.datastore}) NOT searched, nothing erased from it: ${x.error}\n`,
          );
          process.exitCode = 1;
        } else {
          process.stdout.write(
            `${x.description} (NATS stream, datastore ${x.datastore}): ${x.removed} message(s) ${result.dryRun ? 'to delete' : 'deleted'} of ${x.scanned}; consumers that already received them keep their copies\n`,
          );
        }
      }
      const verb = result.dryRun ? 'would erase' : 'erased';
      process.stdout.write(
        `${verb} ${result.events} event(s) in ${result.files.length} file(s)${result.auditLog ? `; audit: ${result.auditLog}` : ''}\n`,
      );
    });
}
