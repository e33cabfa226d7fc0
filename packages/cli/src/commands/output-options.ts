import type { BlobMode, OutputFormat, Reader, SelectOptions } from '@model-data-collector/reader/internal';
import { type Command, InvalidArgumentError, Option } from 'commander';
import { existingWorkspace } from './workspace-option.js';

// The reader (and DuckDB's native module) loads only when a reading command runs, so `mdc serve` and
// `mdc --help` do not pay for it.
export const loadReader = () => import('@model-data-collector/reader/internal');

const FORMATS: readonly OutputFormat[] = ['table', 'csv', 'jsonl', 'parquet'];

/** Flags `read`, `join` and `query` share. */
export interface OutputFlags {
  format: OutputFormat;
  out?: string;
  limit?: number;
}

export interface SelectFlags {
  endpoint?: string;
  deployment?: string;
  since?: string;
  until?: string;
  blobPointers?: boolean;
}

function wholeNumber(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n))
    throw new InvalidArgumentError('expected a whole number ≥ 0');
  return n;
}

/** `--format`, `--out`, `--limit`. */
export function outputOptions(cmd: Command): Command {
  return cmd
    .addOption(new Option('--format <format>', 'output format').choices(FORMATS).default('table'))
    .option('-o, --out <file>', 'write to this file instead of stdout (needed for parquet)')
    .option('--limit <n>', 'at most N rows', wholeNumber);
}

/** `--endpoint`, `--deployment`, `--since`, `--until`, `--blob-pointers`. */
export function selectOptions(cmd: Command): Command {
  return cmd
    .option('--endpoint <name>', 'only collections of this endpoint')
    .option('--deployment <name>', 'only collections of this deployment')
    .option(
      '--since <time>',
      'events at or after: ISO 8601 (2024-03-05T18:00Z), now, or a duration ago (30m, 6h, 7d)',
    )
    .option('--until <time>', 'events before this time (same forms as --since)')
    .option(
      '--blob-pointers',
      'show payloads stored on their own (datainblob) as data_uri instead of reading them',
    );
}

export function selectFrom(flags: SelectFlags): SelectOptions {
  const blobMode: BlobMode = flags.blobPointers ? 'list' : 'follow';
  return {
    endpoint: flags.endpoint,
    deployment: flags.deployment,
    since: flags.since,
    until: flags.until,
    blobMode,
  };
}

/** Opens a reader on the command's workspace; warnings (e.g. a torn last line) go to stderr. */
export async function withReader<T>(cmd: Command, fn: (reader: Reader) => Promise<T>): Promise<T> {
  const { Reader } = await loadReader();
  const reader = await Reader.open({
    workspace: existingWorkspace(cmd),
    onWarning: (w) => process.stderr.write(`warning: ${w.message}\n`),
  });
  try {
    return await fn(reader);
  } finally {
    await reader.close();
  }
}

/** Writes a result in the chosen format; a progress line shows on stderr when writing a file from a terminal. */
export async function emit(
  reader: Reader,
  sql: string,
  flags: OutputFlags,
  options: { keepOrder?: boolean } = {},
): Promise<void> {
  const showProgress = flags.out !== undefined && process.stdout.isTTY === true;
  let shown = false;
  const { writeResult } = await loadReader();
  const result = await writeResult(reader, sql, {
    format: flags.format,
    out: flags.out,
    limit: flags.limit,
    keepOrder: options.keepOrder,
    onProgress: showProgress
      ? ({ rows, percentage }) => {
          shown = true;
          const pct = percentage >= 0 ? ` ${percentage.toFixed(0)}%` : '';
          process.stderr.write(`\r\x1b[Kwriting ${flags.out}:${pct} ${rows.toLocaleString('en-US')} rows`);
        }
      : undefined,
  });
  if (shown) process.stderr.write('\r\x1b[K');
  if (flags.out) process.stderr.write(`wrote ${result.rows} rows to ${flags.out}\n`);
}
