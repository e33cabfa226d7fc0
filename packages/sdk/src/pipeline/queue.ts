import type { FileResult, Sink } from '../datastore/sink.js';
import { MdcError, QueueFullError, WriteFailedError, WriteTimeoutError } from '../errors.js';
import type { EventEncoder, EventFields } from '../event.js';
import type { CollectionStats } from '../stats.js';
import { FileBuffer, type RawItem } from './file-buffer.js';
import { retryDelay, withTimeout } from './retry.js';

export type { RawItem } from './file-buffer.js';

/** One event for a file. */
export interface LineItem {
  readonly sink: Sink;
  /** The file the line is appended to. */
  readonly path: string;
  /** When the file's time partition ends (ms). */
  readonly periodEnd: number;
  readonly encoder: EventEncoder;
  readonly fields: EventFields;
  readonly stats: CollectionStats;
  readonly collection: string;
}

export interface BatchQueueOptions {
  /** Most events held in memory; past it new events are dropped and counted. @default 100000 */
  readonly maxQueueEvents: number;
  /** Most bytes held in memory. @default 67108864 (64 MiB) */
  readonly maxQueueBytes: number;
  /** A batch this large is written at once instead of waiting for the timer. @default 1048576 (1 MiB) */
  readonly maxBatchBytes: number;
  /** Longest time an accepted event waits in memory before it is written. @default 1000 */
  readonly flushIntervalMs: number;
  /** Tries of one file's batch, counting the first, before its events are dropped. @default 5 */
  readonly maxTries: number;
  /** First retry delay; doubles each try, with full jitter. @default 100 */
  readonly retryDelayMs: number;
  /** Upper bound of a retry delay. @default 5000 */
  readonly maxRetryDelayMs: number;
  /** Longest wait for one write; then its events count as failed (MDC_WRITE_TIMEOUT). @default 30000 */
  readonly writeTimeoutMs: number;
  /** Gets background errors (MDC_WRITE_FAILED, MDC_WRITE_TIMEOUT, a datastore's drops) with their collection. */
  readonly onBackgroundError: (err: Error, collection: string) => void;
}

/**
 * A bounded in-memory queue with one background writer. `push` admits the event (or refuses it), encodes its line
 * straight into its file's buffer and returns; a timer (unref'd, so it never keeps the process alive) or a full
 * batch starts a write; one write is in flight at a time, and it hands the datastores one file's batch at a time.
 * Drop policy when full: the new event is refused (drop-newest), counted, and reported to the caller.
 */
export class BatchQueue {
  private files = new Map<Sink, Map<string, FileBuffer>>();
  private bytes = 0;
  private events = 0;
  private inFlightEvents = 0;
  private timer: NodeJS.Timeout | undefined;
  private writing: Promise<void> | undefined;
  /** The batches of the write in flight not handed to their sink yet, so flushSync can still write them at exit. */
  private unstarted: FileBuffer[] = [];
  /** A batch waiting between two tries of its write: at exit it is the queue's to write, not the sink's. */
  private retrying: FileBuffer | undefined;
  private immediate = false;
  retries = 0;
  timeouts = 0;
  droppedTotal = 0;

  constructor(readonly options: BatchQueueOptions) {}

  get depth(): { events: number; bytes: number; inFlight: number } {
    return { events: this.events, bytes: this.bytes, inFlight: this.inFlightEvents };
  }

  /**
   * Queues an event line and, for a `datainblob` event, the raw payload file it points at (stored before the
   * line); both or neither. Never waits; throws MDC_QUEUE_FULL when the queue is full.
   */
  push(line: LineItem, raw?: RawItem): void {
    const o = this.options;
    const size = estimate(line) + (raw?.bytes ?? 0);
    if (this.events + 1 > o.maxQueueEvents || this.bytes + size > o.maxQueueBytes) {
      line.stats.dropped++;
      this.droppedTotal++;
      const limit =
        this.bytes + size > o.maxQueueBytes ? `${o.maxQueueBytes} bytes` : `${o.maxQueueEvents} events`;
      throw new QueueFullError(line.collection, this.droppedTotal, limit);
    }
    // Encoded now, not at the end of the turn: the event's objects then die young, which costs the garbage
    // collector less than holding a turn's worth of them (docs/performance.md).
    this.events++;
    line.stats.collected++;
    try {
      this.bytes += this.fileBuffer(line).add(line.encoder, line.fields, raw) + (raw?.bytes ?? 0);
    } catch (err) {
      // Not seen in practice (every part is a string by now); never let it escape into the caller.
      this.events--;
      line.stats.failed++;
      this.options.onBackgroundError(new WriteFailedError(line.collection, 1, 1, err), line.collection);
      return;
    }
    if (this.bytes >= o.maxBatchBytes) this.kick();
    // Below a full batch, the timer writes what is queued.
    if (!this.timer && !this.writing) {
      this.timer = setTimeout(() => this.kick(), o.flushIntervalMs);
      this.timer.unref();
    }
  }

