import { randomUUID } from 'node:crypto';
import type { CorrelationContext } from '../context.js';
import { defaultAssetName, registerDataAsset } from '../data-assets.js';
import { FanOutSink } from '../datastore/fan-out-sink.js';
import type { Sink } from '../datastore/sink.js';
import type { CollectionConfig } from '../deployment-config.js';
import { CollectorClosedError } from '../errors.js';
import { EventEncoder, type EventFields, eventTime } from '../event.js';
import { joinPath, nextPeriodStart, periodStart, rolledFolder } from '../layout.js';
import type { RawItem } from '../pipeline/queue.js';
import { type Redactor, redactorFor } from '../redact/index.js';
import { isSampled } from '../sampling.js';
import { type CollectionStats, emptyStats } from '../stats.js';
import type { DataCollectorRuntime } from './runtime.js';

/** `collectdatatype` of tabular data: pandas' name, since the data is a record-oriented DataFrame that Azure's consumers expect. */
export const TABLE_DATA_TYPE = 'pandas.core.frame.DataFrame';

/** Where one collection's files go. */
export interface Target {
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
  /** Data over this becomes a raw payload file even below `largePayloadBytes` (a destination's message size). */
  readonly maxDataBytes?: number;
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
  /** The `data_collector.redact` rules that apply to this collection; undefined when none do. */
  readonly redactor: Redactor | undefined;
  /** Errors handler set by a Collector of this collection (first one wins). */
  onError: ((err: Error) => void) | undefined;
  private readonly encoder: EventEncoder;
  /** Serialized data over this is stored in its own file: the runtime's `largePayloadBytes`, or less for a destination. */
  private readonly largePayloadBytes: number;
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
    this.redactor = enabled ? redactorFor(runtime, name) : undefined;
    this.largePayloadBytes = Math.min(runtime.largePayloadBytes, target?.maxDataBytes ?? Infinity);
  }

  /** The collection's folder relative to its datastore, e.g. `modelDataCollector/ep/dep/model_inputs`. */
  get folder(): string | undefined {
    return this.target?.folder;
  }

  /** Where the collection's files go (`azureml://datastores/<ds>/paths/<folder>`, `s3://…` or a local folder). */
  get destination(): string | undefined {
    return this.target?.destination;
  }

  /** Where copies of the events go (`destinations`), as `azureml://` URIs of the collection's folder in each. */
  get copies(): string[] {
    const sink = this.target?.sink;
    return sink instanceof FanOutSink ? sink.copies.map((c) => c.stats.destination) : [];
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
    // Before anything else: nothing unredacted may be queued, merged, spooled or written.
    if (this.redactor) input = this.redactor.apply(input);
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
      if (dataJson.length * 3 > this.largePayloadBytes) {
        dataBytes = Buffer.byteLength(dataJson);
        if (dataBytes > this.largePayloadBytes) rawBody = dataJson;
      }
    }
    let id: string | undefined;
    let raw: RawItem | undefined;
    if (rawBody !== undefined) {
      // A raw payload's file is named by its event's id; other ids are written straight into the line.
      id = randomUUID();
      raw = { path: `${folder}/${id}`, body: rawBody, bytes: dataBytes };
      dataJson = JSON.stringify(target.uri(raw.path));
    }
    const fields: EventFields = {
      id,
      time: eventTime(now),
      dataJson: dataJson!,
      dataBytes,
      contentType: input.contentType ?? 'application/json',
      correlation: input.correlation,
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
        periodEnd: this.periodEnd,
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
