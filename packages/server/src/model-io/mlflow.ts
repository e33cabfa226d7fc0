import { parseMlflowInput } from '../onnx/mlflow-input.js';
import { isObject, ModelIoSkip, predictionRows, type Row } from './rows.js';

/** The MLflow scoring server's `POST /invocations`. */
export const isMlflowPath = (path: string): boolean => /\/invocations(?:\?|$)/.test(path);

/** Whether a body has one of the MLflow scoring keys only MLflow uses (`dataframe_split`, `dataframe_records`). */
export const looksLikeMlflowRequest = (body: unknown): boolean =>
  isObject(body) && ('dataframe_split' in body || 'dataframe_records' in body);

/** The request rows: `dataframe_split`, `dataframe_records`, `instances`, `inputs` (and `input_data`). */
export function mlflowInputs(body: unknown, featureNames: readonly string[] | undefined): Row[] {
  try {
    return parseMlflowInput(body, featureNames ? { columns: featureNames } : {}).rows;
  } catch (err) {
    throw new ModelIoSkip('invalid_request', (err as Error).message);
  }
}

/**
 * The response rows: `{"predictions": …}` (MLflow 2) or a bare list (MLflow 1), each a list of values, lists or
 * row objects, or an object of columns.
 */
export function mlflowOutputs(body: unknown): Row[] {
  if (Array.isArray(body)) return predictionRows(body, 'predictions', 'invalid_response');
  if (isObject(body) && 'predictions' in body) {
    return predictionRows(body.predictions, 'predictions', 'invalid_response');
  }
  throw new ModelIoSkip('invalid_response', 'an MLflow answer is {"predictions": …} or a list');
}
