import { z } from 'zod';
import { InvalidEnvError, InvalidOptionError } from '../errors.js';

/** The longest delay setTimeout honours; a larger one fires at once (Node clamps it to 1 ms). */
export const MAX_TIMER_MS = 2_147_483_647;

/** One numeric setting: where it comes from (option, then environment variable, then default) and its check. */
export interface NumberSetting {
  /** The environment variable read when the option is not given. */
  readonly env: string;
  readonly default: number;
  readonly min: number;
  readonly max?: number;
  readonly integer?: boolean;
}

/** The runtime's settings, by option name (see {@link RuntimeOptions} for what each does). */
export const RUNTIME_SETTINGS = {
  samplingRate: { env: 'MDC_SAMPLING_RATE', default: 1, min: 0, max: 1 },
  largePayloadBytes: { env: 'MDC_LARGE_PAYLOAD_BYTES', default: 4 * 1024 * 1024, min: 1, integer: true },
  mergeWindowMs: { env: 'MDC_MERGE_WINDOW_MS', default: 0, min: 0, max: MAX_TIMER_MS },
  maxQueueEvents: { env: 'MDC_MAX_QUEUE_EVENTS', default: 100_000, min: 1, integer: true },
  maxQueueBytes: { env: 'MDC_MAX_QUEUE_BYTES', default: 64 * 1024 * 1024, min: 1024, integer: true },
  maxBatchBytes: { env: 'MDC_MAX_BATCH_BYTES', default: 1024 * 1024, min: 1, integer: true },
  flushIntervalMs: { env: 'MDC_FLUSH_INTERVAL_MS', default: 1000, min: 0, max: MAX_TIMER_MS },
  maxTries: { env: 'MDC_MAX_TRIES', default: 5, min: 1, integer: true },
  retryDelayMs: { env: 'MDC_RETRY_DELAY_MS', default: 100, min: 0, max: MAX_TIMER_MS },
  maxRetryDelayMs: { env: 'MDC_MAX_RETRY_DELAY_MS', default: 5000, min: 0, max: MAX_TIMER_MS },
  writeTimeoutMs: { env: 'MDC_WRITE_TIMEOUT_MS', default: 30_000, min: 1, max: MAX_TIMER_MS },
} as const satisfies Record<string, NumberSetting>;

/** A cloud datastore's spool settings, by their `workspace.yml` key or option name. */
export const SPOOL_SETTINGS = {
  max_spool_bytes: { env: 'MDC_MAX_SPOOL_BYTES', default: 1024 * 1024 * 1024, min: 1024, integer: true },
  upload_interval_ms: { env: 'MDC_UPLOAD_INTERVAL_MS', default: 5000, min: 0, max: 3_600_000 },
  retryDelayMs: { env: 'MDC_UPLOAD_RETRY_DELAY_MS', default: 1000, min: 0, max: MAX_TIMER_MS },
  maxRetryDelayMs: { env: 'MDC_UPLOAD_MAX_RETRY_DELAY_MS', default: 30_000, min: 0, max: MAX_TIMER_MS },
  closeTimeoutMs: { env: 'MDC_SPOOL_CLOSE_TIMEOUT_MS', default: 5000, min: 0, max: MAX_TIMER_MS },
} as const satisfies Record<string, NumberSetting>;

const schemas = new WeakMap<NumberSetting, z.ZodType<number>>();

function schemaOf(s: NumberSetting): z.ZodType<number> {
  let schema = schemas.get(s);
  if (!schema) {
    let n = z.number().finite().gte(s.min);
    if (s.max !== undefined) n = n.lte(s.max);
    if (s.integer) n = n.int();
    schema = n;
    schemas.set(s, schema);
  }
  return schema;
}

function describe(s: NumberSetting): string {
  return `${s.integer ? 'an integer' : 'a number'} >= ${s.min}${s.max === undefined ? '' : ` and <= ${s.max}`}`;
}

/**
 * Resolves every setting of a table in layers: the given value, then the environment variable, then the
 * default. A bad value in either place fails fast naming the option or the variable.
 */
export function resolveSettings<K extends string>(
  table: Readonly<Record<K, NumberSetting>>,
  given: { readonly [P in NoInfer<K>]?: unknown },
  env: NodeJS.ProcessEnv = process.env,
): Record<K, number> {
  const out = {} as Record<K, number>;
  for (const name of Object.keys(table) as K[]) {
    const s = table[name];
    const schema = schemaOf(s);
    const value = given[name];
    if (value !== undefined) {
      const r = schema.safeParse(value);
      if (!r.success)
        throw new InvalidOptionError(`option ${name} must be ${describe(s)}; got ${JSON.stringify(value)}`);
      out[name] = r.data;
      continue;
    }
    const raw = env[s.env];
    if (raw !== undefined && raw !== '') {
      const r = schema.safeParse(Number(raw));
      if (!r.success) throw new InvalidEnvError(s.env, `must be ${describe(s)}; got "${raw}"`);
      out[name] = r.data;
      continue;
    }
    out[name] = s.default;
  }
  return out;
}
