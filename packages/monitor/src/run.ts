import type { DataRef, MonitorConfig, SignalConfig } from './config.js';
import { computeDrift, driftOptions } from './drift.js';
import { computePerformance } from './performance-signal.js';
import { computeQuality } from './quality.js';
import {
  type FeatureResult,
  type Finding,
  METHOD_NOTES,
  type MetricResult,
  type MonitorResult,
  rollUp,
  type SignalResult,
  type WindowInfo,
} from './result.js';
import type { CollectionQuery, DataSource } from './source.js';
import { EMPTY_TABLE, type Table } from './table.js';

export interface RunOptions {
  /** The end of every window (ms since the epoch). @default Date.now() */
  readonly nowMs?: number;
}

/** The query a data reference makes at `nowMs` (collections only). */
export function windowQuery(ref: DataRef & { kind: 'collection' }, nowMs: number): CollectionQuery {
  const w = ref.window;
  return {
    collection: ref.collection,
    ...(ref.endpoint ? { endpoint: ref.endpoint } : {}),
    ...(ref.deployment ? { deployment: ref.deployment } : {}),
    ...(w ? { sinceMs: nowMs - w.offsetMs - w.sizeMs, untilMs: nowMs - w.offsetMs } : {}),
  };
}

async function load(
  source: DataSource,
  ref: DataRef,
  nowMs: number,
  role: string,
  findings: Finding[],
): Promise<{ table: Table; info: WindowInfo }> {
  if (ref.kind === 'file') {
    const table = await source.file(ref.path);
    if (table.rowCount === 0)
      findings.push({ severity: 'error', message: `the ${role} file ${ref.path} has no rows` });
    return { table, info: { source: ref.path, rows: table.rowCount } };
  }
  const q = windowQuery(ref, nowMs);
  const table = await source.collection(q);
  const info: WindowInfo = {
    source: [ref.endpoint, ref.deployment, ref.collection].filter(Boolean).join('/'),
    ...(q.sinceMs !== undefined ? { since: new Date(q.sinceMs).toISOString() } : {}),
    ...(q.untilMs !== undefined ? { until: new Date(q.untilMs).toISOString() } : {}),
    rows: table.rowCount,
  };
  if (table.rowCount === 0)
    findings.push({
      severity: 'error',
      message: `the ${role} window${info.since ? ` ${info.since} .. ${info.until}` : ''} of ${info.source} has no rows`,
    });
  return { table, info };
}

/** Runs one signal. Data that cannot be found is reported as a finding, not thrown. */
export async function runSignal(
  signal: SignalConfig,
  source: DataSource,
  nowMs: number,
): Promise<SignalResult> {
  const findings: Finding[] = [];
  const production = await load(source, signal.production, nowMs, 'production', findings);
  const reference = await load(
    source,
    signal.reference,
    nowMs,
    signal.type === 'model_performance' ? 'ground-truth' : 'reference',
    findings,
  );
  let features: FeatureResult[] = [];
  let metrics: MetricResult[] = [];
  if (signal.type === 'model_performance') {
    const r = computePerformance(production.table, reference.table, {
      mlTask: signal.mlTask ?? 'classification',
      predictionColumn: signal.predictionColumn!,
      actualColumn: signal.actualColumn!,
      productionIdColumn: signal.productionIdColumn,
      referenceIdColumn: signal.referenceIdColumn,
      ...(signal.positiveLabel !== undefined ? { positiveLabel: signal.positiveLabel } : {}),
      thresholds: signal.performanceThresholds,
    });
    metrics = r.metrics;
    findings.push(...r.findings);
  } else {
    const compute = signal.type === 'data_quality' ? computeQuality : computeDrift;
    const r = compute(reference.table, production.table, driftOptions(signal));
    features = r.features;
    findings.push(...r.findings);
  }
  const status = rollUp([...features.map((f) => f.status), ...metrics.map((m) => m.status)]);
  return {
    name: signal.name,
    type: signal.type,
    status,
    production: production.info,
    reference: reference.info,
    features,
    metrics,
    findings,
  };
}

/** Runs every signal of a monitor once. */
export async function runMonitor(
  config: MonitorConfig,
  source: DataSource,
  options: RunOptions = {},
): Promise<MonitorResult> {
  const nowMs = options.nowMs ?? Date.now();
  const signals: SignalResult[] = [];
  for (const s of config.signals) signals.push(await runSignal(s, source, nowMs));
  return {
    monitor: config.name,
    runAt: new Date(nowMs).toISOString(),
    status: rollUp(signals.map((s) => s.status)),
    signals,
    method: METHOD_NOTES,
  };
}

export { EMPTY_TABLE };
