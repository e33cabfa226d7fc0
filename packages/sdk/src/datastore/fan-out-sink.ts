import { joinPath } from '../layout.js';
import { SpoolingSink } from '../spool/spooling-sink.js';
import type { CopyChannel, DestinationStats } from './copy-channel.js';
import type { FileBatch, FileResult, Sink } from './sink.js';

export type { DestinationStats } from './copy-channel.js';

/** What `runtime.stats()` and `/metrics` show of a destination: its counters and its datastore's spool. */
export interface DestinationSnapshot extends Readonly<DestinationStats> {
  /** Bytes in the datastore's spool, and those not yet delivered (0 for a local destination; shared by every copy into that datastore). */
  readonly spoolBytes: number;
  readonly spoolPendingBytes: number;
  /** Age of the oldest spooled byte not yet delivered, in ms (0 when all is delivered, or a local destination). */
  readonly deliveryLagMs: number;
  /** Upload passes of the datastore's spool that failed and were retried. */
  readonly uploadRetries: number;
}

const live = new Set<FanOutSink>();

/** The destinations of every runtime running in this process. */
export function destinationStats(): DestinationSnapshot[] {
  return [...live].flatMap((f) => f.destinationStats());
}

/** One copy of a collection's lines: its datastore's channel and the folder that replaces the collection's own. */
export interface CopyTarget {
  readonly channel: CopyChannel;
  /** The collection's folder in the copy's datastore (where {@link FanOutSink}'s `from` folder maps to). */
  readonly folder: string;
  readonly stats: DestinationStats;
  /** Records the copy in the workspace (copies.ts), once, before its first write: forget and retention find it there. */
  readonly record?: () => Promise<void>;
}

/**
 * Writes each batch to a collection's `data.path` datastore and hands a copy of its bytes to each destination's
 * channel (copy-channel.ts), which delivers it on its own: the queue encodes a line once, gets back only the
 * primary's outcome as soon as the primary is done, and retries only the primary. A destination that is slow,
 * hung or failing fills and drops from its own buffer, never holding up `data.path` or another destination. Raw
 * payloads stay in the primary, where the lines' `datainblob` pointers point.
 */
export class FanOutSink implements Sink {
  readonly description: string;
  /** Batches already handed to the copies, while the queue may still retry its primary write. */
  private readonly copied = new WeakSet<FileBatch>();
  /** Each copy's registration, started by its first batch (the channel writes only after it). */
  private readonly recorded = new Map<CopyTarget, Promise<void>>();

  constructor(
    private readonly primary: Sink,
    /** The collection's folder in the primary (every batch path starts with it). */
    private readonly from: string,
    readonly copies: readonly CopyTarget[],
  ) {
    this.description = primary.description;
    live.add(this);
  }

  write(batch: FileBatch): Promise<FileResult> {
    this.copy(batch);
    return this.primary.write(batch);
  }

  writeSync(batch: FileBatch): FileResult {
    if (!this.primary.writeSync) throw new Error(`${this.primary.description} cannot write synchronously`);
    if (!this.copied.has(batch)) {
      // At exit: what waits in each channel first, so a copy keeps the order of its lines.
      for (const c of this.copies) {
        c.channel.push(batch, this.pathIn(c, batch), c.stats, this.recordOf(c));
        c.channel.flushSync();
      }
      this.copied.add(batch);
    }
    return this.primary.writeSync(batch);
  }

  finishSync(): void {
    this.primary.finishSync?.();
    for (const c of this.copies) c.channel.flushSync();
  }

  // No beforeExit: the writers it feeds are the runtime's too (Targets.all), and each delivers once from there.

  /** The writers and channels are shared with other collections and closed by their owner (the runtime's Targets). */
  async close(): Promise<void> {
    live.delete(this);
  }

  destinationStats(): DestinationSnapshot[] {
    return this.copies.map((c) => {
      const sink = c.channel.sink;
      const spool = sink instanceof SpoolingSink ? sink.stats() : undefined;
      return {
        ...c.stats,
        spoolBytes: spool?.spoolBytes ?? 0,
        spoolPendingBytes: spool?.pendingBytes ?? 0,
        deliveryLagMs: spool?.deliveryLagMs ?? 0,
        uploadRetries: spool?.retries ?? 0,
      };
    });
  }

  private copy(batch: FileBatch): void {
    if (this.copied.has(batch)) return;
    this.copied.add(batch);
    for (const c of this.copies) c.channel.push(batch, this.pathIn(c, batch), c.stats, this.recordOf(c));
  }

  private recordOf(c: CopyTarget): Promise<void> | undefined {
    if (!c.record) return undefined;
    let p = this.recorded.get(c);
    if (!p) {
      p = c.record();
      this.recorded.set(c, p);
    }
    return p;
  }

  private pathIn(c: CopyTarget, batch: FileBatch): string {
    const rest = this.from ? batch.path.slice(this.from.length + 1) : batch.path;
    return joinPath(c.folder, rest);
  }
}
