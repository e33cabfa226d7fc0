import type { Dispatcher } from 'undici';
import { isObject } from './rows.js';

/** Column names per tensor from a model's metadata: `parameters.feature_names` of its inputs and outputs. */
export interface TensorNames {
  readonly inputs: ReadonlyMap<string, readonly string[]>;
  readonly outputs: ReadonlyMap<string, readonly string[]>;
}

const NONE: TensorNames = { inputs: new Map(), outputs: new Map() };

export interface OipMetadataOptions {
  /** The model server (the proxy's pool). */
  readonly upstream: Dispatcher;
  /** The target URL's path prefix, prepended to `/v2/models/…`. */
  readonly basePath: string;
  /** Longest wait for a metadata answer. @default 2000 */
  readonly timeoutMs?: number;
  /** After a failed metadata request, the model is asked again after this long. @default 60000 */
  readonly retryAfterMs?: number;
  /** Called once per failed metadata request (counted on the metrics). */
  readonly onFailure: (err: Error) => void;
}

/**
 * Asks `GET /v2/models/{name}[/versions/{v}]` once per model and keeps the answer: the proxy never asks per
 * request. A failure (timeout, non-200, not the protocol's shape) is reported, gives no names (so columns are
 * `<tensor>_<i>`) and is retried only after `retryAfterMs`.
 */
export class OipMetadataCache {
  /** By model name, then version (undefined for none). */
  private readonly entries = new Map<string, Map<string | undefined, MetadataEntry>>();

  constructor(private readonly options: OipMetadataOptions) {}

  names(model: { name: string; version?: string }, authorization?: string): Promise<TensorNames> {
    let versions = this.entries.get(model.name);
    const cached = versions?.get(model.version);
    if (cached && cached.expires > Date.now()) return cached.names;
    const entry: MetadataEntry = { names: NO_NAMES, expires: Number.POSITIVE_INFINITY, known: undefined };
    if (versions === undefined) {
      versions = new Map();
      this.entries.set(model.name, versions);
    }
    versions.set(model.version, entry);
    entry.names = this.fetch(metadataPath(model), authorization, entry);
    return entry.names;
  }

  /**
   * The names when the model's metadata has been asked and answered (and is not due to be asked again), so
   * an exchange needs no promise; undefined when {@link names} must be asked.
   */
  known(model: { name: string; version?: string }): TensorNames | undefined {
    const cached = this.entries.get(model.name)?.get(model.version);
    if (cached === undefined) return undefined;
    // Answers stand for good (expires is Infinity); only a failure is asked again after a while.
    return cached.expires === Number.POSITIVE_INFINITY || cached.expires > Date.now()
      ? cached.known
      : undefined;
  }

  private async fetch(
    path: string,
    authorization: string | undefined,
    entry: MetadataEntry,
  ): Promise<TensorNames> {
    const { upstream, basePath, timeoutMs = 2000, retryAfterMs = 60_000 } = this.options;
    try {
      const res = await upstream.request({
        method: 'GET',
        path: basePath + path,
        headers: authorization
          ? { accept: 'application/json', authorization }
          : { accept: 'application/json' },
        signal: AbortSignal.timeout(timeoutMs),
      });
      const text = await res.body.text();
      if (res.statusCode !== 200) throw new Error(`GET ${path} answered ${res.statusCode}`);
      entry.known = readNames(JSON.parse(text));
    } catch (err) {
      entry.expires = Date.now() + retryAfterMs;
      entry.known = NONE;
      this.options.onFailure(err as Error);
    }
    return entry.known;
  }
}

interface MetadataEntry {
  names: Promise<TensorNames>;
  /** Until then the answer (or the failure) stands. */
  expires: number;
  /** The answer once it came (no names after a failure). */
  known: TensorNames | undefined;
}

const NO_NAMES: Promise<TensorNames> = Promise.resolve(NONE);

function metadataPath(model: { name: string; version?: string }): string {
  return model.version === undefined
    ? `/v2/models/${model.name}`
    : `/v2/models/${model.name}/versions/${model.version}`;
}

function readNames(metadata: unknown): TensorNames {
  if (!isObject(metadata)) throw new Error('the model metadata is not a JSON object');
  const side = (list: unknown) => {
    const names = new Map<string, readonly string[]>();
    if (!Array.isArray(list)) return names;
    for (const t of list) {
      if (!isObject(t) || typeof t.name !== 'string' || !isObject(t.parameters)) continue;
      const f = t.parameters.feature_names;
      if (Array.isArray(f) && f.every((x) => typeof x === 'string')) names.set(t.name, f);
    }
    return names;
  };
  return { inputs: side(metadata.inputs), outputs: side(metadata.outputs) };
}
