import { stat } from 'node:fs/promises';
import { basename, dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as ort from 'onnxruntime-node';
import { ModelLoadError, ScoringFailedError, ScoringInputError } from './errors.js';
import { parseMlflowInput, type ScoringRow } from './mlflow-input.js';
import { readMlflowOnnxInfo } from './mlmodel.js';
import { type OutputRow, outputsToRows } from './outputs.js';

export interface LoadOnnxModelOptions {
  /** onnxruntime session options; defaults to the CPU execution provider. */
  readonly sessionOptions?: ort.InferenceSession.SessionOptions;
}

export interface OnnxModel {
  /** Absolute path of the `.onnx` file that was loaded. */
  readonly onnxPath: string;
  /** `'mlflow'` when loaded from a directory with an `MLmodel` file, else `'onnx'`. */
  readonly source: 'onnx' | 'mlflow';
  readonly inputNames: readonly string[];
  /** Tensor outputs, in graph order (non-tensor outputs such as ZipMap maps are not fetched). */
  readonly outputNames: readonly string[];
  /** Feature columns from the MLflow signature, in tensor order; undefined without one. */
  readonly featureColumns: readonly string[] | undefined;
  /** Second dimension of the input when the graph fixes it (23 for credit-default). */
  readonly featureCount: number | undefined;
  /**
   * Scores rows. The tensor columns follow the MLflow signature; without one, `columns` (default: the keys of
   * the first row, in order). Rejects with `ScoringInputError` when a value is missing or not numeric.
   */
  score(rows: readonly ScoringRow[], columns?: readonly string[]): Promise<OutputRow[]>;
  /** Parses an MLflow scoring body (see `parseMlflowInput`) and scores it. */
  scoreRequest(body: unknown): Promise<OutputRow[]>;
  close(): Promise<void>;
}

type TensorType = 'float32' | 'float64';

/**
 * Loads a `.onnx` file, or a directory (or its `MLmodel` file) whose `MLmodel` lists an `onnx` flavor. The
 * onnxruntime session is created once here. Throws `ModelLoadError` (code `MDC_MODEL_LOAD_FAILED`).
 */
export async function loadOnnxModel(
  path: string | URL,
  options: LoadOnnxModelOptions = {},
): Promise<OnnxModel> {
  const target = resolve(typeof path === 'string' ? path : fileURLToPath(path));
  const info = await stat(target).catch((err: unknown) => {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'does not exist' : `cannot be read (${code ?? String(err)})`;
    throw new ModelLoadError(`model path ${target} ${why}`, { cause: err });
  });
  const mlflowDir = info.isDirectory()
    ? target
    : basename(target) === 'MLmodel'
      ? dirname(target)
      : undefined;
  const meta = mlflowDir === undefined ? undefined : await readMlflowOnnxInfo(mlflowDir);
  const onnxPath = meta?.onnxPath ?? target;

  let session: ort.InferenceSession;
  try {
    session = await ort.InferenceSession.create(onnxPath, {
      executionProviders: ['cpu'],
      ...options.sessionOptions,
    });
  } catch (err) {
    throw new ModelLoadError(`onnxruntime cannot load ${onnxPath}: ${(err as Error).message}`, {
      cause: err,
    });
  }
  try {
    return createModel(session, onnxPath, meta?.featureColumns, meta ? 'mlflow' : 'onnx');
  } catch (err) {
    await session.release();
    throw err;
  }
}

function createModel(
  session: ort.InferenceSession,
  onnxPath: string,
  featureColumns: readonly string[] | undefined,
  source: 'onnx' | 'mlflow',
): OnnxModel {
  const input = session.inputMetadata[0];
  if (session.inputNames.length !== 1 || !input?.isTensor) {
    throw new ModelLoadError(
      `${onnxPath} has inputs [${session.inputNames.join(', ')}]; the built-in scorer needs one tensor input`,
    );
  }
  if (input.type !== 'float32' && input.type !== 'float64') {
    throw new ModelLoadError(
      `${onnxPath}: input "${input.name}" is ${input.type}; only float32/float64 are supported`,
    );
  }
  const dim = input.shape[1];
  const featureCount = typeof dim === 'number' && dim > 0 ? dim : undefined;
  if (featureColumns && featureCount !== undefined && featureColumns.length !== featureCount) {
    throw new ModelLoadError(
      `${onnxPath}: the MLflow signature lists ${featureColumns.length} columns but the input takes ${featureCount}`,
    );
  }
  const outputNames = session.outputMetadata.filter((m) => m.isTensor).map((m) => m.name);
  if (outputNames.length === 0) throw new ModelLoadError(`${onnxPath} has no tensor outputs`);
  const type: TensorType = input.type;

  const score = async (rows: readonly ScoringRow[], order?: readonly string[]): Promise<OutputRow[]> => {
    const columns = featureColumns ?? order ?? Object.keys(rows[0] ?? {});
    if (featureCount !== undefined && columns.length !== featureCount) {
      throw new ScoringInputError(`rows have ${columns.length} columns but the model takes ${featureCount}`);
    }
    const feeds = { [input.name]: toTensor(rows, columns, type) };
    let results: ort.InferenceSession.ReturnType;
    try {
      results = await session.run(feeds, outputNames);
    } catch (err) {
      throw new ScoringFailedError(`onnxruntime failed: ${(err as Error).message}`, { cause: err });
    }
    return outputsToRows(results as Record<string, ort.Tensor>, outputNames, rows.length);
  };

  return {
    onnxPath,
    source,
    inputNames: session.inputNames,
    outputNames,
    featureColumns,
    featureCount,
    score,
    scoreRequest: async (body) => {
      const table = parseMlflowInput(body, featureColumns ? { columns: featureColumns } : {});
      return score(table.rows, table.columns);
    },
    close: () => session.release(),
  };
}

/** Builds the [rows, columns] tensor; every value must be a finite number, a boolean or a numeric string. */
function toTensor(rows: readonly ScoringRow[], columns: readonly string[], type: TensorType): ort.Tensor {
  if (rows.length === 0) throw new ScoringInputError('there are no rows to score');
  const size = rows.length * columns.length;
  const out = type === 'float32' ? new Float32Array(size) : new Float64Array(size);
  rows.forEach((row, r) => {
    columns.forEach((col, c) => {
      out[r * columns.length + c] = toNumber(row[col], r, col);
    });
  });
  return new ort.Tensor(type, out, [rows.length, columns.length]);
}

function toNumber(v: unknown, row: number, col: string): number {
  if (typeof v === 'number' && Number.isFinite(v)) return v;
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v))) return Number(v);
  const what = v === undefined ? 'is missing' : `is ${JSON.stringify(v) ?? typeof v}, not a number`;
  throw new ScoringInputError(`column "${col}" ${what}`, `row ${row}`);
}
