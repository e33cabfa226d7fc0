import type { Table } from 'apache-arrow';
import { MissingPackageError } from 'model-data-collector/internal';
import { type Cell, jsonText } from './values.js';

/** What a Table is made from: a result's columns and its rows, chunk by chunk (a reader's ResultStream). */
export interface ChunkedResult {
  readonly columns: readonly { readonly name: string; readonly type: string }[];
  chunks(): AsyncGenerator<Cell[][]>;
}

/**
 * Collects a result into an Apache Arrow Table (in memory: for results that fit). `apache-arrow` is an
 * optional peer dependency, loaded only here.
 */
export async function toArrowTable(result: ChunkedResult): Promise<Table> {
  let arrow: typeof import('apache-arrow');
  try {
    arrow = await import('apache-arrow');
  } catch (err) {
    throw new MissingPackageError('apache-arrow', `toArrow() needs apache-arrow (${(err as Error).message})`);
  }
  const columns: Cell[][] = result.columns.map(() => []);
  for await (const chunk of result.chunks()) {
    for (const row of chunk) for (let i = 0; i < row.length; i++) columns[i]!.push(row[i]!);
  }
  const vectors: Record<string, import('apache-arrow').Vector> = {};
  result.columns.forEach((col, i) => {
    const values = columns[i]!;
    const t = col.type;
    if (t === 'BIGINT' || t === 'HUGEINT' || t === 'UBIGINT')
      vectors[col.name] = arrow.vectorFromArray(
        values.map((v) => (v === null ? null : BigInt(v as number | bigint))),
        new arrow.Int64(),
      );
    else if (['INTEGER', 'SMALLINT', 'TINYINT'].includes(t))
      vectors[col.name] = arrow.vectorFromArray(values as (number | null)[], new arrow.Int32());
    else if (t === 'DOUBLE' || t === 'FLOAT' || t.startsWith('DECIMAL'))
      vectors[col.name] = arrow.vectorFromArray(values as (number | null)[], new arrow.Float64());
    else if (t === 'BOOLEAN')
      vectors[col.name] = arrow.vectorFromArray(values as (boolean | null)[], new arrow.Bool());
    else if (t.startsWith('TIMESTAMP'))
      vectors[col.name] = arrow.vectorFromArray(
        values.map((v) => (v instanceof Date ? v.getTime() : null)),
        new arrow.TimestampMillisecond(),
      );
    else
      vectors[col.name] = arrow.vectorFromArray(
        values.map((v) => (v === null ? null : typeof v === 'string' ? v : jsonText(v))),
        new arrow.Utf8(),
      );
  });
  return new arrow.Table(vectors);
}
