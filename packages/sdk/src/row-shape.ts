/**
 * Row writers compiled for one set of column names. A scoring script collects rows of the same columns call
 * after call (the credit-default row has the same 23 keys every time); for such rows a function that reads each
 * known key and joins pre-quoted names with the cells' text writes the same JSON as `JSON.stringify` in about half
 * the time on Node 20 (docs/performance.md). The writer is only used for rows the caller has checked: their keys
 * are exactly the shape's, in its order, and every cell is a number, string, boolean or null.
 */

/** Writes one row of the shape as JSON text. */
type RowWriter = (row: Record<string, unknown>) => string;

/** Two calls in a row with the same new keys make a shape; a collector that sees ever-new keys stops compiling. */
const CONFIRMATIONS = 2;
const MAX_COMPILES = 16;
/** Wider rows are left to JSON.stringify: the generated function would be large and is rarely hot. */
const MAX_COLUMNS = 512;

const q = JSON.stringify;

/** A cell as JSON: what JSON.stringify writes for a number, string, boolean or null. */
function cell(v: unknown): string {
  if (typeof v === 'number') return v - v === 0 ? '' + v : 'null'; // NaN and ±Infinity are null in JSON
  if (typeof v === 'string') return q(v);
  if (v === null) return 'null';
  return v ? 'true' : 'false';
}

function compile(keys: readonly string[]): RowWriter {
  let body = '';
  for (let i = 0; i < keys.length; i++) {
    const name = q(keys[i]);
    // Both the member text and the property read are JSON string literals, so no key can inject code.
    body += `${i === 0 ? '' : '+'}${q(`${i === 0 ? '{' : ','}${name}:`)}+cell(r[${name}])`;
  }
  body += keys.length === 0 ? "'{}'" : "+'}'";
  return new Function('cell', `return function writeRow(r){return ${body};}`)(cell) as RowWriter;
}

function sameList(a: readonly string[], b: readonly string[] | undefined): boolean {
  return b !== undefined && a.length === b.length && a.every((k, i) => k === b[i]);
}

/** The column shape a collector writes fast, learnt from the rows it sees. One per Collector. */
export class RowShapes {
  /** The compiled shape's keys, in order; undefined until one is learnt. */
  keys: readonly string[] | undefined;
  private writer: RowWriter | undefined;
  private candidate: string[] | undefined;
  private seen = 0;
  private compiles = 0;

  /** The rows as a JSON array; only for rows checked to have exactly {@link keys} and simple cells. */
  write(rows: readonly unknown[]): string {
    const w = this.writer!;
    let s: string;
    if (rows.length === 1) s = `[${w(rows[0] as Record<string, unknown>)}]`;
    else {
      s = '[';
      for (let i = 0; i < rows.length; i++) s += (i === 0 ? '' : ',') + w(rows[i] as Record<string, unknown>);
      s += ']';
    }
    return s;
  }

  /** Called for rows whose keys did not match: learns their keys as the next shape once they repeat. */
  observe(row: object): void {
    if (this.compiles >= MAX_COMPILES) return;
    const keys = Object.keys(row);
    if (keys.length > MAX_COLUMNS || keys.includes('__proto__') || sameList(keys, this.keys)) return;
    if (sameList(keys, this.candidate)) this.seen++;
    else {
      this.candidate = keys;
      this.seen = 1;
    }
    if (this.seen < CONFIRMATIONS) return;
    this.compiles++;
    try {
      this.writer = compile(keys);
    } catch {
      // Code generation is off (node --disallow-code-generation-from-strings): JSON.stringify writes every row.
      this.compiles = MAX_COMPILES;
      return;
    }
    this.keys = keys;
    this.candidate = undefined;
    this.seen = 0;
  }
}
