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

export function registerRead(program: Command): void {
  const cmd = program
    .command('read')
    .description(
      'rows of a collection or data asset, one per data row, with time, correlationid, row_index, id and event_id',
    )
    .argument('<collection>', 'a collection (model_inputs), or a data asset NAME[@VERSION]');
  selectOptions(cmd);
  outputOptions(cmd).action(async (ref: string, flags: OutputFlags & SelectFlags, c: Command) => {
    await withReader(c, async (reader) => {
      const plan = await reader.plan(ref, selectFrom(flags));
      // A collection's rows have no guaranteed order: let DuckDB stream Parquet out of order, in less memory.
      await emit(reader, plan.sql, flags, { keepOrder: false });
    });
  });
}
