import { basename, dirname, extname, resolve } from 'node:path';
import { readYamlFile, validate } from 'model-data-collector/internal';
import { z } from 'zod';
import type { FeatureType } from './columns.js';
import { parseDurationMs } from './duration.js';
import type { Binning } from './stats/histogram.js';

export const SIGNAL_TYPES = ['data_drift', 'prediction_drift', 'data_quality', 'model_performance'] as const;
export type SignalType = (typeof SIGNAL_TYPES)[number];

export const DRIFT_METRICS = {
  numerical: [
    'jensen_shannon_distance',
    'normalized_wasserstein_distance',
    'population_stability_index',
    'two_sample_kolmogorov_smirnov_test',
  ],
  categorical: [
    'jensen_shannon_distance',
    'population_stability_index',
    'pearsons_chi_squared_test',
    'chebyshev_distance',
  ],
} as const;
export const QUALITY_METRICS = ['null_value_rate', 'data_type_error_rate', 'out_of_bounds_rate'] as const;
export const PERFORMANCE_METRICS = {
  classification: ['accuracy', 'precision', 'recall'],
  regression: ['mae', 'mse', 'rmse'],
} as const;

export type DriftMetric =
  | (typeof DRIFT_METRICS.numerical)[number]
  | (typeof DRIFT_METRICS.categorical)[number];
export type QualityMetric = (typeof QUALITY_METRICS)[number];
export type PerformanceMetric =
  | (typeof PERFORMANCE_METRICS.classification)[number]
  | (typeof PERFORMANCE_METRICS.regression)[number];
export type MetricName = DriftMetric | QualityMetric | PerformanceMetric;

/** Metrics that alert when the value falls *below* the threshold (p-values, accuracy-type); all others alert above. */
export const ALERT_BELOW: ReadonlySet<MetricName> = new Set<MetricName>([
  'two_sample_kolmogorov_smirnov_test',
  'pearsons_chi_squared_test',
  'accuracy',
  'precision',
  'recall',
]);

/** Defaults when a signal gives no thresholds for a feature type (Azure's documented defaults). */
export const DEFAULT_THRESHOLDS = {
  drift: {
    numerical: { normalized_wasserstein_distance: 0.1 },
    categorical: { jensen_shannon_distance: 0.1 },
  },
  data_quality: {
    numerical: { null_value_rate: 0, data_type_error_rate: 0, out_of_bounds_rate: 0 },
    categorical: { null_value_rate: 0, data_type_error_rate: 0, out_of_bounds_rate: 0 },
  },
} as const;

/** The threshold a metric gets when it is asked for by name with no value (e.g. `mdc monitor drift --metrics`). */
export const METRIC_DEFAULT_THRESHOLDS: Readonly<Record<DriftMetric | QualityMetric, number>> = {
  jensen_shannon_distance: 0.1,
  normalized_wasserstein_distance: 0.1,
  population_stability_index: 0.2,
  two_sample_kolmogorov_smirnov_test: 0.05,
  pearsons_chi_squared_test: 0.05,
  chebyshev_distance: 0.1,
  null_value_rate: 0,
  data_type_error_rate: 0,
  out_of_bounds_rate: 0,
};

/** A time window of a collection: [now − offset − size, now − offset). */
export interface DataWindow {
  readonly sizeMs: number;
  readonly offsetMs: number;
  readonly size: string;
  readonly offset: string;
}

/** Where a signal reads rows: a collection (or data asset) over a window, or a file. */
export type DataRef =
  | {
      readonly kind: 'collection';
      readonly collection: string;
      readonly endpoint?: string;
      readonly deployment?: string;
      readonly window?: DataWindow;
    }
  | { readonly kind: 'file'; readonly path: string };

export type Thresholds = Readonly<Partial<Record<MetricName, number>>>;

export interface SignalConfig {
  readonly name: string;
  readonly type: SignalType;
  readonly production: DataRef;
  readonly reference: DataRef;
  /** Column of the reference that is the label: never a feature. */
  readonly targetColumn?: string;
  /** undefined = every column both windows share. */
  readonly features?: readonly string[];
  readonly topN?: number;
  readonly featureImportance?: Readonly<Record<string, number>>;
  readonly featureTypes: Readonly<Record<string, 'numerical' | 'categorical'>>;
  readonly binning: Binning;
  readonly thresholds: { readonly numerical: Thresholds; readonly categorical: Thresholds };
  /** model_performance */
  readonly mlTask?: 'classification' | 'regression';
  readonly predictionColumn?: string;
  readonly actualColumn?: string;
  readonly productionIdColumn: string;
  readonly referenceIdColumn: string;
  readonly positiveLabel?: string | number | boolean;
  readonly performanceThresholds: Thresholds;
}