  /** Resolves when everything pushed before the call is written (or has failed for good). */
  async flush(): Promise<void> {
    while (this.events > 0 || this.writing) {
      if (!this.writing) this.startWrite();
      await this.writing;
    }
  }

  /**
   * Writes synchronously, for process exit: each sink first finishes the write it had started, then the batches
   * of the write in flight it had not been handed, then what is queued.
   */
  flushSync(): void {
    const waiting = this.retrying ? [this.retrying, ...this.unstarted] : this.unstarted;
    this.retrying = undefined;
    const sinks = new Set<Sink>([...waiting.map((fb) => fb.sink), ...this.files.keys()]);
    for (const sink of sinks) {
      try {
        sink.finishSync?.();
      } catch {
        // the process is ending; the batches below still get their chance
      }
    }
    const batches = [...waiting, ...this.take()];
    this.unstarted = [];
    for (const fb of batches) {
      let result: FileResult;
      try {
        if (!fb.sink.writeSync) throw new Error(`${fb.sink.description} cannot write synchronously`);
        result = fb.sink.writeSync(fb.take());
      } catch (err) {
        result = { dropped: fb.events, error: new WriteFailedError(fb.sink.description, fb.events, 1, err) };
      }
      this.settle(fb, result);
    }
  }

  private fileBuffer(it: LineItem): FileBuffer {
    let bySink = this.files.get(it.sink);
    if (!bySink) {
      bySink = new Map();
      this.files.set(it.sink, bySink);
    }
    let fb = bySink.get(it.path);
    if (!fb) {
      fb = new FileBuffer(it.sink, it.path, it.stats, it.collection, it.periodEnd);
      bySink.set(it.path, fb);
    }
    return fb;
  }

  private kick(): void {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    if (this.writing) {
      this.immediate = true;
      return;
    }
    this.startWrite();
  }

  private startWrite(): void {
    const batches = this.take();
    this.inFlightEvents = batches.reduce((n, fb) => n + fb.events, 0);
    this.writing = this.writeAll(batches).finally(() => {
      this.writing = undefined;
      this.inFlightEvents = 0;
      if (this.events === 0) return;
      if (this.immediate || this.bytes >= this.options.maxBatchBytes) {
        this.immediate = false;
        this.startWrite();
      } else if (!this.timer) {
        this.timer = setTimeout(() => this.kick(), this.options.flushIntervalMs);
        this.timer.unref();
      }
    });
  }

  /** Every file buffer: the queue is empty afterwards. */
  private take(): FileBuffer[] {
    const batches: FileBuffer[] = [];
    for (const bySink of this.files.values()) for (const fb of bySink.values()) batches.push(fb);
    this.files = new Map();
    this.bytes = 0;
    this.events = 0;
    return batches;
  }

  private async writeAll(batches: FileBuffer[]): Promise<void> {
    this.unstarted = batches.slice();
    for (const fb of batches) {
      this.unstarted.shift();
      this.settle(fb, await this.writeOne(fb));
    }
  }

  /** Writes one file's batch, retrying a rejected write with backoff; a timed-out write is not retried. */
  private async writeOne(fb: FileBuffer): Promise<FileResult> {
    const { maxTries, retryDelayMs, maxRetryDelayMs, writeTimeoutMs } = this.options;
    const batch = fb.take();
    for (let attempt = 1; ; attempt++) {
      try {
        return await withTimeout(fb.sink.write(batch), writeTimeoutMs, fb.sink.description, fb.events);
      } catch (err) {
        if (err instanceof WriteTimeoutError) {
          this.timeouts++;
          return { dropped: fb.events, error: err };
        }
        if (attempt >= maxTries) {
          return {
            dropped: fb.events,
            error: new WriteFailedError(fb.sink.description, fb.events, maxTries, err),
          };
        }
        this.retries++;
        this.retrying = fb;
        await new Promise((r) => setTimeout(r, retryDelay(attempt, retryDelayMs, maxRetryDelayMs)));
        this.retrying = undefined;
      }
    }
  }

  /** Counts the batch's outcome for its collection and reports a loss to it. */
  private settle(fb: FileBuffer, result: FileResult): void {
    fb.release();
    const dropped = Math.min(result.dropped, fb.events);
    fb.stats.written += fb.events - dropped;
    fb.stats.failed += dropped;
    if (dropped < fb.events) fb.stats.bytesWritten += fb.bytes + fb.payloadBytes();
    if (result.error) {
      const err =
        result.error instanceof MdcError
          ? result.error
          : new WriteFailedError(fb.path, dropped, 1, result.error);
      this.options.onBackgroundError(err, fb.collection);
    }
  }
}

/** The bytes a line is admitted at, before it is encoded and measured: its data plus a generous envelope. */
function estimate(line: LineItem): number {
  return line.fields.dataJson.length + 600;
}
