import { columnValues, selectFeatures } from './columns.js';
import { ALERT_BELOW, type MetricName } from './config.js';
import { type DriftOptions, featureType } from './drift.js';
import type { FeatureResult, Finding, MetricResult } from './result.js';
import { metricResult, rollUp } from './result.js';
import type { Table } from './table.js';

/**
 * Data quality of the production window, per feature, as shares of the production rows: nulls, values of the
 * wrong type, and values out of the reference's bounds (numbers outside its min..max, categories it never had).
 */
export function computeQuality(
  reference: Table,
  production: Table,
  options: Omit<DriftOptions, 'binning'>,
): { features: FeatureResult[]; findings: Finding[] } {
  const findings: Finding[] = [];
  const names = selectFeatures(
    reference,
    production,
    { ...options, exclude: [options.targetColumn] },
    findings,
  );
  const features: FeatureResult[] = [];
  const rows = production.rowCount;
  for (const name of names) {
    const prodCol = production.columns.get(name);
    const refCol = reference.columns.get(name);
    if (!prodCol && rows > 0)
      findings.push({
        severity: 'error',
        feature: name,
        message: `${name}: no such column in the production data (every row counts as null)`,
      });
    if (!refCol && reference.rowCount > 0)
      findings.push({
        severity: 'error',
        feature: name,
        message: `${name}: no such column in the reference data; out-of-bounds cannot be judged`,
      });
    const type = featureType(name, reference, production, options.featureTypes, findings) ?? 'numerical';
    const thresholds = options.thresholds[type];
    const prod = columnValues(prodCol, rows, type);
    const ref = columnValues(refCol, reference.rowCount, type);
    let outOfBounds: number | undefined;
    if (type === 'numerical') {
      const refNumbers = ref.numbers!;
      if (refNumbers.length > 0) {
        let lo = Number.POSITIVE_INFINITY;
        let hi = Number.NEGATIVE_INFINITY;
        for (const x of refNumbers) {
          if (x < lo) lo = x;
          if (x > hi) hi = x;
        }
        let n = 0;
        for (const x of prod.numbers!) if (x < lo || x > hi) n++;
        outOfBounds = n;
      }
    } else if (ref.categories!.size > 0) {
      let n = 0;
      for (const [c, count] of prod.categories!) if (!ref.categories!.has(c)) n += count;
      outOfBounds = n;
    }
    if (rows === 0) outOfBounds = undefined;
    const rate = (n: number | undefined) => (n === undefined || rows === 0 ? undefined : n / rows);
    const metrics: MetricResult[] = [];
    for (const m of Object.keys(thresholds) as MetricName[]) {
      const value =
        m === 'null_value_rate'
          ? rate(prod.nulls)
          : m === 'data_type_error_rate'
            ? rate(prod.typeErrors)
            : m === 'out_of_bounds_rate'
              ? rate(outOfBounds)
              : undefined;
      const counts =
        m === 'null_value_rate' ? prod.nulls : m === 'data_type_error_rate' ? prod.typeErrors : outOfBounds;
      metrics.push(
        metricResult(
          m,
          value,
          thresholds[m],
          ALERT_BELOW.has(m),
          counts === undefined ? undefined : { count: counts },
        ),
      );
    }
    const status = rollUp(metrics.map((m) => m.status));
    const usable =
      type === 'numerical' ? prod.numbers!.length : [...prod.categories!.values()].reduce((a, b) => a + b, 0);
    const refUsable =
      type === 'numerical' ? ref.numbers!.length : [...ref.categories!.values()].reduce((a, b) => a + b, 0);
    features.push({
      feature: name,
      featureType: type,
      rows: { production: rows, reference: reference.rowCount },
      values: { production: usable, reference: refUsable },
      metrics,
      status: status === 'incomplete' ? 'no_data' : status,
    });
  }
  return { features, findings };
}