export interface MonitorConfig {
  readonly name: string;
  readonly file?: string;
  readonly signals: readonly SignalConfig[];
  /** `schedule` of the YAML, in ms. */
  readonly everyMs?: number;
  readonly webhook?: string;
}

const duration = (what: string) =>
  z
    .string({ error: `expected an ISO 8601 duration such as P7D or PT1H` })
    .refine((s) => parseDurationMs(s) !== undefined, {
      error: (iss) =>
        `${what}: ${JSON.stringify(iss.input)} is not an ISO 8601 duration (e.g. P7D, PT1H; use days instead of years or months)`,
    });

const windowSchema = z.strictObject({
  lookback_window_size: duration('window size'),
  lookback_window_offset: duration('window offset').optional(),
});

const dataSchema = z
  .strictObject({
    collection: z.string().min(1).optional(),
    endpoint: z.string().min(1).optional(),
    deployment: z.string().min(1).optional(),
    path: z.string().min(1).optional(),
    data_window: windowSchema.optional(),
    target_column_name: z.string().min(1).optional(),
    data_column_names: z
      .strictObject({
        prediction: z.string().min(1).optional(),
        actual: z.string().min(1).optional(),
        correlation_id: z.string().min(1).optional(),
      })
      .optional(),
  })
  .refine((d) => (d.collection === undefined) !== (d.path === undefined), {
    error: 'give either collection (collected data, with data_window) or path (a CSV, JSONL or Parquet file)',
  })
  .refine((d) => d.path === undefined || /\.(csv|jsonl|ndjson|json|parquet)$/i.test(d.path), {
    error: 'path must end in .csv, .jsonl, .ndjson, .json or .parquet',
    path: ['path'],
  })
  .refine((d) => d.path === undefined || d.data_window === undefined, {
    error: 'data_window applies to a collection, not to a file',
    path: ['data_window'],
  });

const thresholdValue = z
  .number({ error: 'expected a number' })
  .refine(Number.isFinite, 'expected a finite number');
const metricMap = <const K extends readonly string[]>(keys: K) =>
  z.strictObject(
    Object.fromEntries(keys.map((k) => [k, thresholdValue.optional()])) as Record<
      K[number],
      z.ZodOptional<typeof thresholdValue>
    >,
  );
/** Thresholds of a feature type by metric name; a name the signal type does not compute is an issue at its key. */
const featureThresholds = (type: SignalType, kind: FeatureType, metrics: readonly string[]) =>
  z.record(z.string(), thresholdValue).superRefine((m, ctx) => {
    for (const key of Object.keys(m)) {
      if (!metrics.includes(key))
        ctx.addIssue({
          code: 'custom',
          path: [key],
          message: `not a ${kind} metric of ${type}; expected one of ${metrics.join(', ')}`,
        });
    }
  });

/** The keys every signal type shares. */
const signalKeys = {
  production_data: dataSchema,
  reference_data: dataSchema.optional(),
  features: z
    .union(
      [
        z.literal('all'),
        z.array(z.string().min(1)).min(1),
        z.strictObject({ top_n_feature_importance: z.number().int().positive() }),
      ],
      { error: 'expected all, a list of column names, or {top_n_feature_importance: N}' },
    )
    .optional(),
  feature_importance: z.record(z.string(), z.number()).optional(),
  feature_types: z.record(z.string(), z.enum(['numerical', 'categorical'])).optional(),
  binning: z
    .union([z.literal('sturges'), z.strictObject({ bins: z.number().int().min(1).max(10_000) })], {
      error: 'expected sturges or {bins: N}',
    })
    .optional(),
  ml_task: z.enum(['classification', 'regression']).optional(),
  positive_label: z.union([z.string(), z.number(), z.boolean()]).optional(),
};
type SignalKeys = z.output<z.ZodObject<typeof signalKeys>>;

/** A rule across keys: when `broken` holds, `message` is reported at `path`. */
type Rule = readonly [broken: (s: SignalKeys) => boolean, path: readonly string[], message: string];
const reportBroken = (rules: readonly Rule[]) => (s: SignalKeys, ctx: z.RefinementCtx) => {
  for (const [broken, path, message] of rules)
    if (broken(s)) ctx.addIssue({ code: 'custom', path: [...path], message });
};
const COMMON_RULES: readonly Rule[] = [
  [
    (s) => s.production_data.collection !== undefined && !s.production_data.data_window,
    ['production_data', 'data_window'],
    'a collection needs data_window.lookback_window_size (e.g. P7D)',
  ],
  [
    (s) => typeof s.features === 'object' && !Array.isArray(s.features) && !s.feature_importance,
    ['feature_importance'],
    'top_n_feature_importance needs feature_importance: {column: importance, ...}',
  ],
];

