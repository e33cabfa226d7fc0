import { WriteFailedError } from '../errors.js';
import { joinPath } from '../layout.js';
import type { FileBatch, FileResult, Sink } from './sink.js';

/** Counters of one destination of one collection (a copy besides its `data.path`). */
export interface DestinationStats {
  /** The collection whose events are copied. */
  readonly collection: string;
  /** The copy's folder as a user names it, `azureml://datastores/<ds>/paths/<folder>`. */
  readonly destination: string;
  /** The datastore's name in the workspace. */
  readonly datastore: string;
  /** Events handed to the destination's writer (for a spooled datastore: in its spool, delivered from there). */
  written: number;
  /** Events the destination's writer refused or dropped (a spool full, a local disk error). */
  failed: number;
  bytesWritten: number;
}

const live = new Set<FanOutSink>();

/** The counters of every destination of the runtimes running in this process (for `/metrics`). */
export function destinationStats(): DestinationStats[] {
  return [...live].flatMap((f) => f.copies.map((c) => ({ ...c.stats })));
}

/** One copy of a collection's lines: its writer and the folder that replaces the collection's own. */
export interface CopyTarget {
  readonly sink: Sink;
  /** The collection's folder in the copy's datastore (where {@link FanOutSink}'s `from` folder maps to). */
  readonly folder: string;
  readonly stats: DestinationStats;
}

/**
 * Writes each batch to a collection's `data.path` datastore and to its copies at once: the queue encodes a line
 * once and the same bytes go to every writer. Only the primary's outcome goes back to the queue (which retries it
 * alone: copies already stored are not written again); a copy's failure is counted for that destination and
 * reported, never retried into the others. Raw payloads stay in the primary, where the lines' `datainblob`
 * pointers point. A spooled copy (cloud, NATS) only appends to its local spool here, so no copy waits on a network.
 */
export class FanOutSink implements Sink {
  readonly description: string;
  /** Copies a batch already went to, while the queue may still retry its primary write. */
  private readonly copied = new WeakMap<FileBatch, true>();

  constructor(
    private readonly primary: Sink,
    /** The collection's folder in the primary (every batch path starts with it). */
    private readonly from: string,
    readonly copies: readonly CopyTarget[],
    private readonly onError: (err: Error) => void,
  ) {
    this.description = primary.description;
    live.add(this);
  }

  async write(batch: FileBatch): Promise<FileResult> {
    if (!this.copied.has(batch)) {
      this.copied.set(batch, true);
      const first = this.primary.write(batch);
      const copies = this.copies.map((c) =>
        c.sink.write(this.copyOf(batch, c)).then(
          (r) => this.settle(c, batch, r),
          (err: unknown) => this.settle(c, batch, { dropped: batch.events, error: toError(err) }),
        ),
      );
      // Every writer settles before the queue moves on (none gets a second write while one runs); the queue
      // sees only the primary's outcome.
      const [r] = await Promise.allSettled([first, ...copies]);
      if (r!.status === 'rejected') throw r!.reason;
      return r!.value as FileResult;
    }
    return this.primary.write(batch);
  }

  writeSync(batch: FileBatch): FileResult {
    if (!this.primary.writeSync) throw new Error(`${this.primary.description} cannot write synchronously`);
    if (!this.copied.has(batch)) {
      this.copied.set(batch, true);
      for (const c of this.copies) {
        try {
          if (!c.sink.writeSync) throw new Error(`${c.sink.description} cannot write synchronously`);
          this.settle(c, batch, c.sink.writeSync(this.copyOf(batch, c)));
        } catch (err) {
          this.settle(c, batch, { dropped: batch.events, error: toError(err) });
        }
      }
    }
    return this.primary.writeSync(batch);
  }

  finishSync(): void {
    this.primary.finishSync?.();
    for (const c of this.copies) c.sink.finishSync?.();
  }

  // No beforeExit: the writers it feeds are the runtime's too (Targets.all), and each delivers once from there.

  /** The writers are shared with other collections and closed by their owner (the runtime's Targets). */
  async close(): Promise<void> {
    live.delete(this);
  }

  private copyOf(batch: FileBatch, c: CopyTarget): FileBatch {
    const rest = this.from ? batch.path.slice(this.from.length + 1) : batch.path;
    return { ...batch, path: joinPath(c.folder, rest), payloads: [] };
  }

  private settle(c: CopyTarget, batch: FileBatch, r: FileResult): void {
    const dropped = Math.min(r.dropped, batch.events);
    c.stats.written += batch.events - dropped;
    c.stats.failed += dropped;
    if (dropped < batch.events) c.stats.bytesWritten += batch.bytes;
    if (r.error) {
      this.onError(
        dropped > 0 && !String((r.error as { code?: unknown }).code).startsWith('MDC_')
          ? new WriteFailedError(c.stats.destination, dropped, 1, r.error)
          : r.error,
      );
    }
  }
}

function toError(err: unknown): Error {
  return err instanceof Error ? err : new Error(String(err));
}
