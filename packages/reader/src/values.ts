import {
  type DuckDBType,
  DuckDBTypeId,
  type DuckDBValue,
  type DuckDBValueConverter,
  JSDuckDBValueConverter,
} from '@duckdb/node-api';

/** A value of a row as the library gives it. Timestamps are Dates; JSON columns are parsed. */
export type Cell =
  | null
  | boolean
  | number
  | bigint
  | string
  | Date
  | Uint8Array
  | Cell[]
  | { [key: string]: Cell };

/** A row: column name to value. */
export type Row = Record<string, Cell>;

const BIG = new Set<DuckDBTypeId>([
  DuckDBTypeId.BIGINT,
  DuckDBTypeId.UBIGINT,
  DuckDBTypeId.HUGEINT,
  DuckDBTypeId.UHUGEINT,
]);

/** DuckDB values to {@link Cell}: integers become numbers when exact, JSON text is parsed. */
export const toCell: DuckDBValueConverter<Cell> = (value: DuckDBValue, type: DuckDBType, converter) => {
  if (value === null) return null;
  if (BIG.has(type.typeId)) {
    const n = value as bigint;
    return n <= BigInt(Number.MAX_SAFE_INTEGER) && n >= BigInt(Number.MIN_SAFE_INTEGER) ? Number(n) : n;
  }
  if (type.typeId === DuckDBTypeId.VARCHAR && type.alias === 'JSON') {
    const text = String(value);
    try {
      return JSON.parse(text) as Cell;
    } catch {
      return text;
    }
  }
  return JSDuckDBValueConverter(value, type, converter) as Cell;
};

/** ISO 8601 in UTC; second precision shown without milliseconds, as event times are written. */
export function isoTime(d: Date): string {
  if (Number.isNaN(d.getTime())) return '';
  const s = d.toISOString();
  return s.endsWith('.000Z') ? `${s.slice(0, -5)}Z` : s;
}

/** JSON text of a cell (bigint digits kept exact, bytes as base64, non-finite numbers as null). */
export function jsonText(v: Cell): string {
  if (v === null) return 'null';
  switch (typeof v) {
    case 'string':
      return JSON.stringify(v);
    case 'number':
      return Number.isFinite(v) ? String(v) : 'null';
    case 'bigint':
      return v.toString();
    case 'boolean':
      return v ? 'true' : 'false';
  }
  if (v instanceof Date) return JSON.stringify(isoTime(v));
  if (v instanceof Uint8Array) return JSON.stringify(Buffer.from(v).toString('base64'));
  if (Array.isArray(v)) return `[${v.map(jsonText).join(',')}]`;
  const parts: string[] = [];
  for (const k in v) parts.push(`${JSON.stringify(k)}:${jsonText(v[k]!)}`);
  return `{${parts.join(',')}}`;
}

/** A cell as plain text (CSV and table): nested values as JSON, null as empty. */
export function plainText(v: Cell): string {
  if (v === null) return '';
  switch (typeof v) {
    case 'string':
      return v;
    case 'number':
      return Number.isFinite(v) ? String(v) : v > 0 ? 'inf' : v < 0 ? '-inf' : 'nan';
    case 'bigint':
    case 'boolean':
      return String(v);
  }
  if (v instanceof Date) return isoTime(v);
  return jsonText(v);
}
