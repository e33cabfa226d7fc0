import { QueueFullError, WriteFailedError } from './errors.js';
import type { Sink } from './sink.js';
import type { CollectionStats } from './stats.js';

/** One thing to write: lines appended to a file, or a whole raw object. */
export interface QueueItem {
  readonly sink: Sink;
  readonly path: string;
  readonly text: string;
  /** Set for a raw payload file (`datainblob` events). */
  readonly blob?: Uint8Array | string;
  readonly bytes: number;
  /** Number of events the item holds (0 for a raw payload). */
  readonly events: number;
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
  /** Tries of one batch, counting the first, before its events are dropped. @default 5 */
  readonly maxTries: number;
  /** First retry delay; doubles each try, with full jitter. @default 100 */
  readonly retryDelayMs: number;
  /** Upper bound of a retry delay. @default 5000 */
  readonly maxRetryDelayMs: number;
  /** Gets background errors (MDC_WRITE_FAILED). */
  readonly onBackgroundError: (err: Error) => void;
}

/**
 * A bounded in-memory queue with one background writer. `push` only appends to an array; a timer (unref'd,
 * so it never keeps the process alive) or a full batch starts a write; one write is in flight at a time.
 * Drop policy when full: the new event is refused (drop-newest), counted, and reported to the caller.
 */
export class BatchQueue {
  private items: QueueItem[] = [];
  private bytes = 0;
  private events = 0;
  private inFlightEvents = 0;
  private timer: NodeJS.Timeout | undefined;
  private writing: Promise<void> | undefined;
  private immediate = false;
  retries = 0;
  droppedTotal = 0;

  constructor(readonly options: BatchQueueOptions) {}

  get depth(): { events: number; bytes: number; inFlight: number } {
    return { events: this.events, bytes: this.bytes, inFlight: this.inFlightEvents };
  }

  /** Adds an item or throws MDC_QUEUE_FULL (the item is counted as dropped). Never waits. */
  push(item: QueueItem): void {
    const o = this.options;
    if (this.events + item.events > o.maxQueueEvents || this.bytes + item.bytes > o.maxQueueBytes) {
      item.stats.dropped += Math.max(item.events, 1);
      this.droppedTotal += Math.max(item.events, 1);
      const limit =
        this.bytes + item.bytes > o.maxQueueBytes ? `${o.maxQueueBytes} bytes` : `${o.maxQueueEvents} events`;
      throw new QueueFullError(item.collection, this.droppedTotal, limit);
    }
    this.items.push(item);
    this.bytes += item.bytes;
    this.events += item.events;
    item.stats.collected += item.events;
    if (this.bytes >= o.maxBatchBytes) this.kick();
    else if (!this.timer && !this.writing) {
      this.timer = setTimeout(() => this.kick(), o.flushIntervalMs);
      this.timer.unref();
    }
  }

  /** Resolves when everything pushed before the call is written (or has failed for good). */
  async flush(): Promise<void> {
    while (this.items.length > 0 || this.writing) {
      if (!this.writing) this.startWrite();
      await this.writing;
    }
  }

  /** Writes what is queued synchronously, for process exit. An in-flight async write completes in the kernel. */
  flushSync(): void {
    const batch = this.take();
    for (const [sink, group] of groupBySink(batch)) {
      try {
        for (const [path, blob] of group.blobs) {
          if (!sink.putSync) throw new Error(`${sink.description} cannot write synchronously`);
          sink.putSync(path, blob);
        }
        if (!sink.appendSync) throw new Error(`${sink.description} cannot write synchronously`);
        sink.appendSync(group.files);
        for (const it of group.items) {
          it.stats.written += it.events;
          it.stats.bytesWritten += it.bytes;
        }
      } catch (err) {
        for (const it of group.items) it.stats.failed += it.events;
        this.options.onBackgroundError(
          new WriteFailedError(sink.description, countEvents(group.items), 1, err),
        );
      }
    }
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
    const batch = this.take();
    this.inFlightEvents = countEvents(batch);
    this.writing = this.writeBatch(batch).finally(() => {
      this.writing = undefined;
      this.inFlightEvents = 0;
      if (this.items.length === 0) return;
      if (this.immediate || this.bytes >= this.options.maxBatchBytes) {
        this.immediate = false;
        this.startWrite();
      } else if (!this.timer) {
        this.timer = setTimeout(() => this.kick(), this.options.flushIntervalMs);
        this.timer.unref();
      }
    });
  }

  private take(): QueueItem[] {
    const batch = this.items;
    this.items = [];
    this.bytes = 0;
    this.events = 0;
    return batch;
  }

  private async writeBatch(batch: QueueItem[]): Promise<void> {
    for (const [sink, group] of groupBySink(batch)) {
      const err = await this.withRetries(async () => {
        // Raw payloads first, so an event never points at a file that is not there yet.
        for (const [path, blob] of group.blobs) await sink.put(path, blob);
        await sink.append(group.files);
      });
      if (err === undefined) {
        for (const it of group.items) {
          it.stats.written += it.events;
          it.stats.bytesWritten += it.bytes;
        }
      } else {
        for (const it of group.items) it.stats.failed += it.events;
        this.options.onBackgroundError(
          new WriteFailedError(sink.description, countEvents(group.items), this.options.maxTries, err),
        );
      }
    }
  }

  /** Runs `fn` up to maxTries times; returns the last error, or undefined on success. */
  private async withRetries(fn: () => Promise<void>): Promise<unknown> {
    const { maxTries, retryDelayMs, maxRetryDelayMs } = this.options;
    let last: unknown;
    for (let attempt = 1; attempt <= maxTries; attempt++) {
      try {
        await fn();
        return undefined;
      } catch (err) {
        last = err;
        if (attempt === maxTries) break;
        this.retries++;
        const cap = Math.min(maxRetryDelayMs, retryDelayMs * 2 ** (attempt - 1));
        await new Promise((r) => setTimeout(r, Math.random() * cap));
      }
    }
    return last;
  }
}

interface SinkGroup {
  readonly items: QueueItem[];
  readonly files: Map<string, string>;
  readonly blobs: Map<string, Uint8Array | string>;
}

function groupBySink(batch: readonly QueueItem[]): Map<Sink, SinkGroup> {
  const groups = new Map<Sink, SinkGroup>();
  for (const it of batch) {
    let g = groups.get(it.sink);
    if (!g) {
      g = { items: [], files: new Map(), blobs: new Map() };
      groups.set(it.sink, g);
    }
    g.items.push(it);
    if (it.blob !== undefined) g.blobs.set(it.path, it.blob);
    else g.files.set(it.path, (g.files.get(it.path) ?? '') + it.text);
  }
  return groups;
}

function countEvents(items: readonly QueueItem[]): number {
  let n = 0;
  for (const it of items) n += it.events;
  return n;
}
