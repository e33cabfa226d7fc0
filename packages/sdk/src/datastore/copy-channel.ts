import { MdcError, QueueFullError, WriteFailedError, WriteTimeoutError } from '../errors.js';
import { retryDelay } from '../pipeline/retry.js';
import type { FileBatch, FileResult, Sink } from './sink.js';

/** Counters of one destination of one collection (a copy besides its `data.path`). */
export interface DestinationStats {
  /** The collection whose events are copied. */
  readonly collection: string;
  /** The copy's folder as a user names it, `azureml://datastores/<ds>/paths/<folder>`. */
  readonly destination: string;
  /** The datastore's name in the workspace. */
  readonly datastore: string;
  /** `local`, `azure_blob`, `s3` or `nats`. */
  readonly type: string;
  /** Events the destination's writer stored (for a spooled datastore: in its spool, delivered from there). */
  written: number;
  bytesWritten: number;
  /** Events this destination lost: its buffer was full, every try failed, or its writer dropped them (spool full). */
  dropped: number;
  /** Writes tried again after a failure. */
  retries: number;
  /** Writes that passed `writeTimeoutMs` (reported as MDC_WRITE_TIMEOUT, still waited for). */
  timeouts: number;
  /** Lag: events and bytes waiting in the destination's buffer, the one being written included. */
  queuedEvents: number;
  queuedBytes: number;
}

/** How a destination's buffer delivers. */
export interface CopyChannelOptions {
  /** Most bytes waiting for the destination's writer; past it new batches are dropped and counted. */
  readonly maxQueueBytes: number;
  /** Tries of one batch, counting the first, before its events are dropped. */
  readonly maxTries: number;
  readonly retryDelayMs: number;
  readonly maxRetryDelayMs: number;
  /** A write still running after this is reported (MDC_WRITE_TIMEOUT); flush() stops waiting for it. */
  readonly writeTimeoutMs: number;
  /** Background errors, with the collection they concern. */
  readonly onError: (err: Error) => void;
}

/** A batch copied for one destination, and whose counters it moves. */
interface Item {
  readonly batch: FileBatch;
  readonly stats: DestinationStats;
  /** Settles before the batch is written (the copy's registration in the workspace; it reports its own error). */
  readonly ready: Promise<void> | undefined;
}

const DROP_REPORT_INTERVAL_MS = 60_000;

/**
 * The delivery of one destination datastore's copies: a bounded buffer in front of its writer, drained one write
 * at a time (a writer never gets a second write before the first settled), each retried with the write path's
 * backoff and dropped after `maxTries`. The collection's `data.path` write never waits for it: a hung or failing
 * destination fills only its own buffer, and what does not fit is dropped and counted for that destination.
 */
export class CopyChannel {
  private items: Item[] = [];
  private bytes = 0;
  private running: Promise<void> | undefined;
  /** The head item is inside the writer's `write` (not between tries): at exit the writer finishes it. */
  private inWrite = false;
  /** The write in flight passed `writeTimeoutMs`: flush() no longer waits for it. */
  private stuck = false;
  private closed = false;
  private waiters: (() => void)[] = [];
  private droppedTotal = 0;
  private lastDropReport = 0;

  constructor(
    readonly sink: Sink,
    private readonly o: CopyChannelOptions,
  ) {}

  /** Copies the batch's bytes (the queue reuses them once its own write settles) and returns at once. */
  push(batch: FileBatch, path: string, stats: DestinationStats, ready?: Promise<void>): void {
    if (batch.bytes === 0) return;
    if (this.closed || this.bytes + batch.bytes > this.o.maxQueueBytes) {
      this.drop(stats, batch.events, this.closed);
      return;
    }
    const copy: FileBatch = {
      path,
      chunks: copySlabs(batch.chunks, batch.bytes),
      bytes: batch.bytes,
      events: batch.events,
      collection: batch.collection,
      periodEnd: batch.periodEnd,
      payloads: [],
    };
    this.items.push({ batch: copy, stats, ready });
    this.bytes += copy.bytes;
    stats.queuedEvents += copy.events;
    stats.queuedBytes += copy.bytes;
    this.running ??= this.pump();
  }

  /**
   * Resolves when every batch pushed so far is written or dropped, or when the write in flight has run past
   * `writeTimeoutMs` (a hung destination must not hold up a flush; its batches stay counted as queued).
   */
  async flush(): Promise<void> {
    while (this.running && !this.stuck) await new Promise<void>((r) => this.waiters.push(r));
  }

  /** At process exit: the writer finishes the write it started, then what waits is written synchronously. */
  flushSync(): void {
    if (this.items.length === 0) return;
    if (this.stuck) {
      // A write past its timeout means the storage hangs: a synchronous write would hang the exit too.
      this.close();
      return;
    }
    try {
      this.sink.finishSync?.();
    } catch {
      // the process is ending; the batches below still get their chance
    }
    // The head is the writer's while inside its write (finished above, or its lines already issued).
    const rest = this.inWrite ? this.items.splice(1) : this.items.splice(0);
    for (const it of rest) {
      let r: FileResult;
      try {
        if (!this.sink.writeSync) throw new Error(`${this.sink.description} cannot write synchronously`);
        r = this.sink.writeSync(it.batch);
      } catch (err) {
        r = { dropped: it.batch.events, error: toError(err) };
      }
      this.settle(it, r, 1);
    }
  }

