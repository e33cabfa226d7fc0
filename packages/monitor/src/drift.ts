import { columnValues, type FeatureType, inferType, selectFeatures } from './columns.js';
import { ALERT_BELOW, type MetricName, type SignalConfig, type Thresholds } from './config.js';
import type { Chart, FeatureResult, Finding, MetricResult } from './result.js';
import { metricResult, rollUp } from './result.js';
import { chebyshevDistance } from './stats/chebyshev.js';
import { chiSquaredTest } from './stats/chi-squared.js';
import { type Binning, histogram } from './stats/histogram.js';
import { jensenShannonDistance } from './stats/jensen-shannon.js';
import { ks2samp } from './stats/ks.js';
import { populationStabilityIndex } from './stats/psi.js';
import { sortFloat64 } from './stats/sort.js';
import { MIN_STD, std, wassersteinDistance } from './stats/wasserstein.js';
import type { Table } from './table.js';

/** Charts show at most this many categories; the rest are summed into "(other)". Metrics use them all. */
export const MAX_CHART_CATEGORIES = 20;

export interface DriftOptions {
  readonly features?: readonly string[];
  readonly topN?: number;
  readonly featureImportance?: Readonly<Record<string, number>>;
  readonly targetColumn?: string;
  readonly featureTypes?: Readonly<Record<string, FeatureType>>;
  readonly binning: Binning;
  readonly thresholds: { readonly numerical: Thresholds; readonly categorical: Thresholds };
}

export function driftOptions(s: SignalConfig): DriftOptions {
  return {
    ...(s.features ? { features: s.features } : {}),
    ...(s.topN !== undefined ? { topN: s.topN } : {}),
    ...(s.featureImportance ? { featureImportance: s.featureImportance } : {}),
    ...(s.targetColumn ? { targetColumn: s.targetColumn } : {}),
    featureTypes: s.featureTypes,
    binning: s.binning,
    thresholds: s.thresholds,
  };
}

/** The type of a feature: the configured one, else what the reference (or, lacking it, production) holds. */
export function featureType(
  name: string,
  reference: Table,
  production: Table,
  overrides: Readonly<Record<string, FeatureType>> | undefined,
  findings: Finding[],
): FeatureType | undefined {
  const forced = overrides?.[name];
  if (forced) return forced;
  const ref = inferType(reference.columns.get(name));
  if (ref?.mixed)
    findings.push({
      severity: 'warning',
      feature: name,
      message: `${name}: the reference mixes numbers and text; treated as categorical`,
    });
  return ref?.type ?? inferType(production.columns.get(name))?.type;
}

/** Data drift (or prediction drift): each feature's production distribution against the reference. */
export function computeDrift(
  reference: Table,
  production: Table,
  options: DriftOptions,
): { features: FeatureResult[]; findings: Finding[] } {
  const findings: Finding[] = [];
  const names = selectFeatures(
    reference,
    production,
    { ...options, exclude: [options.targetColumn] },
    findings,
  );
  const features: FeatureResult[] = [];
  for (const name of names) {
    const refCol = reference.columns.get(name);
    const prodCol = production.columns.get(name);
    if (!refCol && reference.rowCount > 0)
      findings.push({
        severity: 'error',
        feature: name,
        message: `${name}: no such column in the reference data`,
      });
    if (!prodCol && production.rowCount > 0)
      findings.push({
        severity: 'error',
        feature: name,
        message:
          refCol && !options.targetColumn
            ? `${name}: no such column in the production data; if it is the label, name it as the target (--target ${name}, or reference_data.target_column_name: ${name})`
            : `${name}: no such column in the production data`,
      });
    const type = featureType(name, reference, production, options.featureTypes, findings) ?? 'numerical';
    const thresholds = options.thresholds[type];
    const ref = columnValues(refCol, reference.rowCount, type);
    const prod = columnValues(prodCol, production.rowCount, type);
    const result =
      type === 'numerical'
        ? numericalDrift(name, ref.numbers!, prod.numbers!, thresholds, options.binning, findings)
        : categoricalDrift(name, ref.categories!, prod.categories!, thresholds, findings);
    const refValues = type === 'numerical' ? ref.numbers!.length : sumCounts(ref.categories!);
    const prodValues = type === 'numerical' ? prod.numbers!.length : sumCounts(prod.categories!);
    if (refCol && reference.rowCount > 0 && refValues === 0)
      findings.push({
        severity: 'warning',
        feature: name,
        message: `${name}: no usable values in the reference (all null or of another type)`,
      });
    if (prodCol && production.rowCount > 0 && prodValues === 0)
      findings.push({
        severity: 'warning',
        feature: name,
        message: `${name}: no usable values in the production window (all null or of another type)`,
      });
    const status = rollUp(result.metrics.map((m) => m.status));
    features.push({
      feature: name,
      featureType: type,
      rows: { production: production.rowCount, reference: reference.rowCount },
      values: { production: prodValues, reference: refValues },
      metrics: result.metrics,
      status: status === 'incomplete' ? 'no_data' : status,
      ...(result.chart ? { chart: result.chart } : {}),
    });
  }
  return { features, findings };
}

