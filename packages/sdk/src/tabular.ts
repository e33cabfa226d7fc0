import { NotTabularError } from './errors.js';
import type { RowShapes } from './row-shape.js';

/** The shapes collect() accepts, as named in the README. */
export type TableKind = 'rows' | 'columns' | 'arrow';

/** A table serialized as a JSON array of row objects (the `data` of an event). */
export interface SerializedTable {
  readonly json: string;
  readonly rowCount: number;
  readonly kind: TableKind;
}

const MAX_DEPTH = 64;

/**
 * Turns the data given to collect() into the JSON text of an array of row objects.
 *
 * Accepted: an array of plain row objects; an object whose values are equal-length arrays (columns); an Apache
 * Arrow `Table` (recognised by shape, so `apache-arrow` is not a dependency). Cell rules: `Date` (and Arrow
 * date/timestamp cells) → ISO string, `NaN`/`±Infinity` → `null`, `bigint` → an exact JSON integer, typed
 * arrays → arrays (`Uint8Array` → base64 string), `undefined` → omitted; functions, symbols, `Map`/`Set` and
 * circular references → {@link NotTabularError}.
 */
export function serializeTable(data: unknown, shapes?: RowShapes): SerializedTable {
  if (Array.isArray(data)) return serializeRows(data, 'rows', shapes);
  if (isArrowTable(data)) return serializeRows(arrowRows(data), 'arrow', shapes);
  if (isPlainObject(data)) return serializeRows(columnsToRows(data), 'columns', shapes);
  throw new NotTabularError(
    `expected an array of row objects, an object of equal-length columns or an Arrow Table; got ${describe(data)}`,
  );
}

/**
 * Checks every cell, then writes the rows with the first writer that is exact for them: the collector's compiled
 * row writer when every row has its keys and only number, string, boolean and null cells (see row-shape.ts);
 * JSON.stringify otherwise; our own writer for bigint and typed arrays.
 */
function serializeRows(
  rows: readonly unknown[],
  kind: TableKind,
  shapes: RowShapes | undefined,
): SerializedTable {
  let slow = false;
  const keys = shapes?.keys;
  /** Every row so far has exactly the compiled shape's keys. */
  let sameKeys = keys !== undefined;
  /** The first row whose keys differ from the shape's: the one to learn the next shape from. */
  let other = 0;
  /** Every cell so far is one the compiled writer writes. */
  let simple = true;
  for (let i = 0; i < rows.length; i++) {
    const row = rows[i];
    if (!isPlainObject(row)) {
      throw new NotTabularError(
        `row ${i} is ${describe(row)}; each row must be a plain object of column values`,
      );
    }
    let k = 0;
    for (const key in row) {
      const value = row[key];
      switch (typeof value) {
        case 'number':
        case 'string':
        case 'boolean':
          break;
        case 'undefined': // JSON.stringify leaves the key out
          simple = false;
          break;
        case 'bigint':
          slow = true;
          break;
        case 'object':
          if (value === null) break;
          simple = false;
          if (!(value instanceof Date) && checkNested(value, key, i, [])) slow = true;
          break;
        default:
          throw new NotTabularError(
            `row ${i}, column "${key}": a ${typeof value} cannot be collected; cells must be JSON values`,
          );
      }
      if (sameKeys && key !== keys![k]) {
        sameKeys = false;
        other = i;
      }
      k++;
    }
    if (sameKeys && k !== keys!.length) {
      sameKeys = false;
      other = i;
    }
  }
  let json: string;
  // JSON.stringify is exact for everything but bigint, typed arrays and toJSON-less exotic cells.
  if (slow) json = stringifySlow(rows);
  else if (sameKeys && simple) json = shapes!.write(rows);
  else {
    json = JSON.stringify(rows);
    if (!sameKeys && shapes && rows.length > 0) shapes.observe(rows[other] as object);
  }
  return { json, rowCount: rows.length, kind };
}

function checkNested(value: object, column: string, row: number, stack: object[]): boolean {
  if (stack.includes(value)) {
    throw new NotTabularError(`row ${row}, column "${column}": circular reference`);
  }
  if (stack.length >= MAX_DEPTH) {
    throw new NotTabularError(`row ${row}, column "${column}": nested deeper than ${MAX_DEPTH} levels`);
  }
  if (ArrayBuffer.isView(value)) return true;
  if (value instanceof Map || value instanceof Set || value instanceof WeakMap || value instanceof Promise) {
    throw new NotTabularError(
      `row ${row}, column "${column}": a ${value.constructor.name} cannot be collected; convert it to an array or object`,
    );
  }
  let slow = false;
  stack.push(value);
  const entries = Array.isArray(value) ? value : Object.values(value);
  for (const v of entries) {
    const t = typeof v;
    if (t === 'bigint') slow = true;
    else if (t === 'function' || t === 'symbol') {
      throw new NotTabularError(`row ${row}, column "${column}": a nested ${t} cannot be collected`);
    } else if (t === 'object' && v !== null && !(v instanceof Date)) {
      if (checkNested(v as object, column, row, stack)) slow = true;
    }
  }
  stack.pop();
  return slow;
}