  /** No more batches: what still waits behind a write in flight is dropped and counted. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    const rest = this.running ? this.items.splice(1) : this.items.splice(0);
    for (const it of rest) {
      this.unqueue(it);
      releaseSlabs(it.batch.chunks);
    }
    for (const it of rest) this.drop(it.stats, it.batch.events, true);
    this.wake();
  }

  private async pump(): Promise<void> {
    while (this.items.length > 0) {
      const it = this.items[0]!;
      if (it.ready) await it.ready;
      const [r, tries] = await this.writeOne(it);
      // flushSync or close may have taken the head already.
      if (this.items[0] === it) {
        this.items.shift();
        this.settle(it, r, tries);
      }
      this.wake();
      if (this.closed) break;
    }
    this.running = undefined;
    this.wake();
  }

  /** One batch, retried with backoff; the result and how many tries it took. */
  private async writeOne(it: Item): Promise<[FileResult, number]> {
    const { maxTries, retryDelayMs, maxRetryDelayMs } = this.o;
    for (let attempt = 1; ; attempt++) {
      try {
        return [await this.watched(it), attempt];
      } catch (err) {
        if (attempt >= maxTries || this.closed)
          return [{ dropped: it.batch.events, error: toError(err) }, attempt];
        it.stats.retries++;
        await new Promise((r) => setTimeout(r, retryDelay(attempt, retryDelayMs, maxRetryDelayMs)));
      }
    }
  }

  /** The writer's own promise: past `writeTimeoutMs` it is reported once and still waited for. */
  private async watched(it: Item): Promise<FileResult> {
    const timer = setTimeout(() => {
      this.stuck = true;
      it.stats.timeouts++;
      this.o.onError(new WriteTimeoutError(it.stats.destination, it.batch.events, this.o.writeTimeoutMs));
      this.wake();
    }, this.o.writeTimeoutMs);
    timer.unref();
    this.inWrite = true;
    try {
      return await this.sink.write(it.batch);
    } finally {
      this.inWrite = false;
      this.stuck = false;
      clearTimeout(timer);
    }
  }

  private settle(it: Item, r: FileResult, tries: number): void {
    this.unqueue(it);
    releaseSlabs(it.batch.chunks);
    const s = it.stats;
    const dropped = Math.min(r.dropped, it.batch.events);
    s.written += it.batch.events - dropped;
    s.dropped += dropped;
    if (dropped < it.batch.events) s.bytesWritten += it.batch.bytes;
    if (r.error) {
      const coded = String((r.error as { code?: unknown }).code).startsWith('MDC_');
      this.o.onError(
        dropped > 0 && !coded ? new WriteFailedError(s.destination, dropped, tries, r.error) : r.error,
      );
    }
  }

  private unqueue(it: Item): void {
    this.bytes -= it.batch.bytes;
    it.stats.queuedEvents -= it.batch.events;
    it.stats.queuedBytes -= it.batch.bytes;
  }

  /** Counts a drop (a full buffer, or a shut-down runtime); a full buffer is reported at most once a minute. */
  private drop(stats: DestinationStats, events: number, closed: boolean): void {
    stats.dropped += events;
    this.droppedTotal += events;
    if (closed) {
      const message = `${stats.destination}: ${events} event(s) dropped, the runtime shut down before they were copied`;
      this.o.onError(new MdcError('MDC_WRITE_FAILED', message));
      return;
    }
    const now = Date.now();
    if (this.lastDropReport !== 0 && now - this.lastDropReport < DROP_REPORT_INTERVAL_MS) return;
    this.lastDropReport = now;
    const limit = `${this.o.maxQueueBytes} bytes wait for ${this.sink.description}`;
    this.o.onError(
      new QueueFullError(`${stats.collection} (copy to ${stats.destination})`, this.droppedTotal, limit),
    );
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const r of w) r();
  }
}

const SLAB_BYTES = 64 * 1024;
/** Copies reuse memory already touched: a fresh buffer per batch costs a page fault per 4 KiB (see docs/performance.md). */
const slabPool: Buffer[] = [];
const POOL_SLABS = 64;

/** The batch's bytes copied into pooled 64 KiB slabs (a line may span two: writers take the chunks in order). */
function copySlabs(chunks: readonly Uint8Array[], bytes: number): Buffer[] {
  const out: Buffer[] = [];
  let slab: Buffer | undefined;
  let at = 0;
  for (const c of chunks) {
    let from = 0;
    while (from < c.byteLength) {
      if (!slab || at === slab.length) {
        if (slab) out.push(slab);
        slab = slabPool.pop() ?? Buffer.allocUnsafeSlow(SLAB_BYTES);
        at = 0;
      }
      const n = Math.min(c.byteLength - from, slab.length - at);
      slab.set(c.subarray(from, from + n), at);
      from += n;
      at += n;
    }
  }
  if (slab) out.push(at === slab.length ? slab : slab.subarray(0, at));
  return bytes === 0 ? [] : out;
}

/** Gives a settled copy's slabs back to the pool. */
function releaseSlabs(chunks: readonly Uint8Array[]): void {
  for (const c of chunks) {
    if (slabPool.length >= POOL_SLABS || c.buffer.byteLength !== SLAB_BYTES) continue;
    slabPool.push(Buffer.from(c.buffer, 0, SLAB_BYTES));
  }
}

function toError(err: unknown): Error {
  return err instanceof Error ? err : new Error(String(err));
}
