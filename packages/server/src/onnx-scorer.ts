import { Collector, type DataCollectorRuntime } from 'model-data-collector/internal';
import { onnxModelTarget } from './deployment-plan.js';
import { loadOnnxModel, type OnnxModel, parseMlflowInput } from './onnx/index.js';
import type { Scorer } from './scorer.js';

/**
 * The no-code scorer: serves an `.onnx` file or an MLflow model (onnx flavor) with onnxruntime, takes MLflow
 * scoring bodies and answers `{"predictions": [...]}` as MLflow's scoring server does. When the deployment
 * enables `model_inputs` / `model_outputs`, the parsed input rows and the output rows are collected, with the
 * request's correlation id.
 */
export function createOnnxScorer(
  modelPath: string,
  runtime: DataCollectorRuntime,
  onCollectError: (err: Error) => void,
): Scorer {
  let model: OnnxModel | undefined;
  const { inputs, outputs } = autoCollectors(runtime, onCollectError);
  const target = onnxModelTarget(modelPath);
  return {
    kind: 'onnx',
    description: target,
    async init() {
      model = await loadOnnxModel(target);
    },
    async run(data) {
      const m = model!;
      const table = parseMlflowInput(
        typeof data === 'string' || Buffer.isBuffer(data) ? String(data) : data,
        m.featureColumns ? { columns: m.featureColumns } : {},
      );
      const predictions = await m.score(table.rows, table.columns);
      // Collected after scoring succeeds, so model_inputs only holds rows the model accepted, each with its outputs.
      const context = safeCollect(inputs, table.rows, onCollectError);
      safeCollect(outputs, predictions, onCollectError, context);
      return { predictions };
    },
    async close() {
      await model?.close();
    },
  };
}

/** The Collectors of a no-code model: `model_inputs` / `model_outputs`, each only when the YAML enables it. */
export function autoCollectors(
  runtime: DataCollectorRuntime,
  onError: (err: Error) => void,
): { inputs: Collector | undefined; outputs: Collector | undefined } {
  const configured = runtime.deployment?.collections;
  const collector = (name: string) =>
    configured?.get(name)?.enabled ? new Collector({ name, runtime, onError }) : undefined;
  return { inputs: collector('model_inputs'), outputs: collector('model_outputs') };
}

/** collect() that never fails the request: an error goes to `onError`, and the context given is kept. */
export function safeCollect(
  c: Collector | undefined,
  rows: unknown,
  onError: (err: Error) => void,
  context?: ReturnType<Collector['collect']>,
): ReturnType<Collector['collect']> | undefined {
  if (!c) return context;
  try {
    return c.collect(rows, context);
  } catch (err) {
    onError(err as Error);
    return context;
  }
}
