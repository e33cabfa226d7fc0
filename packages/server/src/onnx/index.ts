export {
  ModelLoadError,
  ONNX_ERROR_CODES,
  type OnnxErrorCode,
  OnnxScorerError,
  ScoringFailedError,
  ScoringInputError,
} from './errors.js';
export {
  MLFLOW_INPUT_KEYS,
  type ParseMlflowInputOptions,
  parseMlflowInput,
  type ScoringRow,
  type ScoringTable,
} from './mlflow-input.js';
export {
  type MlflowModelInfo,
  type MlflowOnnxInfo,
  readMlflowModel,
  readMlflowOnnxInfo,
} from './mlmodel.js';
export { type LoadOnnxModelOptions, loadOnnxModel, type OnnxModel } from './onnx-model.js';
export { type OutputRow, type OutputValue, outputsToRows } from './outputs.js';
