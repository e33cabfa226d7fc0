// What the other mdc packages share, on top of the public API (index.ts). Not for users: it may change.

export { type BodyKind, bodyKind, mediaType, type PayloadData, payloadData } from './body.js';
export { correlationFromHeaders, MAX_REQUEST_ID_LENGTH } from './correlation.js';
export { isOnnxModel, MODELS_DIR, planDeployment } from './deployment-plan.js';
export {
  authorize,
  type EndpointKeys,
  getEndpointKeys,
  KEYS_FILE,
  regenerateEndpointKey,
} from './endpoint-keys.js';
export { type ErrorBody, toErrorAnswer } from './http-error.js';
export * from './index.js';
export { createMetrics, type ServerMetrics } from './metrics.js';
export {
  MODEL_IO_MODES,
  MODEL_IO_PROTOCOLS,
  ModelIo,
  type ModelIoExchange,
  type ModelIoOptions,
  type ModelIoStats,
  type SkipReason,
} from './model-io/index.js';
export {
  type LoadOnnxModelOptions,
  loadOnnxModel,
  MLFLOW_INPUT_KEYS,
  type MlflowModelInfo,
  type MlflowOnnxInfo,
  type OnnxModel,
  type OutputRow,
  type OutputValue,
  outputsToRows,
  type ParseMlflowInputOptions,
  parseMlflowInput,
  readMlflowModel,
  readMlflowOnnxInfo,
  type ScoringRow,
  type ScoringTable,
} from './onnx/index.js';
export { createOnnxScorer } from './onnx-scorer.js';
export { type Exchange, PayloadLogger, STATUS_ATTRIBUTE } from './payload-log.js';
export { createProxyServer, type ProxyOptions, type ProxyServer } from './proxy-server.js';
export { createScoreServer, type ScoreServer, type ScoreServerOptions } from './score-server.js';
export { isScoreResponse } from './scorer.js';
export { loadScoringScript } from './script-scorer.js';
export { describeDeployment } from './serve.js';
