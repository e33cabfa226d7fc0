// The public API: what a program that checks collected data imports (see docs/monitoring.md). The other mdc
// packages use `@model-data-collector/monitor/internal`, which adds the metric tables and defaults, windows,
// history, webhook and table parsing behind `mdc monitor`; those may change without notice.
export type { FeatureType } from './columns.js';
export {
  type DataRef,
  type DataWindow,
  loadMonitorFile,
  type MetricName,
  type MonitorConfig,
  resolveMonitor,
  type SignalConfig,
  type SignalType,
  type Thresholds,
} from './config.js';
export { computeDrift, type DriftOptions } from './drift.js';
export { renderHtml } from './html-report.js';
export { computePerformance, type PerformanceOptions } from './performance-signal.js';
export { computeQuality } from './quality.js';
export type {
  Chart,
  FeatureResult,
  Finding,
  MetricResult,
  MetricStatus,
  MonitorResult,
  SignalResult,
  WindowInfo,
} from './result.js';
export { type RunOptions, runMonitor } from './run.js';
export { type CollectionQuery, type DataSource, MemorySource, ReaderSource } from './source.js';
export * as stats from './stats/index.js';
export { type Table, tableFromRows } from './table.js';
export { renderText } from './text-report.js';
