import type { MetricName, SignalType } from './config.js';

/** pass/fail against the threshold; `no_data` when it could not be computed; `info` when no threshold was set. */
export type MetricStatus = 'pass' | 'fail' | 'no_data' | 'info';

export interface MetricResult {
  readonly metric: MetricName;
  /** null when the metric could not be computed (see the findings). Never NaN. */
  readonly value: number | null;
  readonly threshold: number | null;
  /** The alert fires when the value is above (distances, rates) or below (p-values, accuracy) the threshold. */
  readonly alertWhen: 'above' | 'below';
  readonly status: MetricStatus;
  /** Extra figures: the test statistic of a p-value, degrees of freedom, the KS method … */
  readonly detail?: Readonly<Record<string, number | string>>;
}

export interface Finding {
  readonly severity: 'info' | 'warning' | 'error';
  readonly feature?: string;
  readonly message: string;
}

/** Shares per bin (numerical) or per category, for the report's charts. */
export type Chart =
  | {
      readonly kind: 'histogram';
      readonly edges: number[];
      readonly reference: number[];
      readonly production: number[];
    }
  | {
      readonly kind: 'categories';
      readonly categories: string[];
      readonly reference: number[];
      readonly production: number[];
    };

export interface FeatureResult {
  readonly feature: string;
  readonly featureType: 'numerical' | 'categorical';
  /** Rows in each window, and how many had a usable value. */
  readonly rows: { readonly production: number; readonly reference: number };
  readonly values: { readonly production: number; readonly reference: number };
  readonly metrics: MetricResult[];
  readonly status: 'pass' | 'fail' | 'no_data';
  readonly chart?: Chart;
}

export interface WindowInfo {
  readonly source: string;
  readonly since?: string;
  readonly until?: string;
  readonly rows: number;
}

export interface SignalResult {
  readonly name: string;
  readonly type: SignalType;
  /** fail: a threshold was breached; incomplete: nothing breached but some metric had no data. */
  readonly status: 'pass' | 'fail' | 'incomplete';
  readonly production: WindowInfo;
  readonly reference: WindowInfo;
  readonly features: FeatureResult[];
  /** Signal-level metrics (model performance). */
  readonly metrics: MetricResult[];
  readonly findings: Finding[];
}

export interface MonitorResult {
  readonly monitor: string;
  readonly runAt: string;
  readonly status: 'pass' | 'fail' | 'incomplete';
  readonly signals: SignalResult[];
  /** How the numbers were computed, so they can be compared with other tools. */
  readonly method: Readonly<Record<string, string>>;
}

export const METHOD_NOTES = {
  jensen_shannon_distance:
    'sqrt of the Jensen-Shannon divergence with log base 2 (range 0..1), over Sturges bins (numerical) or categories',
  population_stability_index:
    'sum (q - p) ln(q / p) over bins or categories, natural log, after adding 1 to every count',
  normalized_wasserstein_distance:
    'W1 over the raw values divided by max(population std of the reference, 0.001)',
  two_sample_kolmogorov_smirnov_test:
    "p-value of scipy.stats.ks_2samp(method='auto'): exact when both samples have <= 10,000 values, else asymptotic",
  pearsons_chi_squared_test:
    'p-value of scipy.stats.chi2_contingency on the 2 x k category table, no Yates correction',
  chebyshev_distance: 'max |p_i - q_i| over category shares',
  binning:
    'numpy.histogram_bin_edges(bins="sturges") over the combined reference and production values, unless binning sets a count',
  categories:
    'the union of both windows; a category seen in one window counts 0 in the other (0 log 0 = 0 for JS, +1 smoothing for PSI)',
  rates: 'null, data-type-error and out-of-bounds rates are shares of the production rows',
} as const;

export function metricResult(
  metric: MetricName,
  value: number | undefined,
  threshold: number | undefined,
  alertBelow: boolean,
  detail?: Record<string, number | string>,
): MetricResult {
  const alertWhen = alertBelow ? 'below' : 'above';
  const v = value === undefined || !Number.isFinite(value) ? null : value;
  const status: MetricStatus =
    v === null
      ? 'no_data'
      : threshold === undefined
        ? 'info'
        : (alertBelow ? v < threshold : v > threshold)
          ? 'fail'
          : 'pass';
  return { metric, value: v, threshold: threshold ?? null, alertWhen, status, ...(detail ? { detail } : {}) };
}

export function rollUp(statuses: readonly string[]): 'pass' | 'fail' | 'incomplete' {
  if (statuses.includes('fail')) return 'fail';
  if (statuses.includes('no_data') || statuses.includes('incomplete')) return 'incomplete';
  return 'pass';
}
