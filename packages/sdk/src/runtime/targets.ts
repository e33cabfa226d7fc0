import { isAbsolute, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { recordCopy } from '../datastore/copies.js';
import { CopyChannel, type CopyChannelOptions } from '../datastore/copy-channel.js';
import { type CopyTarget, type DestinationSnapshot, FanOutSink } from '../datastore/fan-out-sink.js';
import { LocalFileSink } from '../datastore/local-file-sink.js';
import { locateDatastoreUri } from '../datastore/locate.js';
import type { Sink } from '../datastore/sink.js';
import type { CollectionConfig, DeploymentConfig } from '../deployment-config.js';
import { InvalidPathError } from '../errors.js';
import { DEFAULT_BASE_URI, joinPath } from '../layout.js';
import { type CloudDatastoreOptions, openCloudDatastore } from '../spool/cloud-datastore.js';
import { type DatastoreConfig, localDatastoreRoot, type Workspace } from '../workspace.js';
import type { Target } from './collection.js';

/** What resolving a collection's destination needs to know of its runtime. */
export interface TargetContext {
  readonly workspace: Workspace;
  readonly deployment: DeploymentConfig | undefined;
  readonly endpoint: string;
  readonly deploymentName: string;
  readonly cloud: CloudDatastoreOptions;
  /** How each destination's channel retries and bounds its buffer (the runtime's write settings). */
  readonly copies: Omit<CopyChannelOptions, 'onError'>;
}

/**
 * Where each collection's files go, and the datastore writers (one per datastore or local folder, shared by
 * the collections that write there).
 */
export class Targets {
  private readonly sinks = new Map<string, Sink>();
  private readonly fanOuts: FanOutSink[] = [];
  /** One delivery channel per destination datastore writer, shared by the collections copying there. */
  private readonly channels = new Map<Sink, CopyChannel>();

  constructor(
    private readonly ctx: TargetContext,
    private readonly overrideSink: Sink | undefined,
  ) {}

  /** Every writer opened so far (a collection's fan-out first: closing it only unregisters its counters). */
  all(): Sink[] {
    return [...this.fanOuts, ...this.sinks.values(), ...(this.overrideSink ? [this.overrideSink] : [])];
  }

  /** Resolves when the destinations wrote what they were handed (a destination whose write hangs is not waited for). */
  async flushCopies(): Promise<void> {
    await Promise.all([...this.channels.values()].map((c) => c.flush()));
  }

  /** At process exit: each destination writes what it holds, synchronously. */
  flushCopiesSync(): void {
    for (const c of this.channels.values()) c.flushSync();
  }

  /** Before the writers close: what still waits for a hung destination is dropped and counted. */
  closeCopies(): void {
    for (const c of this.channels.values()) c.close();
  }

  /** Every destination of every collection: counters, lag and its datastore's spool. */
  destinationStats(): DestinationSnapshot[] {
    return this.fanOuts.flatMap((f) => f.destinationStats());
  }

  /**
   * The target of a collection: its `data.path`, else `<base>/<endpoint>/<deployment>/<collection>` in the default
   * datastore; with `destinations`, its writer also copies every line to `<destination>/<endpoint>/<deployment>/<collection>`.
   */
  of(name: string, collection: CollectionConfig | undefined): Target {
    const primary = this.primaryOf(name, collection);
    const bases = collection?.destinations ?? (collection ? undefined : this.ctx.deployment?.destinations);
    if (!bases?.length || this.overrideSink) return primary;
    const copies: CopyTarget[] = [];
    let maxDataBytes: number | undefined;
    for (const base of bases) {
      const copy = this.copyOf(name, base);
      if (copy.channel.sink === primary.sink && copy.folder === primary.folder) continue;
      if (copies.some((c) => c.channel === copy.channel && c.folder === copy.folder)) continue;
      copies.push(copy);
      if (copy.maxDataBytes !== undefined)
        maxDataBytes = Math.min(maxDataBytes ?? Infinity, copy.maxDataBytes);
    }
    if (copies.length === 0) return primary;
    const sink = new FanOutSink(primary.sink, primary.folder, copies);
    this.fanOuts.push(sink);
    return { ...primary, sink, ...(maxDataBytes !== undefined ? { maxDataBytes } : {}) };
  }

  /** One destination of a collection: the datastore's writer and the collection's folder in it. */
  private copyOf(name: string, base: string): CopyTarget & { maxDataBytes?: number } {
    const { ctx } = this;
    const loc = locateDatastoreUri(ctx.workspace, base);
    if (!loc)
      throw new InvalidPathError(base, 'a destination is an azureml://datastores/<name>/paths/<path> URI');
    const folder = joinPath(loc.path, ctx.endpoint, ctx.deploymentName, name);
    const stats = {
      collection: name,
      destination: loc.uri(folder),
      datastore: loc.datastore,
      type: loc.config.type,
      written: 0,
      bytesWritten: 0,
      dropped: 0,
      retries: 0,
      timeouts: 0,
      queuedEvents: 0,
      queuedBytes: 0,
    };
    const sink = this.datastoreSink(loc.datastore, loc.config);
    let channel = this.channels.get(sink);
    if (!channel) {
      channel = new CopyChannel(sink, { ...ctx.copies, onError: (err) => ctx.cloud.onError?.(err) });
      this.channels.set(sink, channel);
    }
    const record = { uri: stats.destination, datastore: loc.datastore, type: loc.config.type };
    const names = { endpoint: ctx.endpoint, deployment: ctx.deploymentName, collection: name };
    return {
      channel,
      folder,
      stats,
      record: () =>
        recordCopy(ctx.workspace, { ...record, ...names }).catch((err: Error) => ctx.cloud.onError?.(err)),
      ...(loc.config.type === 'nats' ? { maxDataBytes: natsMaxDataBytes(loc.config) } : {}),
    };
  }

  private datastoreSink(datastore: string, config: DatastoreConfig): Sink {
    const { ctx } = this;
    if (config.type === 'local') {
      const root = localDatastoreRoot(ctx.workspace, config);
      return this.sinkFor(`ds:${datastore}`, () => new LocalFileSink(root));
    }
    return this.sinkFor(`ds:${datastore}`, () =>
      openCloudDatastore(ctx.workspace, datastore, config, ctx.cloud),
    );
  }

  private primaryOf(name: string, collection: CollectionConfig | undefined): Target {
    const { ctx } = this;
    const dataPath = collection?.dataPath;
    if (this.overrideSink) {
      const folder = joinPath('modelDataCollector', ctx.endpoint, ctx.deploymentName, name);
      return {
        sink: this.overrideSink,
        folder,
        uri: (p) => `memory://${p}`,
        destination: `memory://${folder}`,
      };
    }
    const loc = locateDatastoreUri(
      ctx.workspace,
      dataPath ?? `${DEFAULT_BASE_URI}/${joinPath(ctx.endpoint, ctx.deploymentName, name)}`,
    );
    if (!loc) {
      // A local folder, relative to the deployment YAML.
      const abs = isAbsolute(dataPath!)
        ? dataPath!
        : resolve(ctx.deployment?.dir ?? process.cwd(), dataPath!);
      return {
        sink: this.sinkFor(`file:${abs}`, () => new LocalFileSink(abs)),
        folder: '',
        uri: (p) => pathToFileURL(resolve(abs, p)).href,
        assetPath: pathToFileURL(abs).href,
        destination: abs,
        localFolder: abs,
      };
    }
    const { config } = loc;
    const destination = loc.uri(loc.path);
    if (config.type === 'nats') {
      throw new InvalidPathError(
        dataPath ?? destination,
        `datastore "${loc.datastore}" is a NATS stream: list it under destinations; data.path names where the files go`,
      );
    }
    if (config.type === 'local') {
      const root = localDatastoreRoot(ctx.workspace, config);
      return {
        sink: this.sinkFor(`ds:${loc.datastore}`, () => new LocalFileSink(root)),
        folder: loc.path,
        uri: loc.uri,
        assetPath: destination,
        destination,
        localFolder: resolve(root, loc.path),
      };
    }
    return {
      sink: this.sinkFor(`ds:${loc.datastore}`, () =>
        openCloudDatastore(ctx.workspace, loc.datastore, config, ctx.cloud),
      ),
      folder: loc.path,
      uri: loc.uri,
      assetPath: destination,
      destination,
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

/** Data over this goes to its own file in the `data.path` datastore, so a line fits one NATS message. */
function natsMaxDataBytes(config: Extract<DatastoreConfig, { type: 'nats' }>): number {
  const max = config.max_message_bytes ?? NATS_DEFAULT_MAX_MESSAGE_BYTES;
  // The event's envelope (ids, time, source, extensions) stays well under 64 KiB.
  return Math.max(1024, max - 65_536);
}

/** nats-server's default `max_payload`. */
export const NATS_DEFAULT_MAX_MESSAGE_BYTES = 1_048_576;
