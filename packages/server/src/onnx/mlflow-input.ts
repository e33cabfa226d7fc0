import { ScoringInputError } from './errors.js';

/** One input row: column name -> JSON value. Values are checked when the row is scored. */
export type ScoringRow = Record<string, unknown>;

export interface ScoringTable {
  /** Column names in order: as the request gave them, else first-seen order of record keys. */
  readonly columns: readonly string[];
  readonly rows: ScoringRow[];
  /** `index` of a `dataframe_split` / `input_data` body, when given. */
  readonly index?: readonly unknown[];
  /** MLflow `params`, passed through untouched. */
  readonly params?: unknown;
}

export interface ParseMlflowInputOptions {
  /**
   * Names for positional rows (arrays without column names), normally the model's signature columns. Without
   * them positional columns are named `"0"`, `"1"`, ...
   */
  readonly columns?: readonly string[];
}

export const MLFLOW_INPUT_KEYS = [
  'dataframe_split',
  'dataframe_records',
  'inputs',
  'instances',
  'input_data',
] as const;

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Parses an MLflow scoring request body (a JSON string or an already parsed value) into a table:
 * `dataframe_split` {columns, index?, data}, `dataframe_records` [rows], `inputs` / `instances` (rows,
 * arrays of values, or a dict of columns) and Azure ML's `input_data` ({columns?, index?, data} or rows).
 * Throws `ScoringInputError` (code `MDC_BAD_SCORING_INPUT`) naming what is wrong.
 */
export function parseMlflowInput(body: unknown, options: ParseMlflowInputOptions = {}): ScoringTable {
  if (typeof body === 'string') {
    try {
      body = JSON.parse(body);
    } catch (err) {
      throw new ScoringInputError(`the request body is not valid JSON (${(err as Error).message})`);
    }
  }
  if (!isObject(body)) {
    throw new ScoringInputError(
      `the request body must be a JSON object with one of ${MLFLOW_INPUT_KEYS.join(', ')}`,
    );
  }
  const present = MLFLOW_INPUT_KEYS.filter((k) => k in body);
  const unknown = Object.keys(body).filter((k) => k !== 'params' && !present.some((p) => p === k));
  if (present.length !== 1 || unknown.length > 0) {
    const got = Object.keys(body).join(', ') || 'none';
    throw new ScoringInputError(
      `the request body must have exactly one of ${MLFLOW_INPUT_KEYS.join(', ')} (plus optional params); got keys: ${got}`,
    );
  }
  const key = present[0]!;
  const value = body[key];
  const table = parseByKey(key, value, options.columns);
  if (table.rows.length === 0) throw new ScoringInputError('contains no rows', key);
  return 'params' in body ? { ...table, params: body.params } : table;
}

function parseByKey(
  key: (typeof MLFLOW_INPUT_KEYS)[number],
  value: unknown,
  names: readonly string[] | undefined,
): ScoringTable {
  switch (key) {
    case 'dataframe_split':
      return fromSplit(value, key, names);
    case 'dataframe_records':
      if (!Array.isArray(value)) throw new ScoringInputError('must be an array of row objects', key);
      return fromRecords(value, key);
    case 'input_data':
      return isObject(value) ? fromSplit(value, key, names) : fromInstances(value, key, names);
    default:
      return fromInstances(value, key, names);
  }
}

function fromSplit(value: unknown, path: string, names: readonly string[] | undefined): ScoringTable {
  if (!isObject(value)) throw new ScoringInputError('must be an object with columns and data', path);
  const { columns, index, data } = value;
  if (!Array.isArray(data)) throw new ScoringInputError('data must be an array of rows', path);
  if (index !== undefined && (!Array.isArray(index) || index.length !== data.length)) {
    throw new ScoringInputError(`index must be an array with one entry per row (${data.length})`, path);
  }
  let cols = names;
  if (columns !== undefined) {
    if (!Array.isArray(columns) || !columns.every((c) => typeof c === 'string')) {
      throw new ScoringInputError('columns must be an array of strings', `${path}.columns`);
    }
    cols = checkUnique(columns, `${path}.columns`);
  }
  const table = fromArrays(data, `${path}.data`, cols);
  return index === undefined ? table : { ...table, index };
}

function fromInstances(value: unknown, path: string, names: readonly string[] | undefined): ScoringTable {
  if (isObject(value)) return fromColumns(value, path);
  if (!Array.isArray(value)) {
    throw new ScoringInputError('must be an array of rows (objects or arrays) or an object of columns', path);
  }
  if (value.length > 0 && value.every(Array.isArray)) return fromArrays(value, path, names);
  return fromRecords(value, path);
}

function fromRecords(rows: unknown[], path: string): ScoringTable {
  const columns: string[] = [];
  const seen = new Set<string>();
  rows.forEach((row, i) => {
    if (!isObject(row)) throw new ScoringInputError('must be an object of column values', `${path}[${i}]`);
    for (const k of Object.keys(row)) {
      if (seen.has(k)) continue;
      seen.add(k);
      columns.push(k);
    }
  });
  return { columns, rows: rows as ScoringRow[] };
}

function fromArrays(data: unknown[], path: string, names: readonly string[] | undefined): ScoringTable {
  const width = names?.length ?? (Array.isArray(data[0]) ? data[0].length : 0);
  const columns = names ?? Array.from({ length: width }, (_, i) => String(i));
  const rows = data.map((row, i) => {
    if (!Array.isArray(row)) throw new ScoringInputError('must be an array of values', `${path}[${i}]`);
    if (row.length !== width) {
      throw new ScoringInputError(`has ${row.length} values but there are ${width} columns`, `${path}[${i}]`);
    }
    return Object.fromEntries(columns.map((c, j) => [c, row[j]]));
  });
  return { columns, rows };
}

function fromColumns(value: Record<string, unknown>, path: string): ScoringTable {
  const columns = Object.keys(value);
  let length: number | undefined;
  for (const c of columns) {
    const col = value[c];
    if (!Array.isArray(col)) throw new ScoringInputError('must be an array of column values', `${path}.${c}`);
    length ??= col.length;
    if (col.length !== length) {
      throw new ScoringInputError(
        `has ${col.length} values but the first column has ${length}`,
        `${path}.${c}`,
      );
    }
  }
  const rows = Array.from({ length: length ?? 0 }, (_, i) =>
    Object.fromEntries(columns.map((c) => [c, (value[c] as unknown[])[i]])),
  );
  return { columns, rows };
}

function checkUnique(columns: string[], path: string): string[] {
  const dup = columns.find((c, i) => columns.indexOf(c) !== i);
  if (dup !== undefined) throw new ScoringInputError(`column "${dup}" appears twice`, path);
  return columns;
}
