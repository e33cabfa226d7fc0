import { randomUUID } from 'node:crypto';
import { isAbsolute, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { BatchQueue, type RawItem } from './batch-queue.js';
import type { CorrelationContext } from './context.js';
import { defaultAssetName, registerDataAsset } from './data-assets.js';
import {
  type CollectionConfig,
  checkCollectionCount,
  DEFAULT_DEPLOYMENT,
  DEFAULT_ENDPOINT,
  type DeploymentConfig,
  loadDeploymentFile,
  PAYLOAD_COLLECTIONS,
} from './deployment-config.js';
import { CollectorClosedError, InvalidOptionError, type MdcError } from './errors.js';
import { EventEncoder, type EventFields, eventSource, eventTime } from './event.js';
import {
  azuremlUri,
  DEFAULT_BASE_URI,
  isAzuremlUri,
  joinPath,
  nextPeriodStart,
  parseAzuremlUri,
  parseRollingRate,
  periodStart,
  ROLLING_RATES,
  type RollingRate,
  rolledFolder,
} from './layout.js';
import { LocalFileSink } from './local-file-sink.js';
import { resolveNumber } from './options.js';
import { isSampled } from './sampling.js';
import type { Sink } from './sink.js';
import {
  type CloudDatastoreOptions,
  isS3Uri,
  openCloudDatastore,
  resolveS3Uri,
} from './spool/cloud-datastore.js';
import { type CollectionStats, emptyStats, type RuntimeStats } from './stats.js';
import { getDatastore, localDatastoreRoot, openWorkspace, type Workspace } from './workspace.js';

export interface RuntimeOptions {
  /** Workspace folder (or an opened workspace). @default `MDC_WORKSPACE`, else `./mdc-workspace` */
  readonly workspace?: string | Workspace;
  /** Deployment YAML path, or a loaded deployment. @default `MDC_DEPLOYMENT_FILE`, else none (all collections on) */
  readonly deployment?: string | DeploymentConfig;
  /** Override the YAML's `endpoint_name`. @default `local-endpoint` */
  readonly endpoint?: string;
  /** Override the YAML's `name`. @default `local` */
  readonly deploymentName?: string;
  /** Override `modelversion`. @default from the YAML's model, else `default` */
  readonly modelVersion?: string;
  /** @default the YAML's `rolling_rate`, else `Hour` */
  readonly rollingRate?: RollingRate;
  /** Fraction of correlation ids kept, 0..1. @default the YAML's `sampling_rate`, else 1 */
  readonly samplingRate?: number;
  /** File name of this process's files. @default `MDC_INSTANCE_ID`, else a random UUID */
  readonly instanceId?: string;
  /** Milliseconds since the epoch; inject for tests. @default Date.now */
  readonly clock?: () => number;
  /** @default 100000 (`MDC_MAX_QUEUE_EVENTS`) */
  readonly maxQueueEvents?: number;
  /** @default 67108864, 64 MiB (`MDC_MAX_QUEUE_BYTES`) */
  readonly maxQueueBytes?: number;
  /** @default 1048576, 1 MiB */
  readonly maxBatchBytes?: number;
  /** @default 1000 (`MDC_FLUSH_INTERVAL_MS`) */
  readonly flushIntervalMs?: number;
  /** Serialized data larger than this is stored in its own file (`datainblob`). @default 4194304 (4 MiB) */
  readonly largePayloadBytes?: number;
  /** When > 0, calls of one collection within this window merge into one event. @default 0 (off) */
  readonly mergeWindowMs?: number;
  /** @default 5 */
  readonly maxTries?: number;
  /** @default 100 */
  readonly retryDelayMs?: number;
  /** @default 5000 */
  readonly maxRetryDelayMs?: number;
  /** Flush on process exit, SIGTERM and SIGINT. @default true */
  readonly handleProcessExit?: boolean;
  /** Background errors (failed writes, dropped events) of collections whose Collector has no onError. */
  readonly onError?: (err: Error) => void;
  /** Write here instead of the datastore the configuration names (tests, embedding). */
  readonly sink?: Sink;
}

/** Where one collection's files go. */
interface Target {
  readonly sink: Sink;
  /** Folder of the collection inside the sink (the `data.path`, or `<base>/<endpoint>/<deployment>/<collection>`). */
  readonly folder: string;
  /** URI prefix of {@link folder} for `datainblob` pointers. */
  readonly uri: (path: string) => string;
  /** Where the collection's data asset points; undefined when no asset is registered (memory sink). */
  readonly assetPath?: string;
  /** Where the files go, as a user names it: the folder's `azureml://` or `s3://` URI, or an absolute local folder. */
  readonly destination: string;
  /** The absolute folder on this machine, for a local folder or a local datastore. */
  readonly localFolder?: string;
}

/** A payload or table ready to become an event (see {@link DataCollectorRuntime.emit}). */
export interface EmitInput {
  readonly correlation: CorrelationContext;
  /** JSON text of `data`; or raw bytes, stored in their own file. */
  readonly json?: string;
  readonly raw?: Uint8Array;
  readonly contentType?: string;
  readonly collectDataType?: string;
  readonly path?: string;
  readonly method?: string;
  readonly extensions?: Readonly<Record<string, string | number>>;
  /** Rows in `json` (for merging). */
  readonly rowCount?: number;
  /** The event's time (ms since the epoch) when another client stamped it (the sidecar's `ce-time`). @default now */
  readonly time?: number;
  /** `agent` when another client made the event. @default this SDK's */
  readonly agent?: string;
  /** `modelversion` when another client made the event. @default the deployment's */
  readonly modelVersion?: string;
}

/** One collection inside a runtime; Collectors with the same name share it. */
export class Collection {
  readonly stats: CollectionStats = emptyStats();
  /** Errors handler set by a Collector of this collection (first one wins). */
  onError: ((err: Error) => void) | undefined;
  private readonly encoder: EventEncoder;
  private periodBegin = 0;
  private periodEnd = 0;
  private folderNow = '';
  /** This process's file in {@link folderNow}. */
  private filePath = '';
  private merge:
    | { correlation: CorrelationContext; time: number; parts: string[]; bytes: number }
    | undefined;
  private mergeTimer: NodeJS.Timeout | undefined;
  private registered = false;

  constructor(
    readonly runtime: DataCollectorRuntime,
    readonly name: string,
    readonly enabled: boolean,
    readonly config: CollectionConfig | undefined,
    private readonly target: Target | undefined,
    source: string,
  ) {
    this.encoder = new EventEncoder(source, name, runtime.modelVersion);
  }

  /** The collection's folder relative to its datastore, e.g. `modelDataCollector/ep/dep/model_inputs`. */
  get folder(): string | undefined {
    return this.target?.folder;
  }

  /** Where the collection's files go (`azureml://datastores/<ds>/paths/<folder>`, `s3://…` or a local folder). */
  get destination(): string | undefined {
    return this.target?.destination;
  }

  /** The absolute folder on this machine the files go to, when the datastore is local. */
  get localFolder(): string | undefined {
    return this.target?.localFolder;
  }

  /** Whether an event with this correlation id is kept (enabled and sampled in); counts the refusals. */
  accepts(correlationId: string): boolean {
    if (this.runtime.closed) throw new CollectorClosedError(this.name);
    if (!this.enabled) {
      this.stats.disabled++;
      return false;
    }
    if (!isSampled(correlationId, this.runtime.samplingRate)) {
      this.stats.sampledOut++;
      return false;
    }
    return true;
  }

  /** Serializes one event and queues it. Never waits on I/O; throws MDC_QUEUE_FULL when the queue is full. */
  emit(input: EmitInput): void {
    const target = this.target!;
    const rt = this.runtime;
    const now = input.time ?? rt.clock();
    if (!this.registered) this.register(target);
    if (input.json !== undefined && rt.mergeWindowMs > 0 && input.rowCount !== undefined) {
      this.addToMerge(input, now);
      return;
    }
    this.enqueue(target, now, input, input.json);
  }

  private enqueue(target: Target, now: number, input: EmitInput, json: string | undefined): void {
    const rt = this.runtime;
    const folder = this.folderAt(now);
    let dataJson: string;
    let dataBytes = -1;
    let rawBody: Uint8Array | string | undefined;
    if (input.raw !== undefined) {
      dataBytes = input.raw.byteLength;
      rawBody = input.raw;
    } else {
      dataJson = json!;
      // UTF-16 length × 3 bounds the UTF-8 size: only near the limit is the exact size worth computing.
      if (dataJson.length * 3 > rt.largePayloadBytes) {
        dataBytes = Buffer.byteLength(dataJson);
        if (dataBytes > rt.largePayloadBytes) rawBody = dataJson;
      }
    }
    let id: string | undefined;
    let raw: RawItem | undefined;
    if (rawBody !== undefined) {
      // A raw payload's file is named by its event's id; other ids are written straight into the line.
      id = randomUUID();
      raw = { path: `${folder}/${id}`, body: rawBody };
      dataJson = JSON.stringify(target.uri(raw.path));
    }
    const fields: EventFields = {
      id,
      time: eventTime(now),
      dataJson: dataJson!,
      dataBytes,
      contentType: input.contentType ?? 'application/json',
      correlation: input.correlation,
      // Read now: the line is encoded later in this turn of the event loop, after the caller may have moved on.
      correlationId: input.correlation.id,
      xRequestId: input.correlation.xRequestId ?? input.correlation.id,
      path: input.path,
      method: input.method,
      collectDataType: input.collectDataType,
      agent: input.agent,
      modelVersion: input.modelVersion,
      dataInBlob: raw !== undefined,
      extensions: input.extensions,
    };
    rt.queue.push(
      {
        sink: target.sink,
        path: this.filePath,
        encoder: this.encoder,
        fields,
        stats: this.stats,
        collection: this.name,
      },
      raw,
    );
  }

  /** Registers the data asset on the first event (off the hot path: the registry write is async). */
  private register(target: Target): void {
    this.registered = true;
    const rt = this.runtime;
    if (!target.assetPath) return;
    const input = {
      name: this.config?.dataName ?? defaultAssetName(rt.endpoint, rt.deploymentName, this.name),
      version: this.config?.dataVersion,
      path: target.assetPath,
      endpoint: rt.endpoint,
      deployment: rt.deploymentName,
      collection: this.name,
    };
    rt.pending.add(
      registerDataAsset(rt.workspace, input).then(
        () => {},
        (err: Error) => rt.reportBackground(err, this),
      ),
    );
  }

  private folderAt(now: number): string {
    // Recomputed outside the cached period in either direction (a clock stepped back, a merged event's time).
    if (now >= this.periodEnd || now < this.periodBegin) {
      const rate = this.runtime.rollingRate;
      this.periodBegin = periodStart(now, rate);
      this.periodEnd = nextPeriodStart(now, rate);
      this.folderNow = joinPath(this.target!.folder, rolledFolder(this.periodBegin, rate));
      this.filePath = `${this.folderNow}/${this.runtime.instanceId}.jsonl`;
    }
    return this.folderNow;
  }

  private addToMerge(input: EmitInput, now: number): void {
    const body = input.json!.slice(1, -1);
    if (
      this.merge &&
      (now - this.merge.time >= this.runtime.mergeWindowMs ||
        this.folderAt(now) !== this.folderAt(this.merge.time))
    ) {
      this.flushMerge();
    }
    if (!this.merge) {
      this.merge = { correlation: input.correlation, time: now, parts: [], bytes: 0 };
      this.mergeTimer = setTimeout(() => this.flushMergeSafely(), this.runtime.mergeWindowMs);
      this.mergeTimer.unref();
    }
    if (body.length > 0) this.merge.parts.push(body);
    this.merge.bytes += body.length;
  }

  /** Emits the pending merged event, if any. */
  flushMerge(): void {
    if (this.mergeTimer) clearTimeout(this.mergeTimer);
    this.mergeTimer = undefined;
    const m = this.merge;
    if (!m) return;
    this.merge = undefined;
    const json = `[${m.parts.join(',')}]`;
    this.enqueue(
      this.target!,
      m.time,
      { correlation: m.correlation, collectDataType: TABLE_DATA_TYPE },
      json,
    );
  }

  private flushMergeSafely(): void {
    try {
      this.flushMerge();
    } catch (err) {
      this.runtime.reportBackground(err as Error, this);
    }
  }
}

/** `collectdatatype` of tabular data: pandas' name, since the data is a record-oriented DataFrame that Azure's consumers expect. */
export const TABLE_DATA_TYPE = 'pandas.core.frame.DataFrame';

/** The longest delay setTimeout honours; a larger one fires at once (Node clamps it to 1 ms). */
const MAX_TIMER_MS = 2_147_483_647;

const live = new Set<DataCollectorRuntime>();
let hooksInstalled = false;

/**
 * The per-process side of data collection for one deployment: configuration, the collections, the bounded
 * queue and the datastore writers. Collectors created without a `runtime` option share the default one.
 */
export class DataCollectorRuntime {
  readonly workspace: Workspace;
  readonly deployment: DeploymentConfig | undefined;
  readonly endpoint: string;
  readonly deploymentName: string;
  readonly modelVersion: string;
  readonly rollingRate: RollingRate;
  readonly samplingRate: number;
  readonly instanceId: string;
  readonly clock: () => number;
  readonly largePayloadBytes: number;
  readonly mergeWindowMs: number;
  readonly queue: BatchQueue;
  readonly source: string;
  closed = false;
  /** Background registrations still running; flush() waits for them. */
  readonly pending = new Set<Promise<void>>();
  private readonly collections = new Map<string, Collection>();
  private readonly sinks = new Map<string, Sink>();
  private readonly overrideSink: Sink | undefined;
  private readonly onError: ((err: Error) => void) | undefined;
  private shutdownPromise: Promise<void> | undefined;
  private warned = new Set<string>();

  constructor(options: RuntimeOptions = {}, env: NodeJS.ProcessEnv = process.env) {
    if (typeof options !== 'object' || options === null)
      throw new InvalidOptionError('runtime options must be an object');
    this.workspace =
      typeof options.workspace === 'object' ? options.workspace : openWorkspace(options.workspace, env);
    const dep = options.deployment ?? env.MDC_DEPLOYMENT_FILE;
    this.deployment =
      typeof dep === 'string' && dep !== ''
        ? loadDeploymentFile(dep, options.deployment ? 'the deployment option' : 'MDC_DEPLOYMENT_FILE')
        : typeof dep === 'object'
          ? dep
          : undefined;
    this.endpoint = checkName('endpoint', options.endpoint ?? this.deployment?.endpoint ?? DEFAULT_ENDPOINT);
    this.deploymentName = checkName(
      'deploymentName',
      options.deploymentName ?? this.deployment?.deployment ?? DEFAULT_DEPLOYMENT,
    );
    this.modelVersion = options.modelVersion ?? this.deployment?.modelVersion ?? 'default';
    this.rollingRate = checkRollingRate(options.rollingRate) ?? this.deployment?.rollingRate ?? 'Hour';
    this.samplingRate = resolveNumber(
      'samplingRate',
      options.samplingRate ?? this.deployment?.samplingRate,
      'MDC_SAMPLING_RATE',
      1,
      { min: 0, max: 1 },
      env,
    );
    this.instanceId = checkName('instanceId', options.instanceId ?? (env.MDC_INSTANCE_ID || randomUUID()));
    this.clock = options.clock ?? Date.now;
    this.largePayloadBytes = resolveNumber(
      'largePayloadBytes',
      options.largePayloadBytes,
      'MDC_LARGE_PAYLOAD_BYTES',
      4 * 1024 * 1024,
      { min: 1, integer: true },
      env,
    );
    this.mergeWindowMs = resolveNumber(
      'mergeWindowMs',
      options.mergeWindowMs,
      'MDC_MERGE_WINDOW_MS',
      0,
      { min: 0, max: MAX_TIMER_MS },
      env,
    );
    this.overrideSink = options.sink;
    this.onError = options.onError;
    this.source = eventSource({
      subscriptionId: this.workspace.subscriptionId,
      resourceGroup: this.workspace.resourceGroup,
      workspace: this.workspace.name,
      endpoint: this.endpoint,
      deployment: this.deploymentName,
    });
    this.queue = new BatchQueue({
      maxQueueEvents: resolveNumber(
        'maxQueueEvents',
        options.maxQueueEvents,
        'MDC_MAX_QUEUE_EVENTS',
        100_000,
        { min: 1, integer: true },
        env,
      ),
      maxQueueBytes: resolveNumber(
        'maxQueueBytes',
        options.maxQueueBytes,
        'MDC_MAX_QUEUE_BYTES',
        64 * 1024 * 1024,
        { min: 1024, integer: true },
        env,
      ),
      maxBatchBytes: resolveNumber(
        'maxBatchBytes',
        options.maxBatchBytes,
        'MDC_MAX_BATCH_BYTES',
        1024 * 1024,
        { min: 1, integer: true },
        env,
      ),
      flushIntervalMs: resolveNumber(
        'flushIntervalMs',
        options.flushIntervalMs,
        'MDC_FLUSH_INTERVAL_MS',
        1000,
        { min: 0, max: MAX_TIMER_MS },
        env,
      ),
      maxTries: resolveNumber(
        'maxTries',
        options.maxTries,
        'MDC_MAX_TRIES',
        5,
        { min: 1, integer: true },
        env,
      ),
      retryDelayMs: resolveNumber(
        'retryDelayMs',
        options.retryDelayMs,
        'MDC_RETRY_DELAY_MS',
        100,
        { min: 0, max: MAX_TIMER_MS },
        env,
      ),
      maxRetryDelayMs: resolveNumber(
        'maxRetryDelayMs',
        options.maxRetryDelayMs,
        'MDC_MAX_RETRY_DELAY_MS',
        5000,
        { min: 0, max: MAX_TIMER_MS },
        env,
      ),
      onBackgroundError: (err, stats) =>
        this.reportBackground(
          err,
          [...this.collections.values()].find((c) => c.stats === stats),
        ),
    });
    // Resolve every configured collection now, so a bad path or unknown datastore fails at start-up.
    for (const name of this.deployment?.collections?.keys() ?? []) this.collection(name);
    if (options.handleProcessExit !== false) {
      live.add(this);
      installProcessHooks();
    }
  }

  /** The collection of this name, created on first use. Throws MDC_TOO_MANY_COLLECTIONS past 5 custom ones. */
  collection(name: string): Collection {
    const existing = this.collections.get(name);
    if (existing) return existing;
    checkName('collection name', name);
    const configured = this.deployment?.collections;
    const config = configured?.get(name);
    const enabled = configured ? config?.enabled === true : true;
    if (!configured) checkCollectionCount([...this.collections.keys(), name]);
    if (configured && !config) {
      this.warnOnce(
        `collection:${name}`,
        `collection "${name}" is not listed under data_collector.collections in ${this.deployment?.file ?? 'the deployment'}; its data is not collected`,
      );
    }
    const target = enabled ? this.targetOf(name, config) : undefined;
    const c = new Collection(this, name, enabled, config, target, this.source);
    this.collections.set(name, c);
    return c;
  }

  /** Names of the collections opened so far. */
  get collectionNames(): string[] {
    return [...this.collections.keys()];
  }

  /** Resolves when every event accepted so far is written (or failed for good). */
  async flush(): Promise<void> {
    for (const c of this.collections.values()) c.flushMerge();
    await this.queue.flush();
    await Promise.all(this.pending);
    this.pending.clear();
  }

  /** Flushes, closes the datastore writers and refuses new events. Idempotent: returns the same promise. */
  shutdown(): Promise<void> {
    this.shutdownPromise ??= (async () => {
      // Refuse new events first: a caller still collecting must not keep the flush from ever finishing.
      this.closed = true;
      await this.flush();
      live.delete(this);
      await Promise.allSettled(
        [...this.sinks.values(), ...(this.overrideSink ? [this.overrideSink] : [])].map((s) => s.close()),
      );
    })();
    return this.shutdownPromise;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.shutdown();
  }

  /** Synchronous last-chance write at process exit. */
  flushSync(): void {
    for (const c of this.collections.values()) {
      try {
        c.flushMerge();
      } catch {
        // queue full at exit: the drop is already counted
      }
    }
    this.queue.flushSync();
  }

  stats(): RuntimeStats {
    const d = this.queue.depth;
    const o = this.queue.options;
    const collections: Record<string, CollectionStats> = {};
    for (const [name, c] of this.collections) collections[name] = { ...c.stats };
    return {
      instanceId: this.instanceId,
      queue: {
        events: d.events,
        bytes: d.bytes,
        maxEvents: o.maxQueueEvents,
        maxBytes: o.maxQueueBytes,
        inFlight: d.inFlight,
        retries: this.queue.retries,
      },
      collections,
    };
  }

  /** Sends a background error to the collection's handler, the runtime's, or a process warning. */
  reportBackground(err: Error, collection?: Collection): void {
    const handler = collection?.onError ?? this.firstHandler() ?? this.onError;
    if (handler) {
      try {
        handler(err);
      } catch {
        // a throwing handler must not break the writer
      }
      return;
    }
    process.emitWarning(err.message, { code: (err as MdcError).code ?? 'MDC_ERROR' });
  }

  private firstHandler(): ((err: Error) => void) | undefined {
    for (const c of this.collections.values()) if (c.onError) return c.onError;
    return undefined;
  }

  warnOnce(key: string, message: string): void {
    if (this.warned.has(key)) return;
    this.warned.add(key);
    process.emitWarning(message, { code: 'MDC_WARNING' });
  }

  private targetOf(name: string, config: CollectionConfig | undefined): Target {
    const dataPath = config?.dataPath;
    if (this.overrideSink) {
      const folder = joinPath('modelDataCollector', this.endpoint, this.deploymentName, name);
      return {
        sink: this.overrideSink,
        folder,
        uri: (p) => `memory://${p}`,
        destination: `memory://${folder}`,
      };
    }
    if (dataPath && isS3Uri(dataPath)) {
      const s3 = resolveS3Uri(this.workspace, dataPath);
      const sink = this.sinkFor(`ds:${s3.datastore}`, () =>
        openCloudDatastore(this.workspace, s3.datastore, s3.config, this.cloudOptions()),
      );
      return { sink, folder: s3.path, uri: s3.uri, assetPath: s3.uri(s3.path), destination: s3.uri(s3.path) };
    }
    if (dataPath && !isAzuremlUri(dataPath)) {
      const abs = isAbsolute(dataPath) ? dataPath : resolve(this.deployment?.dir ?? process.cwd(), dataPath);
      const sink = this.sinkFor(`file:${abs}`, () => new LocalFileSink(abs));
      return {
        sink,
        folder: '',
        uri: (p) => pathToFileURL(resolve(abs, p)).href,
        assetPath: pathToFileURL(abs).href,
        destination: abs,
        localFolder: abs,
      };
    }
    const loc = dataPath
      ? parseAzuremlUri(dataPath)
      : (() => {
          const base = parseAzuremlUri(DEFAULT_BASE_URI);
          return {
            datastore: base.datastore,
            path: joinPath(base.path, this.endpoint, this.deploymentName, name),
          };
        })();
    const ds = getDatastore(this.workspace, loc.datastore);
    if (ds.type !== 'local') {
      const sink = this.sinkFor(`ds:${loc.datastore}`, () =>
        openCloudDatastore(this.workspace, loc.datastore, ds, this.cloudOptions()),
      );
      return {
        sink,
        folder: loc.path,
        uri: (p) => azuremlUri(loc.datastore, p),
        assetPath: azuremlUri(loc.datastore, loc.path),
        destination: azuremlUri(loc.datastore, loc.path),
      };
    }
    const root = localDatastoreRoot(this.workspace, ds);
    const sink = this.sinkFor(`ds:${loc.datastore}`, () => new LocalFileSink(root));
    return {
      sink,
      folder: loc.path,
      uri: (p) => azuremlUri(loc.datastore, p),
      assetPath: azuremlUri(loc.datastore, loc.path),
      destination: azuremlUri(loc.datastore, loc.path),
      localFolder: resolve(root, loc.path),
    };
  }

  private cloudOptions(): CloudDatastoreOptions {
    return {
      instanceId: this.instanceId,
      rollingRate: this.rollingRate,
      onError: (err) => this.reportBackground(err),
    };
  }

  private sinkFor(key: string, make: () => Sink): Sink {
    let s = this.sinks.get(key);
    if (!s) {
      s = make();
      this.sinks.set(key, s);
    }
    return s;
  }
}

function checkRollingRate(value: RollingRate | undefined): RollingRate | undefined {
  if (value === undefined) return undefined;
  const rate = typeof value === 'string' ? parseRollingRate(value) : undefined;
  if (!rate) {
    throw new InvalidOptionError(
      `option rollingRate must be one of ${ROLLING_RATES.join(', ')}; got ${JSON.stringify(value)}`,
    );
  }
  return rate;
}

function checkName(what: string, value: string): string {
  if (typeof value !== 'string' || !/^[A-Za-z0-9_.-]+$/.test(value) || value === '.' || value === '..') {
    throw new InvalidOptionError(
      `${what} must be a non-empty name of A-Z a-z 0-9 _ . - characters; got ${JSON.stringify(value)}`,
    );
  }
  return value;
}

function installProcessHooks(): void {
  if (hooksInstalled) return;
  hooksInstalled = true;
  process.on('beforeExit', () => {
    for (const rt of live) void rt.flush();
  });
  process.on('exit', () => {
    for (const rt of live) rt.flushSync();
  });
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    const onSignal = () => {
      // A host with its own handler (mdc serve drains requests first) owns shutdown; its exit still
      // flushes through the 'exit' hook. Otherwise flush everything, then end as the signal would have.
      if (process.listenerCount(signal) > 0) return;
      const all = [...live].map((rt) => rt.shutdown());
      const timeout = new Promise((r) => setTimeout(r, 10_000).unref());
      void Promise.race([Promise.allSettled(all), timeout]).then(() => process.kill(process.pid, signal));
    };
    process.once(signal, onSignal);
  }
}

let defaultRuntime: DataCollectorRuntime | undefined;

/** The runtime Collectors use when given none: built on first use from `MDC_WORKSPACE` and `MDC_DEPLOYMENT_FILE`. */
export function getDefaultRuntime(): DataCollectorRuntime {
  defaultRuntime ??= new DataCollectorRuntime();
  return defaultRuntime;
}

/** Replaces the default runtime (e.g. a server configuring it before loading the scoring script). */
export function setDefaultRuntime(runtime: DataCollectorRuntime | RuntimeOptions): DataCollectorRuntime {
  defaultRuntime = runtime instanceof DataCollectorRuntime ? runtime : new DataCollectorRuntime(runtime);
  return defaultRuntime;
}

/** Payload collection names, re-exported for servers. */
export { PAYLOAD_COLLECTIONS };
