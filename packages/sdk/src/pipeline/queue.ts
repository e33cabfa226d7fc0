import { QueueFullError, WriteFailedError } from './errors.js';
import type { EventEncoder, EventFields, LineOut } from './event.js';
import type { Sink } from './sink.js';
import type { CollectionStats } from './stats.js';

/** One event for a file. */
export interface LineItem {
  readonly sink: Sink;
  /** The file the line is appended to. */
  readonly path: string;
  readonly encoder: EventEncoder;
  readonly fields: EventFields;
  readonly stats: CollectionStats;
  readonly collection: string;
}

/** The raw payload file of a `datainblob` event, written to the same sink before the event. */
export interface RawItem {
  readonly path: string;
  readonly body: Uint8Array | string;
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
  readonly onBackgroundError: (err: Error, stats: CollectionStats) => void;
}

const SLAB_BYTES = 64 * 1024;
const POOL_SLABS = 64;

/**
 * Slabs are reused once written: writing into fresh memory costs a page fault per 4 KiB, which made
 * encoding several times slower than into memory already touched.
 */
const slabPool: Buffer[] = [];

function allocSlab(size: number): Buffer {
  if (size <= SLAB_BYTES) return slabPool.pop() ?? Buffer.allocUnsafeSlow(SLAB_BYTES);
  return Buffer.allocUnsafeSlow(size);
}

function releaseSlabs(slabs: readonly Buffer[]): void {
  for (const s of slabs) if (s.length === SLAB_BYTES && slabPool.length < POOL_SLABS) slabPool.push(s);
}

/** The bytes waiting for one file: lines are UTF-8 encoded into slabs as they arrive, so no string is kept. */
class FileBuffer implements LineOut {
  readonly chunks: Buffer[] = [];
  /** Whole slabs this file's bytes live in, returned to the pool after the write. */
  readonly slabs: Buffer[] = [];
  private slab: Buffer = Buffer.alloc(0);
  offset = 0;
  events = 0;
  bytes = 0;
  constructor(
    readonly sink: Sink,
    readonly path: string,
    readonly stats: CollectionStats,
    readonly collection: string,
  ) {}

  /** Encodes one event line straight into the slab. */
  add(encoder: EventEncoder, f: EventFields): number {
    const n = encoder.write(f, this);
    this.events++;
    this.bytes += n;
    return n;
  }

  /** Room for a whole line in the current slab (a line is never split between slabs). */
  reserve(bytes: number): Buffer {
    if (this.slab.length - this.offset < bytes) {
      this.seal();
      this.slab = allocSlab(bytes);
      this.slabs.push(this.slab);
    }
    return this.slab;
  }

  /** The file's bytes, ready to append (slabs are not copied). */
  take(): Buffer[] {
    this.seal();
    return this.chunks;
  }

  release(): void {
    releaseSlabs(this.slabs);
    this.slabs.length = 0;
  }

  private seal(): void {
    if (this.offset > 0) this.chunks.push(this.slab.subarray(0, this.offset));
    this.slab = this.slab.subarray(this.offset);
    this.offset = 0;
  }
}

interface Blob {
  readonly sink: Sink;
  readonly path: string;
  readonly body: Uint8Array | string;
  readonly bytes: number;
  readonly stats: CollectionStats;
}

/** The part of the write in flight for one sink that is not written yet. */
interface InFlight {
  readonly sink: Sink;
  readonly files: Map<string, readonly Uint8Array[]>;
  readonly blobs: Blob[];
  /** The file whose append() has been called and has not settled. */
  current?: string;
}

interface Batch {
  readonly files: FileBuffer[];
  readonly blobs: Blob[];
}

/**
 * A bounded in-memory queue with one background writer. `push` admits the event (or refuses it) and returns;
 * the lines pushed during one turn of the event loop are encoded into per-file buffers together at its end
 * (see {@link encodePending}); a timer (unref'd, so it never keeps the process alive) or a full batch starts a
 * write; one write is in flight at a time. Drop policy when full: the new event is refused (drop-newest),
 * counted, and reported to the caller.
 */
export class BatchQueue {
  private files = new Map<Sink, Map<string, FileBuffer>>();
  private blobs: Blob[] = [];
  private bytes = 0;
  private events = 0;
  private inFlightEvents = 0;
  private timer: NodeJS.Timeout | undefined;
  private writing: Promise<void> | undefined;
  /** What the write in flight has not written yet, so flushSync can still write it at process exit. */
  private unwritten: InFlight[] = [];
  private immediate = false;
  /** Lines admitted and not encoded yet, in push order, and the sum of their {@link estimate}s. */
  private pending: LineItem[] = [];
  private pendingBytes = 0;
  private encodeScheduled = false;
  private readonly encodeLater = () => {
    this.encodeScheduled = false;
    this.encodePending();
    if (this.bytes >= this.options.maxBatchBytes) this.kick();
  };
  retries = 0;
  droppedTotal = 0;

