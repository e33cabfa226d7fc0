import { parseMlflowInput } from '../onnx/mlflow-input.js';
import { isObject, ModelIoSkip, predictionRows, type Row } from './rows.js';
import { tableRows } from './tfserving.js';

/** Whether a body is an Azure ML online endpoint request: `input_data`, or the reference's `{"data": …}`. */
export const looksLikeAzureRequest = (body: unknown): boolean =>
  isObject(body) && ('input_data' in body || 'data' in body);

/**
 * The request rows: Azure's `input_data` (`{columns, index, data}` or rows) through the MLflow parser, or the
 * reference's `{"data": …}` (rows, lists or an object of columns; other keys such as `method` are ignored).
 */
export function azureInputs(body: unknown, featureNames: readonly string[] | undefined): Row[] {
  if (!isObject(body)) throw new ModelIoSkip('invalid_request', 'the body is not a JSON object');
  if ('input_data' in body) {
    try {
      return parseMlflowInput({ input_data: body.input_data }, featureNames ? { columns: featureNames } : {})
        .rows;
    } catch (err) {
      throw new ModelIoSkip('invalid_request', (err as Error).message);
    }
  }
  if ('data' in body) return tableRows(body.data, 'instances', featureNames, 'invalid_request');
  throw new ModelIoSkip('invalid_request', 'an Azure ML request has input_data or data');
}

/**
 * The response rows: whatever the scoring script returned, as a list (values, lists or row objects), an object
 * with one of `predictions`, `outputs`, `result`, or an object of columns.
 */
export function azureOutputs(body: unknown): Row[] {
  if (isObject(body)) {
    for (const key of ['predictions', 'outputs', 'result']) {
      if (key in body) return predictionRows(body[key], key, 'invalid_response');
    }
  }
  return predictionRows(body, 'predictions', 'invalid_response');
}
