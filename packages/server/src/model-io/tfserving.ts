import { parseMlflowInput } from '../onnx/mlflow-input.js';
import { isObject, ModelIoSkip, predictionRows, type Row, type SkipReason } from './rows.js';

/** TensorFlow Serving / KServe v1 `POST /v1/models/{name}[/versions/{v}]:predict`. */
export const isTfServingPath = (path: string): boolean => /:predict(?:\?|$)/.test(path);

/**
 * The request rows: `instances` (the row format: objects of named inputs, lists, or scalars) or `inputs` (the
 * columnar format: an object of named input columns, or one unnamed input). `signature_name` is ignored.
 */
export function tfServingInputs(body: unknown, featureNames: readonly string[] | undefined): Row[] {
  if (!isObject(body)) throw new ModelIoSkip('invalid_request', 'the body is not a JSON object');
  const key = 'instances' in body ? 'instances' : 'inputs' in body ? 'inputs' : undefined;
  if (key === undefined || ('instances' in body && 'inputs' in body)) {
    throw new ModelIoSkip('invalid_request', 'a :predict body has exactly one of instances or inputs');
  }
  return tableRows(body[key], key, featureNames, 'invalid_request');
}

/** The response rows: `predictions` (row format) or `outputs` (columnar format). */
export function tfServingOutputs(body: unknown): Row[] {
  if (!isObject(body)) throw new ModelIoSkip('invalid_response', 'the body is not a JSON object');
  if ('predictions' in body) return predictionRows(body.predictions, 'predictions', 'invalid_response');
  if ('outputs' in body) return predictionRows(body.outputs, 'outputs', 'invalid_response');
  throw new ModelIoSkip('invalid_response', 'a :predict answer has predictions or outputs');
}

/**
 * Rows of an `instances` / `inputs` value through the MLflow parser (records, lists, a dict of columns); a list
 * of scalars (a model with one unnamed scalar input) is one column, the first feature name or `"0"`.
 */
export function tableRows(
  value: unknown,
  key: string,
  featureNames: readonly string[] | undefined,
  reason: SkipReason,
): Row[] {
  if (Array.isArray(value) && value.length > 0 && value.every((v) => v === null || typeof v !== 'object')) {
    const column = featureNames?.[0] ?? '0';
    return value.map((v) => ({ [column]: v }));
  }
  try {
    return parseMlflowInput({ [key]: value }, featureNames ? { columns: featureNames } : {}).rows;
  } catch (err) {
    throw new ModelIoSkip(reason, (err as Error).message);
  }
}