/** data_drift, prediction_drift and data_quality: thresholds per feature type, reference data or a window. */
const featureSignal = <const T extends Exclude<SignalType, 'model_performance'>>(
  type: T,
  metrics: { readonly numerical: readonly string[]; readonly categorical: readonly string[] },
) =>
  z
    .strictObject({
      type: z.literal(type),
      ...signalKeys,
      metric_thresholds: z
        .strictObject({
          numerical: featureThresholds(type, 'numerical', metrics.numerical).optional(),
          categorical: featureThresholds(type, 'categorical', metrics.categorical).optional(),
          classification: z.unknown().optional(),
          regression: z.unknown().optional(),
        })
        .refine((t) => !t.classification && !t.regression, {
          error: 'classification and regression thresholds belong to model_performance signals',
        })
        .optional(),
    })
    .superRefine(
      reportBroken([
        ...COMMON_RULES,
        [
          (s) => !s.reference_data && !s.production_data.collection,
          ['reference_data'],
          'reference_data is required when production_data is a file',
        ],
      ]),
    );

const notPerFeature = (kind: FeatureType) =>
  z
    .never({ error: `model_performance takes classification or regression thresholds, not ${kind}` })
    .optional();

const performanceSignal = z
  .strictObject({
    type: z.literal('model_performance'),
    ...signalKeys,
    metric_thresholds: z
      .strictObject({
        numerical: notPerFeature('numerical'),
        categorical: notPerFeature('categorical'),
        classification: metricMap(PERFORMANCE_METRICS.classification).optional(),
        regression: metricMap(PERFORMANCE_METRICS.regression).optional(),
      })
      .refine((t) => !(t.classification && t.regression), {
        error: 'give classification or regression thresholds, not both',
      })
      .optional(),
  })
  .superRefine(
    reportBroken([
      ...COMMON_RULES,
      [
        (s) => !s.reference_data,
        ['reference_data'],
        'model_performance needs reference_data: the ground truth',
      ],
      [
        (s) => !s.production_data.data_column_names?.prediction,
        ['production_data', 'data_column_names', 'prediction'],
        'name the prediction column of the production data',
      ],
      [
        (s) =>
          s.reference_data !== undefined &&
          !s.reference_data.data_column_names?.actual &&
          !s.reference_data.target_column_name,
        ['reference_data', 'data_column_names', 'actual'],
        'name the ground-truth column (or target_column_name)',
      ],
    ]),
  );

const signalSchema = z.discriminatedUnion(
  'type',
  [
    featureSignal('data_drift', DRIFT_METRICS),
    featureSignal('prediction_drift', DRIFT_METRICS),
    featureSignal('data_quality', { numerical: QUALITY_METRICS, categorical: QUALITY_METRICS }),
    performanceSignal,
  ],
  {
    error: (iss) =>
      iss.code === 'invalid_union'
        ? `expected one of ${SIGNAL_TYPES.join(', ')}; got ${JSON.stringify((iss.input as { type?: unknown }).type)}`
        : undefined,
  },
);

const monitorSchema = z.strictObject({
  $schema: z.string().optional(),
  name: z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'letters, digits, ".", "_" and "-" only')
    .optional(),
  description: z.string().optional(),
  monitoring_target: z
    .strictObject({
      endpoint: z.string().min(1).optional(),
      deployment: z.string().min(1).optional(),
      ml_task: z.enum(['classification', 'regression']).optional(),
    })
    .optional(),
  schedule: duration('schedule').optional(),
  alert_notification: z.strictObject({ webhook: z.url({ protocol: /^https?$/ }).optional() }).optional(),
  monitoring_signals: z
    .record(
      z
        .string()
        .regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'signal names use letters, digits, ".", "_" and "-" only'),
      signalSchema,
      { error: 'expected a map of signal name to signal' },
    )
    .refine((m) => Object.keys(m).length > 0, 'define at least one signal'),
});

type SignalYaml = z.output<typeof signalSchema>;
type DataYaml = z.output<typeof dataSchema>;

function toWindow(w: {
  lookback_window_size: string;
  lookback_window_offset?: string | undefined;
}): DataWindow {
  return {
    size: w.lookback_window_size,
    offset: w.lookback_window_offset ?? 'P0D',
    sizeMs: parseDurationMs(w.lookback_window_size)!,
    offsetMs: parseDurationMs(w.lookback_window_offset ?? 'P0D')!,
  };
}

