import { createWriteStream } from 'node:fs';
import { rename, rm, stat } from 'node:fs/promises';
import { dirname, isAbsolute, relative, resolve } from 'node:path';
import type { Writable } from 'node:stream';
import { InvalidOptionError, localDatastoreRoot, type Workspace } from 'model-data-collector/internal';
import { limitSql, type Reader, type ResultStream } from './reader.js';
import { type Cell, jsonText, plainText } from './values.js';
import { sqlString } from './view-sql.js';

export const OUTPUT_FORMATS = ['table', 'csv', 'jsonl', 'parquet'] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

export interface WriteOptions {
  readonly format: OutputFormat;
  /** File to write (replaced only once complete); without it, `stream`. Parquet needs a file. */
  readonly out?: string;
  /** Where text formats go when there is no `out`. @default process.stdout */
  readonly stream?: Writable;
  /** At most this many rows. */
  readonly limit?: number;
  /** Table format only: rows shown when no limit is given. @default 100 */
  readonly tableRows?: number;
  /** Called about every 200 ms while the query runs (rows written so far; DuckDB's percentage, -1 when unknown). */
  readonly onProgress?: (p: { rows: number; percentage: number }) => void;
  /**
   * Parquet only: `false` lets DuckDB write rows in any order, for less memory (what `mdc read` does; its rows
   * have no guaranteed order). Keep it for a query whose ORDER BY matters. @default true
   */
  readonly keepOrder?: boolean;
}

export interface WriteResult {
  readonly rows: number;
  /** Table format: rows left out past the shown ones. */
  readonly truncated: boolean;
}

export function parseFormat(value: string): OutputFormat {
  const f = value.toLowerCase();
  if (!(OUTPUT_FORMATS as readonly string[]).includes(f))
    throw new InvalidOptionError(`format "${value}" is not one of ${OUTPUT_FORMATS.join(', ')}`);
  return f as OutputFormat;
}

/**
 * Refuses an `--out` that cannot be written (a folder, a missing folder) before any query runs, and one inside a
 * local datastore: exported rows there would be read back as collected data.
 */
async function checkOut(out: string, ws: Workspace): Promise<void> {
  const abs = resolve(out);
  const kind = async (p: string) => (await stat(p).catch(() => undefined))?.isDirectory();
  if ((await kind(abs)) === true) throw new InvalidOptionError(`--out ${out} is a folder: name a file`);
  if ((await kind(dirname(abs))) !== true)
    throw new InvalidOptionError(`--out ${out}: the folder ${dirname(abs)} does not exist`);
  for (const [name, ds] of ws.datastores) {
    if (ds.type !== 'local') continue;
    const rel = relative(localDatastoreRoot(ws, ds), abs);
    if (rel !== '' && !rel.startsWith('..') && !isAbsolute(rel))
      throw new InvalidOptionError(
        `--out ${out} is inside datastore ${name}: its rows would be read back as collected data; write elsewhere`,
      );
  }
}

/** Runs `sql` (views already prepared) and writes its result as a table, CSV, JSON lines or Parquet. */
export async function writeResult(reader: Reader, sql: string, options: WriteOptions): Promise<WriteResult> {
  const { format, out } = options;
  if (format === 'parquet' && !out) throw new InvalidOptionError('--format parquet needs --out FILE');
  if (out !== undefined) await checkOut(out, reader.workspace);
  const progress = startProgress(reader, options.onProgress);
  try {
    if (format === 'parquet') {
      const tmp = `${out}.part-${process.pid}`;
      // Keeping insertion order makes DuckDB hold rows back to write them in order, which raises peak memory
      // (docs/performance.md).
      if (options.keepOrder === false) await reader.run('SET preserve_insertion_order = false');
      try {
        const r = await reader.run(
          `COPY (${limitSql(sql, options.limit)}) TO ${sqlString(tmp)} (FORMAT parquet, COMPRESSION zstd)`,
        );
        await rename(tmp, out!);
        const rows = Number(Object.values(r[0] ?? {})[0] ?? 0);
        progress.rows = rows;
        return { rows, truncated: false };
      } catch (err) {
        await rm(tmp, { force: true });
        throw err;
      } finally {
        await reader.run('SET preserve_insertion_order = true');
      }
    }
    // The SQL runs as given (it may be any statement); limits stop the stream instead of rewriting it.
    const tableLimit =
      format === 'table' && options.limit === undefined ? (options.tableRows ?? 100) : undefined;
    const limit = options.limit ?? (tableLimit !== undefined ? tableLimit + 1 : undefined);
    const result = await reader.stream(sql);
    const args = [result, format, limit, tableLimit, progress] as const;
    if (!out) return await writeTo(options.stream ?? process.stdout, ...args);
    const tmp = `${out}.part-${process.pid}`;
    const file = createWriteStream(tmp);
    try {
      const r = await writeTo(file, ...args);
      await new Promise<void>((res, rej) => file.end((err?: Error | null) => (err ? rej(err) : res())));
      await rename(tmp, out);
      return r;
    } catch (err) {
      file.destroy();
      await rm(tmp, { force: true });
      throw err;
    }
  } finally {
    progress.stop();
  }
}

