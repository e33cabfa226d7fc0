import type { Tensor } from 'onnxruntime-node';
import { ScoringFailedError } from './errors.js';

export type OutputValue = number | string | boolean;
/** One scored row, e.g. `{ label: 1, probability_0: 0.3, probability_1: 0.7 }`. */
export type OutputRow = Record<string, OutputValue>;

/** Classifier outputs get the short names `label` and `probability_<class>`. */
const LABEL_OUTPUTS = new Set(['label', 'output_label', 'predicted_label']);
const PROBABILITY_OUTPUTS = new Set(['probabilities', 'probability', 'output_probability']);

/**
 * Turns output tensors whose first dimension is the row count into one object per row. An output with one value
 * per row becomes `<output>`, a wider one `<output>_<i>` (row-major over the remaining dimensions). int64
 * values become numbers when they are safe integers, else decimal strings (JSON has no BigInt).
 */
export function outputsToRows(
  outputs: Record<string, Tensor>,
  names: readonly string[],
  n: number,
): OutputRow[] {
  const rows: OutputRow[] = Array.from({ length: n }, () => ({}));
  const used = new Set<string>();
  for (const name of names) {
    const tensor = outputs[name];
    if (!tensor) throw new ScoringFailedError(`onnxruntime returned no output "${name}"`);
    const width = n === 0 ? 0 : tensor.size / n;
    if (tensor.dims[0] !== n || !Number.isInteger(width)) {
      throw new ScoringFailedError(
        `output "${name}" has shape [${tensor.dims.join(', ')}]; expected its first dimension to be the ${n} input rows`,
      );
    }
    const keys = outputKeys(name, width, used);
    const data = tensor.data as ArrayLike<unknown>;
    const isBool = tensor.type === 'bool';
    for (let r = 0; r < n; r++) {
      const row = rows[r]!;
      for (let j = 0; j < width; j++) row[keys[j]!] = toValue(data[r * width + j], isBool);
    }
  }
  return rows;
}

function outputKeys(name: string, width: number, used: Set<string>): string[] {
  let base = name;
  if (LABEL_OUTPUTS.has(name) && width === 1 && !used.has('label')) base = 'label';
  const probability = PROBABILITY_OUTPUTS.has(name) && !used.has('probability_0');
  if (probability) base = 'probability';
  const keys = width === 1 && !probability ? [base] : Array.from({ length: width }, (_, i) => `${base}_${i}`);
  for (const k of keys) used.add(k);
  return keys;
}

function toValue(v: unknown, isBool: boolean): OutputValue {
  if (isBool) return Boolean(v);
  if (typeof v === 'bigint') {
    const asNumber = Number(v);
    return Number.isSafeInteger(asNumber) ? asNumber : v.toString();
  }
  if (typeof v === 'number' || typeof v === 'string' || typeof v === 'boolean') return v;
  throw new ScoringFailedError(`unsupported output value of type ${typeof v}`);
}