function toRef(d: DataYaml, baseDir: string, target: { endpoint?: string; deployment?: string }): DataRef {
  if (d.path) return { kind: 'file', path: resolve(baseDir, d.path) };
  const endpoint = d.endpoint ?? target.endpoint;
  const deployment = d.deployment ?? target.deployment;
  return {
    kind: 'collection',
    collection: d.collection!,
    ...(endpoint ? { endpoint } : {}),
    ...(deployment ? { deployment } : {}),
    ...(d.data_window ? { window: toWindow(d.data_window) } : {}),
  };
}

/** The reference of a drift signal without reference_data: the same collection, an earlier window twice as far back. */
export function defaultReference(production: DataRef): DataRef {
  if (production.kind !== 'collection' || !production.window) return production;
  const w = production.window;
  const offsetMs = w.offsetMs + 2 * w.sizeMs;
  return { ...production, window: { ...w, offsetMs, offset: `PT${offsetMs / 1000}S` } };
}

function toSignal(
  name: string,
  s: SignalYaml,
  baseDir: string,
  target: NonNullable<z.output<typeof monitorSchema>['monitoring_target']>,
): SignalConfig {
  const production = toRef(s.production_data, baseDir, target);
  const reference = s.reference_data
    ? toRef(s.reference_data, baseDir, target)
    : defaultReference(production);
  const isDrift = s.type === 'data_drift' || s.type === 'prediction_drift';
  const defaults = s.type === 'data_quality' ? DEFAULT_THRESHOLDS.data_quality : DEFAULT_THRESHOLDS.drift;
  const performance = s.type === 'model_performance' ? s.metric_thresholds : undefined;
  const mlTask = s.ml_task ?? target.ml_task ?? (performance?.regression ? 'regression' : 'classification');
  const features = s.features;
  return {
    name,
    type: s.type,
    production,
    reference,
    ...(s.reference_data?.target_column_name ? { targetColumn: s.reference_data.target_column_name } : {}),
    ...(Array.isArray(features) ? { features } : {}),
    ...(typeof features === 'object' && !Array.isArray(features)
      ? { topN: features.top_n_feature_importance }
      : {}),
    ...(s.feature_importance ? { featureImportance: s.feature_importance } : {}),
    featureTypes: s.feature_types ?? {},
    binning:
      s.binning === undefined || s.binning === 'sturges'
        ? { method: 'sturges' }
        : { method: 'fixed', bins: s.binning.bins },
    thresholds:
      isDrift || s.type === 'data_quality'
        ? {
            numerical: (s.metric_thresholds?.numerical as Thresholds | undefined) ?? defaults.numerical,
            categorical: (s.metric_thresholds?.categorical as Thresholds | undefined) ?? defaults.categorical,
          }
        : { numerical: {}, categorical: {} },
    ...(s.type === 'model_performance' ? { mlTask } : {}),
    ...(s.production_data.data_column_names?.prediction
      ? { predictionColumn: s.production_data.data_column_names.prediction }
      : {}),
    ...(s.reference_data?.data_column_names?.actual || s.reference_data?.target_column_name
      ? { actualColumn: s.reference_data.data_column_names?.actual ?? s.reference_data.target_column_name }
      : {}),
    productionIdColumn: s.production_data.data_column_names?.correlation_id ?? 'id',
    referenceIdColumn: s.reference_data?.data_column_names?.correlation_id ?? 'correlationid',
    ...(s.positive_label !== undefined ? { positiveLabel: s.positive_label } : {}),
    performanceThresholds:
      (mlTask === 'regression' ? performance?.regression : performance?.classification) ?? {},
  };
}

/** Validates a parsed monitor definition; every problem is reported with its YAML key path. */
export function resolveMonitor(value: unknown, file?: string): MonitorConfig {
  const y = validate(monitorSchema, value, file);
  const baseDir = file ? dirname(file) : process.cwd();
  const target = y.monitoring_target ?? {};
  const signals = Object.entries(y.monitoring_signals).map(([name, s]) => toSignal(name, s, baseDir, target));
  const name = y.name ?? (file ? basename(file, extname(file)) : 'monitor');
  return Object.freeze({
    name,
    ...(file ? { file } : {}),
    signals,
    ...(y.schedule ? { everyMs: parseDurationMs(y.schedule)! } : {}),
    ...(y.alert_notification?.webhook ? { webhook: y.alert_notification.webhook } : {}),
  });
}

/** Reads, parses and validates a monitor YAML file (no data is read). */
export function loadMonitorFile(file: string, from = '--file'): MonitorConfig {
  const abs = resolve(file);
  return resolveMonitor(readYamlFile(abs, from), abs);
}