function sumCounts(m: Map<string, number>): number {
  let s = 0;
  for (const v of m.values()) s += v;
  return s;
}

function metricsOf(thresholds: Thresholds): MetricName[] {
  return Object.keys(thresholds) as MetricName[];
}

function numericalDrift(
  name: string,
  refValues: Float64Array,
  prodValues: Float64Array,
  thresholds: Thresholds,
  binning: Binning,
  findings: Finding[],
): { metrics: MetricResult[]; chart?: Chart } {
  const wanted = metricsOf(thresholds);
  if (refValues.length === 0 || prodValues.length === 0) {
    return { metrics: wanted.map((m) => metricResult(m, undefined, thresholds[m], ALERT_BELOW.has(m))) };
  }
  // columnValues gave fresh arrays: sort them in place.
  const ref = sortFloat64(refValues);
  const prod = sortFloat64(prodValues);
  const hist = histogram(ref, prod, binning);
  const metrics: MetricResult[] = [];
  for (const m of wanted) {
    const t = thresholds[m];
    const below = ALERT_BELOW.has(m);
    switch (m) {
      case 'jensen_shannon_distance':
        metrics.push(
          metricResult(m, jensenShannonDistance(hist.reference, hist.production), t, below, {
            bins: hist.reference.length,
          }),
        );
        break;
      case 'population_stability_index':
        metrics.push(
          metricResult(m, populationStabilityIndex(hist.reference, hist.production), t, below, {
            bins: hist.reference.length,
          }),
        );
        break;
      case 'normalized_wasserstein_distance': {
        const s = std(ref);
        if (s < MIN_STD)
          findings.push({
            severity: 'info',
            feature: name,
            message: `${name}: the reference is constant (std ${s}); Wasserstein is divided by ${MIN_STD}`,
          });
        const w = wassersteinDistance(ref, prod);
        metrics.push(
          metricResult(m, w / Math.max(s, MIN_STD), t, below, { wasserstein: w, referenceStd: s }),
        );
        break;
      }
      case 'two_sample_kolmogorov_smirnov_test': {
        const r = ks2samp(ref, prod);
        metrics.push(metricResult(m, r.pValue, t, below, { statistic: r.statistic, method: r.method }));
        break;
      }
      default:
        metrics.push(metricResult(m, undefined, t, below));
        findings.push({
          severity: 'warning',
          feature: name,
          message: `${name}: ${m} does not apply to a numerical feature`,
        });
    }
  }
  const tr = ref.length;
  const tp = prod.length;
  return {
    metrics,
    chart: {
      kind: 'histogram',
      edges: [...hist.edges],
      reference: [...hist.reference].map((c) => c / tr),
      production: [...hist.production].map((c) => c / tp),
    },
  };
}

