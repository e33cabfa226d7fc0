import type { DataCollectorRuntime } from 'model-data-collector/internal';
import { bodyText } from '../body.js';
import {
  type MlflowModelInfo,
  parseMlflowInput,
  ScoringFailedError,
  ScoringInputError,
} from '../onnx/index.js';
import { autoCollectors, safeCollect } from '../onnx-scorer.js';
import { RawJson, type Scorer } from '../scorer.js';
import type { PythonScorer } from './python-scorer.js';

/**
 * The no-code scorer of an MLflow model with a sklearn / python_function flavor: the body is parsed here with
 * the ONNX path's MLflow input parser (same formats, same 400s), the Python worker runs mdc_mlflow_scorer.py on
 * the table, and the input and output rows are collected into model_inputs / model_outputs with the request's
 * correlation id. Answers `{"predictions": [...]}` as MLflow's scoring server does.
 */
export function createMlflowPythonScorer(
  worker: PythonScorer,
  model: MlflowModelInfo,
  runtime: DataCollectorRuntime,
  onCollectError: (err: Error) => void,
): Scorer {
  const { inputs, outputs } = autoCollectors(runtime, onCollectError);
  const columns = model.featureColumns;
  return {
    kind: 'mlflow-python',
    description: `${model.file} (${model.flavors.join(', ')})`,
    takesRawBody: true,
    limitsConcurrency: true,
    restarts: worker.restarts,
    init: () => worker.init(),
    close: () => worker.close(),
    timedOut: (request) => worker.timedOut(request),
    async run(_data, request) {
      const table = parseMlflowInput(bodyText(request.rawBody), columns ? { columns } : {});
      const missing = columns?.filter((c) => !table.columns.includes(c)) ?? [];
      if (missing.length > 0) {
        throw new ScoringInputError(
          `missing column(s) ${missing.join(', ')}: the model's signature takes ${columns!.join(', ')}`,
        );
      }
      const data = table.rows.map((row) => table.columns.map((c) => row[c] ?? null));
      const answer = await worker.call(
        Buffer.from(JSON.stringify({ columns: table.columns, data })),
        request,
      );
      if (!(answer instanceof RawJson)) {
        throw new ScoringFailedError('the built-in Python scorer did not answer with JSON');
      }
      const result = JSON.parse(answer.text) as { predictions: unknown[]; outputs: unknown[] };
      const context = safeCollect(inputs, table.rows, onCollectError);
      safeCollect(outputs, result.outputs, onCollectError, context);
      return { predictions: result.predictions };
    },
  };
}
