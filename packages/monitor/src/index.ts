export { type FeatureType, inferType, META_COLUMNS } from './columns.js';
export {
  ALERT_BELOW,
  type DataRef,
  type DataWindow,
  DEFAULT_THRESHOLDS,
  DRIFT_METRICS,
  defaultReference,
  loadMonitorFile,
  METRIC_DEFAULT_THRESHOLDS,
  type MetricName,
  type MonitorConfig,
  PERFORMANCE_METRICS,
  QUALITY_METRICS,
  resolveMonitor,
  SIGNAL_TYPES,
  type SignalConfig,
  type SignalType,
  type Thresholds,
} from './config.js';
export { computeDrift, type DriftOptions, MAX_CHART_CATEGORIES } from './drift.js';
export { durationOption, parseDurationMs } from './duration.js';
export { formatValue, renderHtml } from './html-report.js';
export { postWebhook, type WebhookOptions, writeHistory } from './outputs.js';
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
export { METHOD_NOTES } from './result.js';
export { type RunOptions, runMonitor, runSignal, windowQuery } from './run.js';
export { type CollectionQuery, type DataSource, MemorySource, ReaderSource } from './source.js';
export * as stats from './stats/index.js';
export { EMPTY_TABLE, parseCsv, parseJsonRows, readTableFile, type Table, tableFromRows } from './table.js';
export { renderText } from './text-report.js';
