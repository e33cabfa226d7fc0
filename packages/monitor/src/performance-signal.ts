import { ALERT_BELOW, PERFORMANCE_METRICS, type PerformanceMetric, type Thresholds } from './config.js';
import type { Finding, MetricResult } from './result.js';
import { metricResult } from './result.js';
import {
  accuracy,
  meanAbsoluteError,
  meanSquaredError,
  precision,
  recall,
  rootMeanSquaredError,
} from './stats/performance.js';
import type { Table } from './table.js';

export interface PerformanceOptions {
  readonly mlTask: 'classification' | 'regression';
  readonly predictionColumn: string;
  readonly actualColumn: string;
  /** Column of the production rows that matches the ground truth's id. @default 'id' (`<correlationid>` or `<correlationid>_<row>`) */
  readonly productionIdColumn?: string;
  /** @default 'correlationid' */
  readonly referenceIdColumn?: string;
  readonly positiveLabel?: string | number | boolean;
  readonly thresholds: Thresholds;
}

const label = (v: unknown): string | undefined =>
  v === null || v === undefined || (typeof v === 'number' && Number.isNaN(v))
    ? undefined
    : typeof v === 'object'
      ? JSON.stringify(v)
      : String(v);

/**
 * Model performance: production predictions joined with ground truth on the correlation id, then accuracy,
 * precision and recall (classification) or MAE, MSE and RMSE (regression). Rows without ground truth are
 * left out and counted in a finding.
 */
export function computePerformance(
  production: Table,
  truth: Table,
  options: PerformanceOptions,
): { metrics: MetricResult[]; findings: Finding[]; matched: number } {
  const findings: Finding[] = [];
  const prodId = options.productionIdColumn ?? 'id';
  const refId = options.referenceIdColumn ?? 'correlationid';
  const need: [Table, string, string][] = [
    [production, prodId, 'production data'],
    [production, options.predictionColumn, 'production data'],
    [truth, refId, 'ground truth'],
    [truth, options.actualColumn, 'ground truth'],
  ];
  let missing = false;
  for (const [t, col, what] of need) {
    if (t.rowCount > 0 && !t.columns.has(col)) {
      findings.push({ severity: 'error', message: `no column ${col} in the ${what}` });
      missing = true;
    }
  }
  const truthById = new Map<string, unknown>();
  const ids = truth.columns.get(refId);
  const actual = truth.columns.get(options.actualColumn);
  if (ids && actual) {
    let dup = 0;
    for (let i = 0; i < truth.rowCount; i++) {
      const k = label(ids[i]);
      if (k === undefined) continue;
      if (truthById.has(k)) dup++;
      truthById.set(k, actual[i]);
    }
    if (dup > 0)
      findings.push({
        severity: 'warning',
        message: `${dup} ground-truth rows repeat an id; the last one is used`,
      });
  }
  const pIds = production.columns.get(prodId);
  const preds = production.columns.get(options.predictionColumn);
  const a: unknown[] = [];
  const p: unknown[] = [];
  let unmatched = 0;
  let nulls = 0;
  if (pIds && preds && !missing) {
    for (let i = 0; i < production.rowCount; i++) {
      const k = label(pIds[i]);
      if (k === undefined || !truthById.has(k)) {
        unmatched++;
        continue;
      }
      const y = truthById.get(k);
      const yhat = preds[i];
      if (label(y) === undefined || label(yhat) === undefined) {
        nulls++;
        continue;
      }
      a.push(y);
      p.push(yhat);
    }
  }
  if (unmatched > 0)
    findings.push({
      severity: 'info',
      message: `${unmatched} of ${production.rowCount} production rows have no ground truth yet; left out`,
    });
  if (nulls > 0)
    findings.push({
      severity: 'warning',
      message: `${nulls} joined rows have a null prediction or ground truth; left out`,
    });
  const metrics: MetricResult[] = [];
  const names = PERFORMANCE_METRICS[options.mlTask] as readonly PerformanceMetric[];
  if (options.mlTask === 'classification') {
    const al = a.map((v) => label(v)!);
    const pl = p.map((v) => label(v)!);
    let positive = options.positiveLabel === undefined ? undefined : String(options.positiveLabel);
    const classes = new Set([...al, ...pl]);
    if (positive === undefined && classes.size <= 2 && [...classes].every((c) => c === '0' || c === '1'))
      positive = '1';
    if (
      positive === undefined &&
      classes.size <= 2 &&
      [...classes].every((c) => c === 'true' || c === 'false')
    )
      positive = 'true';
    if (positive === undefined && classes.size > 0)
      findings.push({
        severity: 'info',
        message: 'no positive_label: precision and recall are macro averages over the classes',
      });
    for (const m of names) {
      const value =
        m === 'accuracy'
          ? accuracy(al, pl)
          : m === 'precision'
            ? precision(al, pl, positive)
            : recall(al, pl, positive);
      metrics.push(
        metricResult(
          m,
          value,
          options.thresholds[m],
          ALERT_BELOW.has(m),
          positive === undefined ? { pairs: al.length } : { pairs: al.length, positive_label: positive },
        ),
      );
    }
  } else {
    const an: number[] = [];
    const pn: number[] = [];
    let bad = 0;
    for (let i = 0; i < a.length; i++) {
      const x = Number(a[i]);
      const y = Number(p[i]);
      if (
        Number.isFinite(x) &&
        Number.isFinite(y) &&
        typeof a[i] !== 'boolean' &&
        typeof p[i] !== 'boolean'
      ) {
        an.push(x);
        pn.push(y);
      } else bad++;
    }
    if (bad > 0)
      findings.push({
        severity: 'warning',
        message: `${bad} joined rows are not numbers; left out of the regression metrics`,
      });
    for (const m of names) {
      const value =
        m === 'mae'
          ? meanAbsoluteError(an, pn)
          : m === 'mse'
            ? meanSquaredError(an, pn)
            : rootMeanSquaredError(an, pn);
      metrics.push(metricResult(m, value, options.thresholds[m], ALERT_BELOW.has(m), { pairs: an.length }));
    }
  }
  if (a.length === 0 && !missing)
    findings.push({ severity: 'warning', message: 'no production row could be joined with ground truth' });
  return { metrics, findings, matched: a.length };
}
