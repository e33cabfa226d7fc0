import { dirname, resolve } from 'node:path';
import { z } from 'zod';
import { DEPLOYMENT_KEYS } from './deployment-keys.js';
import { TooManyCollectionsError } from './errors.js';
import { isPathSegment, parseRollingRate, type RollingRate } from './layout.js';
import { type RedactRule, redactRulesSchema, resolveRedactRules } from './redact/rules.js';
import { readYamlFile, validateKeys } from './yaml-file.js';

/** The two collections that payload logging fills; they do not count toward the custom-collection limit. */
export const PAYLOAD_COLLECTIONS = ['request', 'response'] as const;
/** At most this many custom collections per deployment, as in the reference. */
export const MAX_CUSTOM_COLLECTIONS = 5;
export const DEFAULT_ENDPOINT = 'local-endpoint';
export const DEFAULT_DEPLOYMENT = 'local';

/** `'True'`, `'False'` (any case) or a YAML boolean. */
const yamlBool = z.union(
  [
    z.boolean(),
    z
      .string()
      .refine((s) => /^(true|false)$/i.test(s), { message: "expected 'True' or 'False'" })
      .transform((s) => s.toLowerCase() === 'true'),
  ],
  { error: (iss) => `expected 'True', 'False' or a boolean; got ${JSON.stringify(iss.input)}` },
);

/** A name that becomes a folder of the data path or the asset registry. */
const pathSegment = z
  .string()
  .min(1)
  .refine(isPathSegment, 'must be one path segment: no / \\ or control character, not . or ..');

/**
 * `destinations`: where copies of a collection's events go besides its `data.path` (an mdc extension), each an
 * `azureml://datastores/<name>/paths/<path>` URI; whether the datastore exists is checked when the runtime starts.
 */
const destinationsSchema = z.array(
  z
    .string({
      error: (iss) =>
        `expected an azureml://datastores/<name>/paths/<path> URI; got ${JSON.stringify(iss.input)}`,
    })
    .regex(
      /^azureml:\/\/(?:subscriptions\/.+\/)?datastores\/[A-Za-z0-9_-]+\/paths(?:\/.*)?$/,
      'expected an azureml://datastores/<name>/paths/<path> URI',
    ),
  {
    error: (iss) =>
      `expected a list of azureml://datastores/<name>/paths/<path> URIs; got ${JSON.stringify(iss.input)}`,
  },
);

const collectionSchema = z.looseObject({
  enabled: yamlBool.default(false),
  destinations: destinationsSchema.optional(),
  data: z
    .looseObject({
      name: pathSegment.optional(),
      path: z.string().min(1).optional(),
      version: z.union([z.number(), pathSegment]).optional(),
    })
    .optional(),
});

const rollingRateSchema = z
  .string({
    error: (iss) => `expected one of Minute, Hour, Day, Month, Year; got ${JSON.stringify(iss.input)}`,
  })
  .transform((s, ctx) => {
    const rate = parseRollingRate(s);
    if (!rate) {
      ctx.addIssue({ code: 'custom', message: `expected one of Minute, Hour, Day, Month, Year; got "${s}"` });
      return z.NEVER;
    }
    return rate;
  });

const samplingRateMessage = (iss: { input?: unknown }) =>
  `expected a number from 0 to 1; got ${JSON.stringify(iss.input)}`;
const samplingRateSchema = z
  .union(
    [
      z.number(),
      z
        .string()
        .regex(/^\s*[0-9.eE+-]+\s*$/)
        .transform(Number),
    ],
    { error: samplingRateMessage },
  )
  .pipe(z.number().min(0).max(1));

export const dataCollectorSchema = z.looseObject({
  collections: z
    .record(
      z
        .string()
        .regex(/^[A-Za-z0-9_.-]+$/, 'collection names use A-Z a-z 0-9 _ . -')
        .refine(isPathSegment, 'a collection name cannot be . or ..'),
      collectionSchema,
    )
    .default({}),
  rolling_rate: rollingRateSchema.optional(),
  sampling_rate: samplingRateSchema.optional(),
  redact: redactRulesSchema.optional(),
  retention_days: z.number().int().min(1).optional(),
  destinations: destinationsSchema.optional(),
});

/**
 * The online-deployment YAML (the reference's schema): the types of the keys mdc uses. Which keys exist at all is
 * `DEPLOYMENT_KEYS` (deployment-keys.ts); unknown ones are refused before this schema runs.
 */
export const deploymentSchema = z.looseObject({
  $schema: z.string().optional(),
  name: pathSegment.optional(),
  endpoint_name: pathSegment.optional(),
  model: z
    .union([
      z.string(),
      z.looseObject({
        path: z.string().optional(),
        name: z.string().optional(),
        version: z.union([z.string(), z.number()]).optional(),
      }),
    ])
    .optional(),
  code_configuration: z.looseObject({ code: z.string().optional(), scoring_script: z.string() }).optional(),
  environment: z.unknown().optional(),
  instance_type: z.string().optional(),
  instance_count: z.number().int().min(1).max(64).optional(),
  data_collector: dataCollectorSchema.optional(),
});

