import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { parse } from 'yaml';
import { ModelLoadError } from './errors.js';

/** What the built-in scorer needs from an MLflow `MLmodel` file. */
export interface MlflowOnnxInfo {
  /** Absolute path of the ONNX file named by `flavors.onnx.data`. */
  readonly onnxPath: string;
  /** Column names of a column-based `signature.inputs`; undefined for tensor signatures or none. */
  readonly featureColumns: readonly string[] | undefined;
  /** The `flavors` keys, e.g. `['onnx', 'python_function']`. */
  readonly flavors: readonly string[];
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** An `MLmodel` file, parsed: its document, flavor names and signature columns. */
export interface MlflowModelInfo {
  readonly file: string;
  readonly doc: Record<string, unknown> & { flavors: Record<string, unknown> };
  /** The `flavors` keys, e.g. `['onnx', 'python_function']`. */
  readonly flavors: readonly string[];
  /** Column names of a column-based `signature.inputs`; undefined for tensor signatures or none. */
  readonly featureColumns: readonly string[] | undefined;
}

/** Reads `<dir>/MLmodel`. Throws MDC_MODEL_LOAD_FAILED when it cannot be read or has no flavors. */
export async function readMlflowModel(dir: string): Promise<MlflowModelInfo> {
  const file = join(dir, 'MLmodel');
  let doc: unknown;
  try {
    doc = parse(await readFile(file, 'utf8'));
  } catch (err) {
    throw new ModelLoadError(`cannot read ${file}: ${(err as Error).message}`, { cause: err });
  }
  if (!isObject(doc) || !isObject(doc.flavors)) {
    throw new ModelLoadError(`${file} has no flavors section`);
  }
  const signature = isObject(doc.signature) ? doc.signature : {};
  return {
    file,
    doc: doc as MlflowModelInfo['doc'],
    flavors: Object.keys(doc.flavors),
    featureColumns: signatureColumns(signature.inputs, file),
  };
}

/** Reads `<dir>/MLmodel` and checks that it has an `onnx` flavor. */
export async function readMlflowOnnxInfo(dir: string): Promise<MlflowOnnxInfo> {
  const { file, doc, flavors, featureColumns } = await readMlflowModel(dir);
  const onnx = doc.flavors.onnx;
  if (!isObject(onnx)) {
    throw new ModelLoadError(
      `${file} has no onnx flavor (flavors: ${flavors.join(', ') || 'none'}); the built-in scorer serves ONNX models only`,
    );
  }
  const data = typeof onnx.data === 'string' && onnx.data !== '' ? onnx.data : 'model.onnx';
  return { onnxPath: resolve(dir, data), featureColumns, flavors };
}

/**
 * MLflow stores `signature.inputs` as a JSON string: a column spec (`[{"name": "AGE", "type": "long"}, ...]`)
 * or a tensor spec (`[{"type": "tensor", "tensor-spec": {...}}]`). Only a column spec with every column named
 * gives feature columns.
 */
function signatureColumns(inputs: unknown, file: string): string[] | undefined {
  if (inputs === undefined || inputs === null) return undefined;
  let spec: unknown = inputs;
  if (typeof inputs === 'string') {
    try {
      spec = JSON.parse(inputs);
    } catch (err) {
      throw new ModelLoadError(`${file}: signature.inputs is not valid JSON`, { cause: err });
    }
  }
  if (!Array.isArray(spec) || spec.length === 0) return undefined;
  const names: string[] = [];
  for (const col of spec) {
    if (!isObject(col) || col.type === 'tensor' || typeof col.name !== 'string') return undefined;
    names.push(col.name);
  }
  return names;
}
