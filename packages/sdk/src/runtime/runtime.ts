import { randomUUID } from 'node:crypto';
import type { Sink } from '../datastore/sink.js';
import {
  checkCollectionCount,
  DEFAULT_DEPLOYMENT,
  DEFAULT_ENDPOINT,
  type DeploymentConfig,
  loadDeploymentFile,
} from '../deployment-config.js';
import { InvalidOptionError, type MdcError } from '../errors.js';
import { eventSource } from '../event.js';
import { parseRollingRate, ROLLING_RATES, type RollingRate } from '../layout.js';
import { BatchQueue } from '../pipeline/queue.js';
import type { CollectionStats, RuntimeStats } from '../stats.js';
import { openWorkspace, type Workspace } from '../workspace.js';
import { Collection } from './collection.js';
import { type ExitParticipant, registerForExit, unregisterForExit } from './process-exit.js';
import { RUNTIME_SETTINGS, resolveSettings } from './settings.js';
import { Targets } from './targets.js';

export { PAYLOAD_COLLECTIONS } from '../deployment-config.js';

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
  /** Longest wait for one datastore write; then its events count as failed (MDC_WRITE_TIMEOUT). @default 30000 (`MDC_WRITE_TIMEOUT_MS`) */
  readonly writeTimeoutMs?: number;
  /** Flush on process exit, SIGTERM and SIGINT. @default true */
  readonly handleProcessExit?: boolean;
  /** Background errors (failed writes, dropped events) of collections whose Collector has no onError. */
  readonly onError?: (err: Error) => void;
  /** Write here instead of the datastore the configuration names (tests, embedding). */
  readonly sink?: Sink;
}

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
  private readonly targets: Targets;
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
    const s = resolveSettings(
      RUNTIME_SETTINGS,
      { ...options, samplingRate: options.samplingRate ?? this.deployment?.samplingRate },
      env,
    );
    this.samplingRate = s.samplingRate;
    this.largePayloadBytes = s.largePayloadBytes;
    this.mergeWindowMs = s.mergeWindowMs;
    this.instanceId = checkName('instanceId', options.instanceId ?? (env.MDC_INSTANCE_ID || randomUUID()));
    this.clock = options.clock ?? Date.now;
    this.onError = options.onError;
    this.source = eventSource({
      subscriptionId: this.workspace.subscriptionId,
      resourceGroup: this.workspace.resourceGroup,
      workspace: this.workspace.name,
      endpoint: this.endpoint,
      deployment: this.deploymentName,
    });
    this.targets = new Targets(
      {
        workspace: this.workspace,
        deployment: this.deployment,
        endpoint: this.endpoint,
        deploymentName: this.deploymentName,
        cloud: {
          instanceId: this.instanceId,
          rollingRate: this.rollingRate,
          onError: (err) => this.reportBackground(err),
        },
        copies: {
          maxQueueBytes: s.maxQueueBytes,
          maxTries: s.maxTries,
          retryDelayMs: s.retryDelayMs,
          maxRetryDelayMs: s.maxRetryDelayMs,
          writeTimeoutMs: s.writeTimeoutMs,
        },
      },
      options.sink,
    );
    this.queue = new BatchQueue({
      maxQueueEvents: s.maxQueueEvents,
      maxQueueBytes: s.maxQueueBytes,
      maxBatchBytes: s.maxBatchBytes,
      flushIntervalMs: s.flushIntervalMs,
      maxTries: s.maxTries,
      retryDelayMs: s.retryDelayMs,
      maxRetryDelayMs: s.maxRetryDelayMs,
      writeTimeoutMs: s.writeTimeoutMs,
      onBackgroundError: (err, collection) => this.reportBackground(err, this.collections.get(collection)),
    });
    // Resolve every configured collection now, so a bad path or unknown datastore fails at start-up.
    for (const name of this.deployment?.collections?.keys() ?? []) this.collection(name);
    if (options.handleProcessExit !== false) registerForExit(this.exit);
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
    const target = enabled ? this.targets.of(name, config) : undefined;
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
    // Destinations deliver on their own (a hung one is not waited for past writeTimeoutMs).
    await this.targets.flushCopies();
    await Promise.all(this.pending);
    this.pending.clear();
  }

  /** Flushes, closes the datastore writers and refuses new events. Idempotent: returns the same promise. */
  shutdown(): Promise<void> {
    this.shutdownPromise ??= (async () => {
      // Refuse new events first: a caller still collecting must not keep the flush from ever finishing.
      this.closed = true;
      await this.flush();
      unregisterForExit(this.exit);
      this.targets.closeCopies();
      await Promise.allSettled(this.targets.all().map((s) => s.close()));
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
    this.targets.flushCopiesSync();
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
        timeouts: this.queue.timeouts,
      },
      collections,
      destinations: this.targets.destinationStats(),
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

  /** This runtime's part in process exit (see process-exit.ts). */
  private readonly exit: ExitParticipant = {
    beforeExit: () => {
      if (this.shutdownPromise) return undefined;
      // The queue first, then the datastores: a spool drained before the last lines reached it would miss them.
      return this.flush().then(async () => {
        await Promise.allSettled(this.targets.all().map((s) => s.beforeExit?.()));
      });
    },
    exitSync: () => this.flushSync(),
    shutdown: () => this.shutdown(),
  };
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