export type DeploymentYaml = z.output<typeof deploymentSchema>;

export interface CollectionConfig {
  readonly enabled: boolean;
  readonly dataName?: string;
  readonly dataPath?: string;
  readonly dataVersion?: string;
  /**
   * Where copies of the collection's events go besides {@link dataPath}: `data_collector.destinations` followed by
   * the collection's own `destinations`, without repeats.
   */
  readonly destinations?: readonly string[];
}

/** A deployment YAML, validated and resolved. */
export interface DeploymentConfig {
  /** The file it came from, if any; relative paths in it are relative to {@link dir}. */
  readonly file?: string;
  readonly dir: string;
  readonly endpoint: string;
  readonly deployment: string;
  /** Written as `modelversion`: the version of an `azureml:name:version` model, else `default`. */
  readonly modelVersion: string;
  /** Undefined when the YAML has no `data_collector` (then every collection is enabled). */
  readonly collections?: ReadonlyMap<string, CollectionConfig>;
  readonly rollingRate?: RollingRate;
  readonly samplingRate?: number;
  /** `data_collector.redact`: applied to every event before it is queued (see docs/data-protection.md). */
  readonly redact?: readonly RedactRule[];
  /** `data_collector.retention_days`: time partitions older than this are deleted by `mdc retention apply`. */
  readonly retentionDays?: number;
  /** `data_collector.destinations`: copies of every collection's events (see {@link CollectionConfig.destinations}). */
  readonly destinations?: readonly string[];
  /**
   * Key paths in the file that mdc accepts but does not act on locally (Azure's `instance_type`, `environment` …,
   * and top-level keys in no schema we know), in file order.
   */
  readonly notUsedLocally: readonly string[];
  /** The top-level keys of {@link notUsedLocally} that are not Azure deployment keys either. */
  readonly notInAzureSchema: readonly string[];
  readonly yaml: DeploymentYaml;
}

/**
 * Loads and validates a deployment YAML file; throws MDC_CONFIG_NOT_FOUND, MDC_INVALID_YAML, MDC_UNKNOWN_KEY or
 * MDC_INVALID_CONFIG.
 */
export function loadDeploymentFile(file: string, from = 'the deployment file'): DeploymentConfig {
  const abs = resolve(file);
  return resolveDeployment(readYamlFile(abs, from), abs);
}

/** Validates an already-parsed deployment object. */
export function resolveDeployment(value: unknown, file?: string): DeploymentConfig {
  // A top-level key far from every known one is someone's own (reported); a close one is a typo (refused).
  const { data: yaml, keys } = validateKeys(deploymentSchema, value, file, DEPLOYMENT_KEYS, {
    allowForeignTopLevel: true,
  });
  const dc = yaml.data_collector;
  let collections: Map<string, CollectionConfig> | undefined;
  if (dc) {
    collections = new Map();
    for (const [name, c] of Object.entries(dc.collections)) {
      const destinations = mergeDestinations(dc.destinations, c.destinations);
      collections.set(name, {
        enabled: c.enabled,
        ...(destinations ? { destinations } : {}),
        dataName: c.data?.name,
        dataPath: c.data?.path,
        dataVersion: c.data?.version === undefined ? undefined : String(c.data.version),
      });
    }
    checkCollectionCount([...collections.keys()]);
  }
  return {
    file,
    dir: file ? dirname(file) : process.cwd(),
    endpoint: yaml.endpoint_name ?? DEFAULT_ENDPOINT,
    deployment: yaml.name ?? DEFAULT_DEPLOYMENT,
    modelVersion: modelVersionOf(yaml.model),
    collections,
    rollingRate: dc?.rolling_rate,
    samplingRate: dc?.sampling_rate,
    redact: dc?.redact ? resolveRedactRules(dc.redact) : undefined,
    retentionDays: dc?.retention_days,
    ...(dc?.destinations ? { destinations: dc.destinations } : {}),
    notUsedLocally: keys.notUsedLocally,
    notInAzureSchema: keys.foreign,
    yaml,
  };
}

function mergeDestinations(
  all: readonly string[] | undefined,
  own: readonly string[] | undefined,
): readonly string[] | undefined {
  if (!all?.length && !own?.length) return undefined;
  return [...new Set([...(all ?? []), ...(own ?? [])])];
}

export function checkCollectionCount(names: readonly string[]): void {
  const custom = names.filter((n) => !(PAYLOAD_COLLECTIONS as readonly string[]).includes(n));
  if (custom.length > MAX_CUSTOM_COLLECTIONS)
    throw new TooManyCollectionsError(custom, MAX_CUSTOM_COLLECTIONS);
}

function modelVersionOf(model: DeploymentYaml['model']): string {
  if (typeof model === 'string') {
    const m = /^azureml:[^:@]+(?::([^@]+)|@(.+))$/.exec(model);
    return m?.[1] ?? 'default';
  }
  if (model?.version !== undefined) return String(model.version);
  return 'default';
}