interface Progress {
  rows: number;
  stop(): void;
}

function startProgress(reader: Reader, onProgress: WriteOptions['onProgress']): Progress {
  const p: Progress = { rows: 0, stop: () => {} };
  if (!onProgress) return p;
  const timer = setInterval(() => {
    let percentage = -1;
    try {
      percentage = reader.connection.progress.percentage;
    } catch {
      // no query running
    }
    onProgress({ rows: p.rows, percentage });
  }, 200);
  timer.unref();
  p.stop = () => clearInterval(timer);
  return p;
}

async function writeTo(
  stream: Writable,
  result: ResultStream,
  format: Exclude<OutputFormat, 'parquet'>,
  limit: number | undefined,
  tableLimit: number | undefined,
  progress: Progress,
): Promise<WriteResult> {
  const names = result.columns.map((c) => c.name);
  const write = async (text: string) => {
    if (!stream.write(text)) await new Promise<void>((res) => stream.once('drain', res));
  };
  if (format === 'table') return writeTable(write, result, limit, tableLimit);
  if (format === 'csv') await write(`${names.map(csvField).join(',')}\n`);
  const keys = names.map((n) => `${JSON.stringify(n)}:`);
  let rows = 0;
  for await (const all of result.chunks()) {
    const chunk = limit !== undefined && rows + all.length > limit ? all.slice(0, limit - rows) : all;
    let text = '';
    for (const row of chunk) {
      if (format === 'csv') text += `${row.map((v) => csvField(plainText(v))).join(',')}\n`;
      else {
        let line = '{';
        for (let i = 0; i < row.length; i++) line += (i ? ',' : '') + keys[i] + jsonText(row[i]!);
        text += `${line}}\n`;
      }
    }
    rows += chunk.length;
    progress.rows = rows;
    await write(text);
    if (limit !== undefined && rows >= limit) break;
  }
  return { rows, truncated: false };
}

/** RFC 4180: quoted when it holds a comma, quote, line break or edge space. */
function csvField(s: string): string {
  return /[",\r\n]|^\s|\s$/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
}

const MAX_CELL = 40;

async function writeTable(
  write: (s: string) => Promise<void>,
  result: ResultStream,
  limit: number | undefined,
  shown: number | undefined,
): Promise<WriteResult> {
  const names = result.columns.map((c) => c.name);
  const numeric = result.columns.map(
    (c) => /INT|DOUBLE|FLOAT|DECIMAL|HUGEINT/.test(c.type) && !c.type.includes('['),
  );
  const rows: string[][] = [];
  let total = 0;
  read: for await (const chunk of result.chunks()) {
    for (const row of chunk) {
      if (limit !== undefined && total >= limit) break read;
      total++;
      if (shown === undefined || rows.length < shown) rows.push(row.map((v: Cell) => cell(plainText(v))));
    }
  }
  const widths = names.map((n, i) => Math.max(n.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (numeric[i] ? c.padStart(widths[i]!) : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  let text = `${line(names.map((n) => n))}\n${widths.map((w) => '-'.repeat(w)).join('  ')}\n`;
  for (const r of rows) text += `${line(r)}\n`;
  const truncated = shown !== undefined && total > shown;
  text += truncated
    ? `(first ${rows.length} rows shown; use --limit N, or --format csv|jsonl|parquet for all)\n`
    : `(${rows.length} row${rows.length === 1 ? '' : 's'})\n`;
  await write(text);
  return { rows: rows.length, truncated };
}

function cell(s: string): string {
  const one = s.replace(/[\r\n\t]/g, ' ');
  return one.length > MAX_CELL ? `${one.slice(0, MAX_CELL - 1)}…` : one;
}
