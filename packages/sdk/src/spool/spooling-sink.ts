import { type FileBatch, type FileResult, type PayloadFile, type Sink, STORED } from '../datastore/sink.js';
import { SpoolFullError } from '../errors.js';
import type { RollingRate } from '../layout.js';
import { Delivery } from './delivery.js';
import { SpoolLog } from './spool-log.js';
import type { DatastoreStats } from './stats.js';
import type { Uploader } from './uploader.js';

export { periodEndOf } from './spool-log.js';

export interface SpoolingSinkOptions {
  /** The datastore's name (for stats and messages). */
  readonly datastore: string;
  /** `azure_blob` or `s3` (for stats). */
  readonly type: string;
  /** Folder of this datastore's spool, `<workspace>/spool/<datastore>`. */
  readonly dir: string;
  /** This process's instance id: its spool unit is `<dir>/<instanceId>`. */
  readonly instanceId: string;
  /** The runtime's rolling rate: tells when a file's period is over. */
  readonly rollingRate: RollingRate;
  /** Builds the uploader; called once, on the first upload (this is where a cloud package is imported). */
  readonly uploader: () => Promise<Uploader>;
  /** Most bytes on disk; past it new events are dropped and counted. @default 1073741824 (1 GiB) */
  readonly maxSpoolBytes?: number;
  /** Longest time spooled data waits before an upload starts (Month and Year rolling wait at least 60 s / 15 min). @default 5000 */
  readonly uploadIntervalMs?: number;
  /** First retry delay after a failed upload; doubles each failure, with jitter. @default 1000 */
  readonly retryDelayMs?: number;
  /** Upper bound of a retry delay. @default 30000 */
  readonly maxRetryDelayMs?: number;
  /** fdatasync each batch before append() resolves, so power loss loses nothing acknowledged. @default true */
  readonly fsync?: boolean;
  /** How long close() keeps uploading before it leaves the rest in the spool for the next start. @default 5000 */
  readonly closeTimeoutMs?: number;
  /** How long after a period ends its S3 file is assembled (late events still arrive). @default 60000 */
  readonly assembleDelayMs?: number;
  /** Background errors: MDC_UPLOAD_FAILED (once per failure streak), MDC_SPOOL_FULL (at most once a minute). */
  readonly onError?: (err: Error) => void;
  readonly clock?: () => number;
}

const DROP_REPORT_INTERVAL_MS = 60_000;

const live = new Set<SpoolingSink>();

/** Stats of every cloud datastore open in this process. */
export function datastoreStats(): DatastoreStats[] {
  return [...live].map((s) => s.stats());
}

/**
 * A sink for cloud datastores with durable delivery: `write` puts whole lines in a local write-ahead log
 * (spool-log.ts) and returns; a background loop (delivery.ts) uploads them, retrying until they are stored.
 * Full policy: past `maxSpoolBytes` (or when the disk is full) the newest batch of a file is dropped,
 * counted and reported. A process that starts picks up the spool its dead predecessors left.
 */
export class SpoolingSink implements Sink {
  readonly description: string;
  readonly datastore: string;
  private readonly o: Required<Omit<SpoolingSinkOptions, 'onError'>> & Pick<SpoolingSinkOptions, 'onError'>;
  private readonly log: SpoolLog;
  private readonly delivery: Delivery;
  private closePromise: Promise<void> | undefined;
  private lastDropReport = 0;
  private droppedEvents = 0;
  private droppedBytes = 0;

  constructor(options: SpoolingSinkOptions) {
    this.o = {
      maxSpoolBytes: 1024 * 1024 * 1024,
      uploadIntervalMs: 5000,
      retryDelayMs: 1000,
      maxRetryDelayMs: 30_000,
      fsync: true,
      closeTimeoutMs: 5000,
      assembleDelayMs: 60_000,
      clock: Date.now,
      ...stripUndefined(options),
    };
    this.datastore = options.datastore;
    this.description = `${options.type}:${options.datastore} (spool ${options.dir})`;
    this.log = new SpoolLog(this.o);
    this.delivery = new Delivery(this.log, { ...this.o, description: this.description });
    live.add(this);
    if (!this.log.empty) this.delivery.schedule(0);
  }

