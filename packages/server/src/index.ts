// The public API: `mdc serve`, `mdc proxy` and `mdc sidecar` as functions, a deployment served in-process, the
// sidecar, and the scoring contract. The other mdc packages use `@model-data-collector/server/internal`, which
// adds the HTTP servers' parts (payload logging, model-io, ONNX loading, metrics, endpoint keys); those may
// change without notice.
export type { AuthMode, DeploymentPlan, PlanOverrides } from './deployment-plan.js';
export type { ModelIoMode, ModelIoProtocol } from './model-io/index.js';
// The errors a scorer throws, whose codes a served deployment answers with.
export * from './onnx/errors.js';
export { type RunProxyOptions, runProxy } from './proxy-process.js';
export type { ScoreRequestInfo, ScoreResponse, Scorer } from './scorer.js';
export {
  DEFAULT_HOST,
  DEFAULT_PORT,
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
