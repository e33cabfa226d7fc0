export { type BodyKind, bodyKind, mediaType, type PayloadData, payloadData } from './body.js';
export { correlationFromHeaders, MAX_REQUEST_ID_LENGTH } from './correlation.js';
export {
  type AuthMode,
  type DeploymentPlan,
  isOnnxModel,
  MODELS_DIR,
  type PlanOverrides,
  planDeployment,
} from './deployment-plan.js';
export {
  authorize,
  type EndpointKeys,
  getEndpointKeys,
  KEYS_FILE,
  regenerateEndpointKey,
} from './endpoint-keys.js';
export { type ErrorBody, toErrorAnswer } from './http-error.js';
export { createMetrics, type ServerMetrics } from './metrics.js';
export {
  MODEL_IO_MODES,
  MODEL_IO_PROTOCOLS,
  ModelIo,
  type ModelIoExchange,
  type ModelIoMode,
  type ModelIoOptions,
  type ModelIoProtocol,
  type ModelIoStats,
  type SkipReason,
} from './model-io/index.js';
export * from './onnx/index.js';
export { createOnnxScorer } from './onnx-scorer.js';
export { type Exchange, PayloadLogger, STATUS_ATTRIBUTE } from './payload-log.js';
export { type RunProxyOptions, runProxy } from './proxy-process.js';
export { createProxyServer, type ProxyOptions, type ProxyServer } from './proxy-server.js';
export { createScoreServer, type ScoreServer, type ScoreServerOptions } from './score-server.js';
export { isScoreResponse, type ScoreRequestInfo, type ScoreResponse, type Scorer } from './scorer.js';
export { loadScoringScript } from './script-scorer.js';
export {
  DEFAULT_HOST,
  DEFAULT_PORT,
  describeDeployment,
  type PreparedDeployment,
  prepareDeployment,
  type ServeInstance,
  type ServeOptions,
  startInstance,
  urlOf,
} from './serve.js';
export { runServe } from './serve-process.js';
export {
  createSidecar,
  DEFAULT_SIDECAR_PORT,
  SIDECAR_PATH,
  type Sidecar,
  type SidecarOptions,
} from './sidecar.js';
export { type RunSidecarOptions, runSidecar } from './sidecar-process.js';