  /**
   * Spools a file's payloads, then its lines; never waits on the network. What does not fit is dropped and
   * reported in the result: the whole batch, or a payload with the line that points at it.
   */
  async write(batch: FileBatch): Promise<FileResult> {
    return this.log.whileAppending(async () => {
      const skip: PayloadFile[] = [];
      let dropped: FileResult | undefined;
      for (const p of batch.payloads) {
        const why = await this.log.writePayload(p);
        if (why === undefined) {
          this.delivery.wake();
          continue;
        }
        // An event line must never name a payload file that will not be there: the line goes with it.
        skip.push(p);
        dropped = this.drop(1, p.lineEnd - p.lineStart, why.detail, why.cause);
      }
      if (skip.length === 0) return await this.spoolLines(batch, batch.chunks, batch.bytes, batch.events);
      const bytes = batch.bytes - skip.reduce((n, p) => n + (p.lineEnd - p.lineStart), 0);
      const rest = await this.spoolLines(
        batch,
        withoutLines(batch.chunks, skip),
        bytes,
        batch.events - skip.length,
      );
      return { dropped: rest.dropped + skip.length, error: rest.error ?? dropped?.error };
    });
  }

  private async spoolLines(
    batch: FileBatch,
    chunks: readonly Uint8Array[],
    bytes: number,
    events: number,
  ): Promise<FileResult> {
    if (bytes === 0) return STORED;
    const why = await this.log.appendLines(batch.path, batch.periodEnd, chunks, bytes);
    if (why) return this.drop(events, bytes, why.detail, why.cause);
    this.delivery.wake();
    return STORED;
  }

  /** At process exit: spools synchronously; the next process that starts uploads it. */
  writeSync(batch: FileBatch): FileResult {
    for (const p of batch.payloads) this.log.writePayloadSync(p);
    if (batch.bytes === 0) return STORED;
    const why = this.log.appendLinesSync(batch.path, batch.periodEnd, batch.chunks, batch.bytes);
    return why ? this.drop(batch.events, batch.bytes, why.detail, why.cause) : STORED;
  }

  /** Uploads what is spooled now; resolves when it is all delivered, or rejects with the upload error after `timeoutMs`. */
  drain(options: { timeoutMs?: number } = {}): Promise<void> {
    return this.delivery.drain(options);
  }

  /** Stops the uploader after a last delivery attempt of at most `closeTimeoutMs`; what is left stays in the spool. */
  close(): Promise<void> {
    this.closePromise ??= (async () => {
      await this.delivery.stop(this.o.closeTimeoutMs);
      live.delete(this);
      await this.log.close();
      await this.delivery.closeUploader();
    })();
    return this.closePromise;
  }

  /** Last chance when the event loop empties: one delivery attempt of at most closeTimeoutMs. */
  beforeExit(): Promise<void> | undefined {
    if (this.closePromise || this.log.empty) return undefined;
    return this.close();
  }

  stats(): DatastoreStats {
    const now = this.o.clock();
    const pending = this.log.pending();
    const d = this.delivery;
    return {
      datastore: this.datastore,
      type: this.o.type,
      description: d.uploaderDescription ?? this.description,
      state: d.state,
      spoolBytes: this.log.bytes,
      maxSpoolBytes: this.o.maxSpoolBytes,
      pendingBytes: pending.bytes,
      spoolFiles: this.log.files.size + this.log.objects.length,
      deliveryLagMs: pending.since === undefined ? 0 : Math.max(0, now - pending.since),
      ...d.counters,
      droppedEvents: this.droppedEvents,
      droppedBytes: this.droppedBytes,
      ...(d.lastError ? { lastError: d.lastError } : {}),
    };
  }

  /**
   * Counts a drop. The result carries the error at most once a minute: the queue reports it to the collection
   * whose events were dropped (a full spool must not flood the handler with one error per batch).
   */
  private drop(events: number, bytes: number, detail: string, cause?: unknown): FileResult {
    this.droppedEvents += events;
    this.droppedBytes += bytes;
    const now = this.o.clock();
    if (this.lastDropReport !== 0 && now - this.lastDropReport < DROP_REPORT_INTERVAL_MS)
      return { dropped: events };
    this.lastDropReport = now;
    const err = new SpoolFullError(this.datastore, this.droppedEvents, detail, cause ? { cause } : undefined);
    return { dropped: events, error: err };
  }
}

/** The chunks without the given lines (those of dropped payloads), as one copy: only when a payload was dropped. */
function withoutLines(chunks: readonly Uint8Array[], cut: readonly PayloadFile[]): Uint8Array[] {
  const all = Buffer.concat(chunks as Uint8Array[]);
  const kept: Uint8Array[] = [];
  let from = 0;
  for (const p of cut) {
    if (p.lineStart > from) kept.push(all.subarray(from, p.lineStart));
    from = p.lineEnd;
  }
  if (from < all.length) kept.push(all.subarray(from));
  return kept;
}

function stripUndefined<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}
