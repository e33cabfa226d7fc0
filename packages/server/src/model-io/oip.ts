import { isObject, ModelIoSkip, type Row, type SkipReason } from './rows.js';

/** `POST /v2/models/{name}[/versions/{version}]/infer` of the Open Inference Protocol (KServe v2) REST API. */
const INFER_PATH = /\/v2\/models\/([^/?]+)(?:\/versions\/([^/?]+))?\/infer(?:\?|$)/;

/** The model an inference path names, e.g. `{ name: 'iris', version: '2' }`; undefined for other paths. */
export function oipModel(path: string): { name: string; version?: string } | undefined {
  const m = INFER_PATH.exec(path);
  if (!m) return undefined;
  return m[2] === undefined ? { name: m[1]! } : { name: m[1]!, version: m[2] };
}

const DATATYPES = new Set([
  'BOOL',
  'UINT8',
  'UINT16',
  'UINT32',
  'UINT64',
  'INT8',
  'INT16',
  'INT32',
  'INT64',
  'FP32',
  'FP64',
  'BYTES',
]);
/** Valid in the protocol, but JSON has no exact half-precision form: refused rather than guessed. */
const REFUSED_DATATYPES = new Set(['FP16', 'BF16']);

/** One tensor of a request's `inputs` or a response's `outputs`, its `data` flattened row-major. */
export interface OipTensor {
  readonly name: string;
  readonly shape: readonly number[];
  readonly datatype: string;
  readonly data: readonly unknown[];
}

/** Whether a body looks like an inference request of the protocol (for `--model-io auto` on other paths). */
export function looksLikeOipRequest(body: unknown): boolean {
  if (!isObject(body) || !Array.isArray(body.inputs) || body.inputs.length === 0) return false;
  return body.inputs.every(
    (t) => isObject(t) && typeof t.name === 'string' && typeof t.datatype === 'string',
  );
}

/** The request's `inputs` (side `inputs`) or the response's `outputs` (side `outputs`) as tensors. */
export function readTensors(body: unknown, side: 'inputs' | 'outputs'): OipTensor[] {
  const reason: SkipReason = side === 'inputs' ? 'invalid_request' : 'invalid_response';
  if (!isObject(body)) throw new ModelIoSkip(reason, 'the body is not a JSON object');
  const list = body[side];
  if (!Array.isArray(list) || list.length === 0) {
    throw new ModelIoSkip(reason, `${side} must be a non-empty array of tensors`);
  }
  return list.map((t, i) => readTensor(t, `${side}[${i}]`, reason));
}

function readTensor(t: unknown, at: string, reason: SkipReason): OipTensor {
  if (!isObject(t)) throw new ModelIoSkip(reason, `${at} is not an object`);
  const { name, shape, datatype, data } = t;
  if (typeof name !== 'string') throw new ModelIoSkip(reason, `${at}.name must be a string`);
  if (typeof datatype !== 'string') throw new ModelIoSkip(reason, `${at}.datatype must be a string`);
  if (REFUSED_DATATYPES.has(datatype)) {
    throw new ModelIoSkip('unsupported_datatype', `${at} (${name}) is ${datatype}`);
  }
  if (!DATATYPES.has(datatype)) throw new ModelIoSkip(reason, `${at}.datatype ${datatype} is unknown`);
  if (!Array.isArray(shape))
    throw new ModelIoSkip(reason, `${at}.shape must be an array of non-negative integers`);
  let size = 1;
  for (const d of shape) {
    if (!Number.isInteger(d) || d < 0) {
      throw new ModelIoSkip(reason, `${at}.shape must be an array of non-negative integers`);
    }
    size *= d;
  }
  if (isObject(t.parameters) && t.parameters.binary_data_size !== undefined) {
    throw new ModelIoSkip('binary_extension', `${at} (${name}) has binary_data_size`);
  }
  if (!Array.isArray(data)) throw new ModelIoSkip(reason, `${at}.data must be an array`);
  // `data` may be flat or nested as the shape; row-major either way.
  const flat = isFlat(data) ? data : flatten(data, []);
  if (flat.length !== size) {
    throw new ModelIoSkip(
      reason,
      `${at} (${name}) has ${flat.length} values for shape [${shape.join(', ')}]`,
    );
  }
  return { name, shape: shape as number[], datatype, data: flat };
}

/**
 * The column names of a 2-D `[N, F]` tensor with F > 1, when known (from `--feature-names` or the model's
 * metadata); undefined gives `<tensor>_<i>`.
 */
export type ColumnNamer = (tensor: OipTensor, width: number) => readonly string[] | undefined;

/** Whether a tensor needs names for its columns (a 2-D tensor more than one column wide). */
export const isWide = (t: OipTensor): boolean => t.shape.length === 2 && t.shape[1]! > 1;

/**
 * Tensors whose first dimension is the batch as rows: a 1-D tensor (or `[N, 1]`) is one column named as the
 * tensor, `[N, F]` is F columns, and a tensor of 3 or more dimensions is one column holding each row's nested
 * array. Every tensor must have the same N.
 */
export function tensorRows(tensors: readonly OipTensor[], namer: ColumnNamer, reason: SkipReason): Row[] {
  const n = tensors[0]!.shape.length === 0 ? 1 : tensors[0]!.shape[0]!;
  const rows: Row[] = new Array(n);
  for (let r = 0; r < n; r++) rows[r] = {};
  for (const t of tensors) {
    const tn = t.shape.length === 0 ? 1 : t.shape[0]!;
    if (tn !== n) {
      throw new ModelIoSkip(reason, `tensor ${t.name} has ${tn} rows but ${tensors[0]!.name} has ${n}`);
    }
    const width = n === 0 ? 0 : t.data.length / n;
    if (t.shape.length <= 1 || (t.shape.length === 2 && width === 1)) {
      for (let r = 0; r < n; r++) rows[r]![t.name] = t.data[r];
    } else if (t.shape.length === 2) {
      const given = namer(t, width);
      const names =
        given && given.length === width ? given : Array.from({ length: width }, (_, j) => `${t.name}_${j}`);
      for (let r = 0; r < n; r++) {
        const row = rows[r]!;
        const base = r * width;
        for (let j = 0; j < width; j++) row[names[j]!] = t.data[base + j];
      }
    } else {
      const inner = t.shape.slice(1);
      for (let r = 0; r < n; r++) rows[r]![t.name] = nest(t.data, r * width, inner);
    }
  }
  return rows;
}

/** The row-major values from `offset` as nested arrays of `shape`. */
function nest(data: readonly unknown[], offset: number, shape: readonly number[]): unknown[] {
  const [d, ...rest] = shape as [number, ...number[]];
  if (rest.length === 0) return data.slice(offset, offset + d);
  const step = rest.reduce((a, b) => a * b, 1);
  return Array.from({ length: d }, (_, i) => nest(data, offset + i * step, rest));
}

function isFlat(data: readonly unknown[]): boolean {
  for (let i = 0; i < data.length; i++) if (Array.isArray(data[i])) return false;
  return true;
}

/** Row-major values of nested arrays (faster than `Array.prototype.flat(Infinity)` on small tensors). */
function flatten(data: readonly unknown[], out: unknown[]): unknown[] {
  for (let i = 0; i < data.length; i++) {
    const v = data[i];
    if (Array.isArray(v)) flatten(v, out);
    else out.push(v);
  }
  return out;
}
