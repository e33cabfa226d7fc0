// What the other mdc packages share, on top of the public API (index.ts). Not for users: it may change.

export { inferType, META_COLUMNS } from './columns.js';
export {
  ALERT_BELOW,
  DEFAULT_THRESHOLDS,
  DRIFT_METRICS,
  defaultReference,
  METRIC_DEFAULT_THRESHOLDS,
  PERFORMANCE_METRICS,
  QUALITY_METRICS,
  SIGNAL_TYPES,
} from './config.js';
export { MAX_CHART_CATEGORIES } from './drift.js';
export { durationOption, parseDurationMs } from './duration.js';
export { formatValue } from './html-report.js';
export * from './index.js';
export { postWebhook, type WebhookOptions, writeHistory } from './outputs.js';
export { METHOD_NOTES } from './result.js';
export { runSignal, windowQuery } from './run.js';
export { EMPTY_TABLE, parseCsv, parseJsonRows, readTableFile } from './table.js';