function categoricalDrift(
  name: string,
  refCounts: Map<string, number>,
  prodCounts: Map<string, number>,
  thresholds: Thresholds,
  findings: Finding[],
): { metrics: MetricResult[]; chart?: Chart } {
  const wanted = metricsOf(thresholds);
  const categories = [...new Set([...refCounts.keys(), ...prodCounts.keys()])].sort((a, b) => {
    const d =
      (refCounts.get(b) ?? 0) + (prodCounts.get(b) ?? 0) - (refCounts.get(a) ?? 0) - (prodCounts.get(a) ?? 0);
    return d !== 0 ? d : a < b ? -1 : a > b ? 1 : 0;
  });
  const r = Float64Array.from(categories, (c) => refCounts.get(c) ?? 0);
  const p = Float64Array.from(categories, (c) => prodCounts.get(c) ?? 0);
  const tr = sumCounts(refCounts);
  const tp = sumCounts(prodCounts);
  if (tr === 0 || tp === 0)
    return { metrics: wanted.map((m) => metricResult(m, undefined, thresholds[m], ALERT_BELOW.has(m))) };
  const onlyProd = categories.filter((c) => !refCounts.has(c));
  const onlyRef = categories.filter((c) => !prodCounts.has(c));
  if (onlyProd.length > 0)
    findings.push({
      severity: 'info',
      feature: name,
      message: `${name}: ${onlyProd.length} categor${onlyProd.length === 1 ? 'y' : 'ies'} only in production (${preview(onlyProd)}); counted as 0 in the reference`,
    });
  if (onlyRef.length > 0)
    findings.push({
      severity: 'info',
      feature: name,
      message: `${name}: ${onlyRef.length} categor${onlyRef.length === 1 ? 'y' : 'ies'} only in the reference (${preview(onlyRef)}); counted as 0 in production`,
    });
  const metrics: MetricResult[] = [];
  for (const m of wanted) {
    const t = thresholds[m];
    const below = ALERT_BELOW.has(m);
    switch (m) {
      case 'jensen_shannon_distance':
        metrics.push(
          metricResult(m, jensenShannonDistance(r, p), t, below, { categories: categories.length }),
        );
        break;
      case 'population_stability_index':
        metrics.push(
          metricResult(m, populationStabilityIndex(r, p), t, below, { categories: categories.length }),
        );
        break;
      case 'pearsons_chi_squared_test': {
        const c = chiSquaredTest(r, p);
        metrics.push(
          metricResult(m, c?.pValue, t, below, c ? { statistic: c.statistic, dof: c.dof } : undefined),
        );
        break;
      }
      case 'chebyshev_distance':
        metrics.push(metricResult(m, chebyshevDistance(r, p), t, below));
        break;
      default:
        metrics.push(metricResult(m, undefined, t, below));
        findings.push({
          severity: 'warning',
          feature: name,
          message: `${name}: ${m} does not apply to a categorical feature`,
        });
    }
  }
  const shown = categories.slice(0, MAX_CHART_CATEGORIES);
  const chart: Chart = {
    kind: 'categories',
    categories: shown,
    reference: shown.map((c) => (refCounts.get(c) ?? 0) / tr),
    production: shown.map((c) => (prodCounts.get(c) ?? 0) / tp),
  };
  if (categories.length > shown.length) {
    chart.categories.push(`(other ${categories.length - shown.length})`);
    chart.reference.push(1 - chart.reference.reduce((a, b) => a + b, 0));
    chart.production.push(1 - chart.production.reduce((a, b) => a + b, 0));
  }
  return { metrics, chart };
}

function preview(list: readonly string[]): string {
  const head = list.slice(0, 5).map((c) => JSON.stringify(c));
  return list.length > 5 ? `${head.join(', ')}, …` : head.join(', ');
}
