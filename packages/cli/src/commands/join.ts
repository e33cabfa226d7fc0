import type { Command } from 'commander';
import {
  emit,
  loadReader,
  type OutputFlags,
  outputOptions,
  type SelectFlags,
  selectFrom,
  selectOptions,
  withReader,
} from './output-options.js';

interface JoinFlags extends OutputFlags, SelectFlags {
  inputs: string;
  outputs: string;
  groundTruth?: string;
  on: string;
}

export function registerJoin(program: Command): void {
  const cmd = program
    .command('join')
    .description(
      'model inputs paired with outputs on correlationid and row_index, optionally with ground truth',
    )
    .option('--inputs <collection>', 'the inputs collection or data asset', 'model_inputs')
    .option('--outputs <collection>', 'the outputs collection or data asset', 'model_outputs')
    .option('--ground-truth <file>', 'left-join ground truth from a .csv, .jsonl or .parquet file')
    .option('--on <column>', 'the column ground truth shares with the joined rows', 'correlationid');
  selectOptions(cmd);
  outputOptions(cmd).action(async (flags: JoinFlags, c: Command) => {
    await withReader(c, async (reader) => {
      const { planJoin } = await loadReader();
      const join = await planJoin(reader, {
        ...selectFrom(flags),
        inputs: flags.inputs,
        outputs: flags.outputs,
        groundTruth: flags.groundTruth,
        on: flags.on,
      });
      const s = join.stats;
      let summary = `join: ${s.matched} rows matched; ${s.inputsOnly} input rows without output; ${s.outputsOnly} output rows without input`;
      if (s.groundTruthMatched !== undefined) {
        summary += `; ground truth: ${s.groundTruthMatched} rows matched, ${s.groundTruthMissing} without, ${s.groundTruthUnused} ground-truth rows unused`;
      }
      process.stderr.write(`${summary}\n`);
      await emit(reader, join.sql, flags);
    });
  });
}
