/** One collected row: column name -> JSON value. */
export type Row = Record<string, unknown>;

/**
 * Why an exchange gave no `model_inputs` / `model_outputs` rows; the label of `mdc_model_io_skipped_total`.
 *
 * - `unrecognized`: `--model-io auto` could not tell the protocol from the path or the body.
 * - `request_not_json` / `response_not_json`: the body is not JSON.
 * - `invalid_request` / `invalid_response`: JSON, but not the protocol's shape (wrong keys, shape vs data size …).
 * - `unsupported_datatype`: an Open Inference Protocol tensor in FP16 or BF16.
 * - `binary_extension`: an Open Inference Protocol body using the binary tensor data extension.
 * - `body_too_large`: the body was over `--max-capture-bytes`, so no copy was kept.
 * - `error_status`: the model server answered non-2xx (no `model_outputs`; the `response` event keeps the status).
 * - `aborted`: the client went away before its answer was complete.
 * - `collect_error`: the collector reported an error (queue full, rows not a table, a failed write).
 */
export type SkipReason =
  | 'unrecognized'
  | 'request_not_json'
  | 'response_not_json'
  | 'invalid_request'
  | 'invalid_response'
  | 'unsupported_datatype'
  | 'binary_extension'
  | 'body_too_large'
  | 'error_status'
  | 'aborted'
  | 'collect_error';

/** Thrown by the protocol parsers; the dispatcher counts it by reason and never lets it out. */
export class ModelIoSkip extends Error {
  constructor(
    readonly reason: SkipReason,
    message: string,
  ) {
    super(message);
  }
}

export const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Turns a prediction value into rows: row objects stay as they are; arrays of values become `<base>_<i>` (or
 * `<base>` when one wide); scalars become `<base>`; an object of equal-length arrays is read as columns.
 */
export function predictionRows(value: unknown, base: string, reason: SkipReason): Row[] {
  if (Array.isArray(value)) {
    return value.map((v, i) => {
      if (isObject(v)) return v;
      if (Array.isArray(v)) {
        if (v.length === 1) return { [base]: v[0] };
        const row: Row = {};
        for (let j = 0; j < v.length; j++) row[`${base}_${j}`] = v[j];
        return row;
      }
      if (v === null || typeof v !== 'object') return { [base]: v };
      throw new ModelIoSkip(reason, `${base}[${i}] is not a value, array or object`);
    });
  }
  if (isObject(value)) return columnRows(value, reason);
  throw new ModelIoSkip(reason, `${base} is neither an array nor an object of columns`);
}

/** An object of equal-length arrays as rows. */
export function columnRows(columns: Record<string, unknown>, reason: SkipReason): Row[] {
  const names = Object.keys(columns);
  let n: number | undefined;
  for (const name of names) {
    const col = columns[name];
    if (!Array.isArray(col)) throw new ModelIoSkip(reason, `column "${name}" is not an array`);
    n ??= col.length;
    if (col.length !== n)
      throw new ModelIoSkip(reason, `column "${name}" has ${col.length} values, not ${n}`);
  }
  const rows: Row[] = [];
  for (let i = 0; i < (n ?? 0); i++) {
    const row: Row = {};
    for (const name of names) row[name] = (columns[name] as unknown[])[i];
    rows.push(row);
  }
  return rows;
}
