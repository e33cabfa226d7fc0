import type { Command } from 'commander';
import {
  emit,
  type OutputFlags,
  outputOptions,
  type SelectFlags,
  selectFrom,
  selectOptions,
  withReader,
} from './output-options.js';

export function registerQuery(program: Command): void {
  const cmd = program
    .command('query')
    .description(
      'SQL (DuckDB) over the collected data: each collection (model_inputs) and data asset ("ep-dep-model_inputs") is a view',
    )
    .argument('<sql>', 'e.g. "SELECT AGE, count(*) FROM model_inputs GROUP BY 1"');
  selectOptions(cmd);
  outputOptions(cmd).action(async (sql: string, flags: OutputFlags & SelectFlags, c: Command) => {
    await withReader(c, async (reader) => {
      await reader.prepare(sql, selectFrom(flags));
      await emit(reader, sql, flags);
    });
  });
}