/** JSON writer for the cells JSON.stringify cannot write exactly (bigint, typed arrays). */
export function stringifySlow(value: unknown): string {
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value);
    case 'number':
      return Number.isFinite(value) ? String(value) : 'null';
    case 'boolean':
      return value ? 'true' : 'false';
    case 'bigint':
      return value.toString();
    case 'undefined':
    case 'function':
    case 'symbol':
      return 'null';
  }
  if (value === null) return 'null';
  if (value instanceof Date)
    return Number.isNaN(value.getTime()) ? 'null' : JSON.stringify(value.toISOString());
  if (ArrayBuffer.isView(value)) {
    if (value instanceof Uint8Array) return JSON.stringify(Buffer.from(value).toString('base64'));
    const items = Array.from(value as unknown as ArrayLike<number | bigint>);
    return `[${items.map(stringifySlow).join(',')}]`;
  }
  if (Array.isArray(value)) return `[${value.map(stringifySlow).join(',')}]`;
  const obj = value as Record<string, unknown> & { toJSON?: () => unknown };
  if (typeof obj.toJSON === 'function') return stringifySlow(obj.toJSON());
  const parts: string[] = [];
  for (const key in obj) {
    const v = obj[key];
    if (v === undefined || typeof v === 'function' || typeof v === 'symbol') continue;
    parts.push(`${JSON.stringify(key)}:${stringifySlow(v)}`);
  }
  return `{${parts.join(',')}}`;
}

function columnsToRows(columns: Record<string, unknown>): Record<string, unknown>[] {
  const names = Object.keys(columns);
  const arrays: unknown[][] = [];
  const notArrays: string[] = [];
  for (const name of names) {
    const col = columns[name];
    if (Array.isArray(col)) arrays.push(col);
    else if (ArrayBuffer.isView(col) && !(col instanceof DataView)) {
      arrays.push(Array.from(col as unknown as ArrayLike<unknown>));
    } else notArrays.push(name);
  }
  if (notArrays.length > 0) {
    const hint =
      notArrays.length === names.length
        ? ' (this looks like a single row: pass it as [row])'
        : ' (every column must be an array of values)';
    throw new NotTabularError(
      `object of columns expected, but ${notArrays.map((n) => `"${n}"`).join(', ')} ${notArrays.length === 1 ? 'is not an array' : 'are not arrays'}${hint}`,
    );
  }
  const length = arrays[0]?.length ?? 0;
  const ragged = names.findIndex((_, i) => arrays[i]!.length !== length);
  if (ragged >= 0) {
    throw new NotTabularError(
      `ragged columns: "${names[0]}" has ${length} values but "${names[ragged]}" has ${arrays[ragged]!.length}`,
    );
  }
  const rows: Record<string, unknown>[] = new Array(length);
  for (let r = 0; r < length; r++) {
    const row: Record<string, unknown> = {};
    for (let c = 0; c < names.length; c++) row[names[c]!] = arrays[c]![r];
    rows[r] = row;
  }
  return rows;
}

interface ArrowVectorLike {
  get(index: number): unknown;
}
interface ArrowTableLike {
  numRows: number;
  schema: { fields: { name: string; type?: { typeId?: number } }[] };
  getChildAt(index: number): ArrowVectorLike | null;
}

/** Recognises an Apache Arrow Table by its shape, without importing apache-arrow. */
export function isArrowTable(value: unknown): value is ArrowTableLike {
  if (typeof value !== 'object' || value === null) return false;
  const t = value as Partial<ArrowTableLike>;
  return (
    typeof t.numRows === 'number' && typeof t.getChildAt === 'function' && Array.isArray(t.schema?.fields)
  );
}

/** Arrow `Type.Date` and `Type.Timestamp`: their cells come out as epoch milliseconds. */
const ARROW_TEMPORAL_TYPE_IDS = new Set([8, 10]);

function arrowRows(table: ArrowTableLike): Record<string, unknown>[] {
  const fields = table.schema.fields;
  const vectors = fields.map((_, i) => table.getChildAt(i));
  const temporal = fields.map((f) => ARROW_TEMPORAL_TYPE_IDS.has(f.type?.typeId ?? -1));
  const rows: Record<string, unknown>[] = new Array(table.numRows);
  for (let r = 0; r < table.numRows; r++) {
    const row: Record<string, unknown> = {};
    for (let c = 0; c < fields.length; c++) {
      const cell = vectors[c]?.get(r) ?? null;
      // Same rule as a JS Date cell: an ISO string.
      row[fields[c]!.name] = temporal[c] && typeof cell === 'number' ? new Date(cell) : arrowCell(cell);
    }
    rows[r] = row;
  }
  return rows;
}

/** Arrow struct/list cells are proxies with toJSON(); turn them into plain values. */
function arrowCell(value: unknown): unknown {
  if (typeof value !== 'object' || value === null || value instanceof Date || ArrayBuffer.isView(value)) {
    return value;
  }
  const v = value as { toJSON?: () => unknown; toArray?: () => unknown };
  if (typeof v.toJSON === 'function') return v.toJSON();
  if (typeof v.toArray === 'function') return v.toArray();
  return value;
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** A short description of a value's type for error messages. */
export function describe(value: unknown): string {
  if (value === null || value === undefined) return String(value);
  if (Array.isArray(value)) return 'an array';
  const t = typeof value;
  if (t === 'string') return `a string (${JSON.stringify((value as string).slice(0, 40))})`;
  if (t !== 'object') return `a ${t}`;
  const name = (value as object).constructor?.name;
  return name && name !== 'Object' ? `a ${name}` : 'an object';
}
