import type { ColumnItem } from './api-types.js';
import { badParam } from './http.js';

/** A SQL string literal. */
export function literal(s: string): string {
  return `'${s.replaceAll("'", "''")}'`;
}

/** A SQL identifier, always quoted: model columns may be any text. */
export function ident(s: string): string {
  return `"${s.replaceAll('"', '""')}"`;
}

const NUMERIC =
  /^(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT|UTINYINT|USMALLINT|UINTEGER|UBIGINT|FLOAT|DOUBLE|DECIMAL.*)$/i;

export function isNumericType(type: string): boolean {
  return NUMERIC.test(type);
}

export const FILTER_OPS = ['eq', 'ne', 'lt', 'le', 'gt', 'ge', 'contains', 'null', 'notnull'] as const;
export type FilterOp = (typeof FILTER_OPS)[number];

const COMPARE: Record<string, string> = { eq: '=', ne: '<>', lt: '<', le: '<=', gt: '>', ge: '>=' };

/** A column filter, as `filter=<op>:<column>:<value>` writes it (`null`/`notnull` take no value). */
export interface Filter {
  readonly op: FilterOp;
  readonly column: string;
  readonly value: string;
}

/**
 * Parses `<op>:<column>[:<value>]`. The column is matched against the known columns (longest first), so a
 * column or a value may itself hold `:`.
 */
export function parseFilter(text: string, columns: readonly ColumnItem[]): Filter {
  const colon = text.indexOf(':');
  const op = (colon < 0 ? text : text.slice(0, colon)) as FilterOp;
  if (!FILTER_OPS.includes(op))
    throw badParam('filter', `"${text}": the operator must be one of ${FILTER_OPS.join(', ')}`);
  const rest = colon < 0 ? '' : text.slice(colon + 1);
  const byLength = [...columns].sort((a, b) => b.name.length - a.name.length);
  const noValue = op === 'null' || op === 'notnull';
  const col = byLength.find((c) => (noValue ? rest === c.name : rest.startsWith(`${c.name}:`)));
  if (!col) {
    throw badParam(
      'filter',
      `"${text}": expected ${noValue ? `${op}:<column>` : `${op}:<column>:<value>`} with a column of ${columns.map((c) => c.name).join(', ')}`,
    );
  }
  return { op, column: col.name, value: noValue ? '' : rest.slice(col.name.length + 1) };
}

/** The SQL condition of a filter. Values are literals, never SQL text. */
export function filterSql(f: Filter, columns: readonly ColumnItem[]): string {
  const type = columns.find((c) => c.name === f.column)?.type ?? 'VARCHAR';
  const col = ident(f.column);
  if (f.op === 'null') return `${col} IS NULL`;
  if (f.op === 'notnull') return `${col} IS NOT NULL`;
  if (f.op === 'contains') return `contains(lower(CAST(${col} AS VARCHAR)), lower(${literal(f.value)}))`;
  const cmp = COMPARE[f.op]!;
  if (isNumericType(type)) {
    if (f.value.trim() === '' || !Number.isFinite(Number(f.value)))
      throw badParam('filter', `column "${f.column}" is ${type}: "${f.value}" is not a number`);
    return `${col} ${cmp} ${Number(f.value)}`;
  }
  if (/^TIMESTAMP/i.test(type)) {
    if (Number.isNaN(Date.parse(f.value)))
      throw badParam('filter', `column "${f.column}" is a time: "${f.value}" is not ISO 8601`);
    return `${col} ${cmp} TRY_CAST(${literal(f.value.replace(/Z$/i, ''))} AS TIMESTAMP)`;
  }
  if (/^BOOLEAN$/i.test(type)) {
    if (!/^(true|false)$/i.test(f.value))
      throw badParam('filter', `column "${f.column}" is BOOLEAN: use true or false`);
    return `${col} ${cmp} ${f.value.toLowerCase()}`;
  }
  return `CAST(${col} AS VARCHAR) ${cmp} ${literal(f.value)}`;
}