  constructor(readonly options: BatchQueueOptions) {}

  get depth(): { events: number; bytes: number; inFlight: number } {
    return { events: this.events, bytes: this.bytes, inFlight: this.inFlightEvents };
  }

  /**
   * Queues an event line and, for a `datainblob` event, the raw payload file it points at (written before the
   * line); both or neither. Never waits; throws MDC_QUEUE_FULL when the queue is full.
   */
  push(line: LineItem, raw?: RawItem): void {
    const o = this.options;
    const rawBytes = raw ? blobBytes(raw.body) : 0;
    const lineBytes = estimate(line);
    const size = lineBytes + rawBytes;
    if (this.events + 1 > o.maxQueueEvents || this.bytes + size > o.maxQueueBytes) {
      const stats = line.stats;
      stats.dropped++;
      this.droppedTotal++;
      const limit =
        this.bytes + size > o.maxQueueBytes ? `${o.maxQueueBytes} bytes` : `${o.maxQueueEvents} events`;
      throw new QueueFullError(line.collection, this.droppedTotal, limit);
    }
    if (raw) {
      this.blobs.push({
        sink: line.sink,
        path: raw.path,
        body: raw.body,
        bytes: rawBytes,
        stats: line.stats,
      });
      this.bytes += rawBytes;
    }
    this.pending.push(line);
    this.pendingBytes += lineBytes;
    this.bytes += lineBytes;
    this.events++;
    line.stats.collected++;
    if (this.pendingBytes >= o.maxBatchBytes) {
      // A burst within one turn (a loop of collect() calls): encode and measure it now, so the byte limit is
      // held to the real sizes and a full batch starts without waiting for the end of the turn.
      this.encodePending();
      if (this.bytes >= o.maxBatchBytes) this.kick();
    } else if (!this.encodeScheduled) {
      this.encodeScheduled = true;
      setImmediate(this.encodeLater);
    }
    // Below a full batch, the timer writes what is queued.
    if (!this.timer && !this.writing) {
      this.timer = setTimeout(() => this.kick(), o.flushIntervalMs);
      this.timer.unref();
    }
  }

  /** Resolves when everything pushed before the call is written (or has failed for good). */
  async flush(): Promise<void> {
    while (this.events > 0 || this.blobs.length > 0 || this.writing) {
      if (!this.writing) this.startWrite();
      await this.writing;
    }
  }

  /**
   * Writes synchronously, for process exit: first what the async write in flight had not handed to its sink
   * (the file it is appending is the sink's to finish), then what is queued.
   */
  flushSync(): void {
    for (const w of this.unwritten) {
      const files = new Map(w.files);
      if (w.current !== undefined) files.delete(w.current);
      try {
        for (const b of w.blobs) w.sink.putSync?.(b.path, b.body);
        w.sink.appendSync?.(files);
      } catch {
        // the process is ending; the queued events below still get their chance
      }
    }
    this.unwritten = [];
    const batch = this.take();
    for (const [sink, group] of groupBySink(batch)) {
      try {
        if (!sink.appendSync || !sink.putSync)
          throw new Error(`${sink.description} cannot write synchronously`);
        for (const b of group.blobs) sink.putSync(b.path, b.body);
        sink.appendSync(filesOf(group.files));
        settle(group, true);
      } catch (err) {
        settle(group, false);
        this.report(group, new WriteFailedError(sink.description, countEvents(group.files), 1, err));
      }
    }
  }

