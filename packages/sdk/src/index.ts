// The public API: what a scoring script imports (see the README). Sibling packages use `model-data-collector/internal`,
// which adds the record format, layout, datastore and workspace parts; those may change without notice.
export { Collector, type CollectorOptions } from './collector.js';
export {
  BasicCorrelationContext,
  type CorrelationContext,
  currentCorrelationContext,
  runWithRequestContext,
} from './context.js';
export type { DestinationSnapshot } from './datastore/fan-out-sink.js';
export {
  type FileBatch,
  type FileResult,
  MemorySink,
  type PayloadFile,
  type Sink,
} from './datastore/sink.js';
export * from './errors.js';
export type { RollingRate } from './layout.js';
export {
  DataCollectorRuntime,
  getDefaultRuntime,
  type RuntimeOptions,
  setDefaultRuntime,
} from './runtime/runtime.js';
export type { CollectionStats, RuntimeStats } from './stats.js';
export { AGENT, VERSION } from './version.js';
