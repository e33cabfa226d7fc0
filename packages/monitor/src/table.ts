import { readFile } from 'node:fs/promises';
import { extname } from 'node:path';
import { InvalidOptionError, PathNotFoundError } from 'model-data-collector/internal';

/** Rows held column by column: what a signal computes over. */
export interface Table {
  readonly rowCount: number;
  readonly columns: ReadonlyMap<string, ArrayLike<unknown>>;
}

export const EMPTY_TABLE: Table = { rowCount: 0, columns: new Map() };

/** Builds a table from row objects (the union of their keys; a key missing in a row is null there). */
export function tableFromRows(rows: readonly Readonly<Record<string, unknown>>[]): Table {
  const columns = new Map<string, unknown[]>();
  rows.forEach((row, i) => {
    for (const key of Object.keys(row)) {
      let col = columns.get(key);
      if (!col) {
        col = new Array<unknown>(rows.length).fill(null);
        columns.set(key, col);
      }
      col[i] = row[key] ?? null;
    }
  });
  return { rowCount: rows.length, columns };
}

const NUMBER = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

/** A CSV field as a value: empty is null, numeric text a number, anything else the text. */
function csvValue(text: string, quoted: boolean): unknown {
  if (quoted) return text;
  if (text === '') return null;
  if (NUMBER.test(text)) return Number(text);
  return text;
}

/** Parses RFC 4180 CSV with a header line (quoted fields, doubled quotes, CRLF). */
export function parseCsv(text: string): Table {
  const rows: unknown[][] = [];
  let row: unknown[] = [];
  let field = '';
  let quoted = false;
  let inQuotes = false;
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0; // skip a byte-order mark
  const n = text.length;
  const endField = () => {
    row.push(csvValue(field, quoted));
    field = '';
    quoted = false;
  };
  while (i < n) {
    const c = text[i]!;
    if (inQuotes) {
      if (c === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i += 2;
          continue;
        }
        inQuotes = false;
      } else field += c;
      i++;
      continue;
    }
    if (c === '"' && field === '') {
      inQuotes = true;
      quoted = true;
    } else if (c === ',') endField();
    else if (c === '\n' || c === '\r') {
      endField();
      rows.push(row);
      row = [];
      if (c === '\r' && text[i + 1] === '\n') i++;
    } else field += c;
    i++;
  }
  if (field !== '' || quoted || row.length > 0) {
    endField();
    rows.push(row);
  }
  const header = (rows.shift() ?? []).map((h) => String(h ?? ''));
  const body = rows.filter((r) => !(r.length === 1 && r[0] === null));
  const columns = new Map<string, unknown[]>();
  header.forEach((name, c) => {
    columns.set(
      name,
      body.map((r) => r[c] ?? null),
    );
  });
  return { rowCount: body.length, columns };
}

/** Parses JSON lines (one object per line) or a JSON array of objects. */
export function parseJsonRows(text: string, file = 'input'): Table {
  const trimmed = text.trimStart();
  let rows: Record<string, unknown>[];
  if (trimmed.startsWith('[')) {
    try {
      rows = JSON.parse(text) as Record<string, unknown>[];
    } catch (err) {
      throw new InvalidOptionError(`${file}: not valid JSON: ${(err as Error).message}`);
    }
  } else {
    rows = [];
    const lines = text.split(/\r?\n/);
    lines.forEach((line, i) => {
      if (line.trim() === '') return;
      try {
        rows.push(JSON.parse(line) as Record<string, unknown>);
      } catch (err) {
        throw new InvalidOptionError(`${file}:${i + 1}: not a JSON object: ${(err as Error).message}`);
      }
    });
  }
  return tableFromRows(rows.filter((r) => r !== null && typeof r === 'object' && !Array.isArray(r)));
}

/** Reads a CSV or JSON lines file into a table (Parquet goes through a {@link DataSource}). */
export async function readTableFile(path: string): Promise<Table> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new PathNotFoundError(path);
    throw err;
  }
  const ext = extname(path).toLowerCase();
  if (ext === '.csv') return parseCsv(text);
  if (ext === '.jsonl' || ext === '.ndjson' || ext === '.json') return parseJsonRows(text, path);
  throw new InvalidOptionError(`${path}: expected a .csv, .jsonl or .parquet file`);
}