  /**
   * Encodes the admitted lines into their files' buffers. Runs once at the end of each turn of the event loop
   * that pushed, as soon as a turn's lines add up to a batch, and before anything is taken for a write. A
   * request's events are collected while it is answered; encoding them afterwards, together, costs less than
   * encoding each in the middle of the HTTP work (+1 to +4 % req/s for a scoring server, depending on the run).
   * A line's parts are immutable strings or were read at push time, so the bytes are the same.
   */
  private encodePending(): void {
    const lines = this.pending;
    if (lines.length === 0) return;
    this.pending = [];
    this.pendingBytes = 0;
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i]!;
      this.bytes -= estimate(line);
      try {
        this.bytes += this.fileBuffer(line).add(line.encoder, line.fields);
      } catch (err) {
        // Not seen in practice (every part is a string by now); never let it escape into the event loop.
        this.events--;
        line.stats.failed++;
        this.options.onBackgroundError(new WriteFailedError(line.collection, 1, 1, err), line.stats);
      }
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
      fb = new FileBuffer(it.sink, it.path, it.stats, it.collection);
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
    const batch = this.take();
    this.inFlightEvents = countEvents(batch.files);
    this.writing = this.writeBatch(batch).finally(() => {
      this.writing = undefined;
      this.inFlightEvents = 0;
      if (this.events === 0 && this.blobs.length === 0) return;
      if (this.immediate || this.bytes >= this.options.maxBatchBytes) {
        this.immediate = false;
        this.startWrite();
      } else if (!this.timer) {
        this.timer = setTimeout(() => this.kick(), this.options.flushIntervalMs);
        this.timer.unref();
      }
    });
  }

  private take(): Batch {
    this.encodePending();
    const files: FileBuffer[] = [];
    for (const bySink of this.files.values()) for (const fb of bySink.values()) files.push(fb);
    const batch = { files, blobs: this.blobs };
    this.files = new Map();
    this.blobs = [];
    this.bytes = 0;
    this.events = 0;
    return batch;
  }

  private async writeBatch(batch: Batch): Promise<void> {
    const work = [...groupBySink(batch)].map(([sink, group]): InFlight & { group: Batch } => ({
      sink,
      group,
      files: filesOf(group.files),
      blobs: group.blobs.slice(),
    }));
    this.unwritten = work;
    for (const w of work) {
      const { sink, group, files, blobs } = w;
      const err = await this.withRetries(async () => {
        // Raw payloads first, so an event never points at a file that is not there yet. A retry redoes only
        // what is left: a file an earlier try appended to is not appended to twice.
        while (blobs.length > 0) {
          await sink.put(blobs[0]!.path, blobs[0]!.body);
          blobs.shift();
        }
        for (const [path, chunks] of files) {
          w.current = path;
          try {
            await sink.append(new Map([[path, chunks]]));
          } finally {
            w.current = undefined;
          }
          files.delete(path);
        }
      });
      if (err === undefined) settle(group, true);
      else {
        const failed = { files: group.files.filter((fb) => files.has(fb.path)), blobs };
        settle(
          {
            files: group.files.filter((fb) => !files.has(fb.path)),
            blobs: group.blobs.filter((b) => !blobs.includes(b)),
          },
          true,
        );
        settle(failed, false);
        this.report(
          failed,
          new WriteFailedError(sink.description, countEvents(failed.files), this.options.maxTries, err),
        );
      }
      // Settled (its slabs are back in the pool): nothing of this sink is left for an exit to write.
      files.clear();
      blobs.length = 0;
    }
    this.unwritten = [];
  }

  private report(group: Batch, err: Error): void {
    const stats = group.files[0]?.stats ?? group.blobs[0]?.stats;
    if (stats) this.options.onBackgroundError(err, stats);
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

/** The bytes a line is reckoned at until it is encoded: its data plus a generous envelope. */
function estimate(line: LineItem): number {
  return line.fields.dataJson.length + 600;
}

function blobBytes(body: Uint8Array | string): number {
  return typeof body === 'string' ? Buffer.byteLength(body) : body.byteLength;
}

function groupBySink(batch: Batch): Map<Sink, Batch> {
  const groups = new Map<Sink, { files: FileBuffer[]; blobs: Blob[] }>();
  const group = (sink: Sink) => {
    let g = groups.get(sink);
    if (!g) {
      g = { files: [], blobs: [] };
      groups.set(sink, g);
    }
    return g;
  };
  for (const fb of batch.files) group(fb.sink).files.push(fb);
  for (const b of batch.blobs) group(b.sink).blobs.push(b);
  return groups;
}

/** The chunks of each file, in order; a sink writes them with one vectored write per file. */
function filesOf(files: readonly FileBuffer[]): Map<string, readonly Uint8Array[]> {
  const out = new Map<string, readonly Uint8Array[]>();
  for (const fb of files) out.set(fb.path, fb.take());
  return out;
}

function settle(group: Batch, ok: boolean): void {
  for (const fb of group.files) {
    fb.release();
    if (ok) {
      fb.stats.written += fb.events;
      fb.stats.bytesWritten += fb.bytes;
    } else fb.stats.failed += fb.events;
  }
  for (const b of group.blobs) if (ok) b.stats.bytesWritten += b.bytes;
}

function countEvents(files: readonly FileBuffer[]): number {
  let n = 0;
  for (const fb of files) n += fb.events;
  return n;
}
