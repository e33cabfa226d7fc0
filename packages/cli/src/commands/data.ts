import type { Command } from 'commander';
import { loadReader, type SelectFlags, selectFrom, withReader } from './output-options.js';
import { formatBytes, printTable } from './text-table.js';

export function registerData(program: Command): void {
  const data = program.command('data').description('the data assets of the workspace (one per collection)');
  data
    .command('list')
    .description('registered data assets (every version) and unregistered collection folders')
    .option('--json', 'print JSON')
    .action(async (flags: { json?: boolean }, c: Command) => {
      await withReader(c, async (reader) => {
        const assets = await reader.assets();
        const folders = (await reader.collections()).filter((s) => !s.asset);
        const rows = [
          ...assets.map((a) => ({
            name: a.name,
            version: a.version,
            collection: a.collection,
            endpoint: a.endpoint,
            deployment: a.deployment,
            path: a.path,
            created: a.created,
          })),
          ...folders.map((f) => ({
            name: f.name,
            version: '',
            collection: f.collection,
            endpoint: f.endpoint,
            deployment: f.deployment,
            path: f.uri,
            created: '',
          })),
        ];
        if (flags.json) {
          process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
          return;
        }
        if (rows.length === 0) {
          process.stdout.write(
            `no data assets: nothing has been collected in workspace ${reader.workspace.dir} yet\n`,
          );
          return;
        }
        printTable(
          ['NAME', 'VERSION', 'ENDPOINT', 'DEPLOYMENT', 'COLLECTION', 'CREATED', 'PATH'],
          rows.map((r) => [
            r.name,
            r.version || '-',
            r.endpoint,
            r.deployment,
            r.collection,
            r.created || '-',
            r.path,
          ]),
        );
      });
    });
  const show = data
    .command('show')
    .description('one data asset: path, version, size, file and event counts, time range and columns')
    .argument('<name>', 'NAME[@VERSION] of a data asset, or a collection name')
    .option('--endpoint <name>', 'when a collection name is given: its endpoint')
    .option('--deployment <name>', 'when a collection name is given: its deployment')
    .option('--json', 'print JSON');
  show.action(async (name: string, flags: SelectFlags & { json?: boolean }, c: Command) => {
    await withReader(c, async (reader) => {
      const { describeCollection } = await loadReader();
      const d = await describeCollection(reader, name, selectFrom(flags));
      if (flags.json) {
        process.stdout.write(`${JSON.stringify(d, null, 2)}\n`);
        return;
      }
      const lines: [string, string][] = [
        ['name', d.name],
        ['version', d.version ?? '- (not registered)'],
        ['type', d.type],
        ['path', d.path],
        ['created', d.created ?? '-'],
        ['endpoint', d.endpoint],
        ['deployment', d.deployment],
        ['collection', d.collection],
        ['kind', d.kind],
        [
          'size',
          `${formatBytes(d.bytes)} in ${d.files} files${d.payloadFiles ? ` and ${d.payloadFiles} stored payloads` : ''}`,
        ],
        ['events', String(d.events)],
        ['rows', String(d.rows)],
        ['time range', d.firstTime ? `${d.firstTime} .. ${d.lastTime}` : '-'],
      ];
      for (const [k, v] of lines) process.stdout.write(`${`${k}:`.padEnd(12)}${v}\n`);
      process.stdout.write('columns:\n');
      printTable(
        ['  NAME', 'TYPE'],
        d.columns.map((col) => [`  ${col.name}`, col.type]),
      );
    });
  });
}
