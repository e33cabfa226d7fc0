/**
 * The contract between the queue and a datastore: the queue hands over one file's new lines at a time, with
 * everything it knows about them, and gets back what became of them.
 */

/** A raw payload (`datainblob`) that one line of the batch points at; stored before the line. */
export interface PayloadFile {
  /** Path relative to the sink's root, `<collection folder>/<yyyy>/…/<event id>`. */
  readonly path: string;
  readonly body: Uint8Array | string;
  readonly bytes: number;
  /** Where the line that points at it sits in the batch's bytes: `[lineStart, lineEnd)`, newline included. */
  readonly lineStart: number;
  readonly lineEnd: number;
}

/** One file's new lines: whole UTF-8 lines, in order. */
export interface FileBatch {
  /** The file, relative to the sink's root: `<collection folder>/<yyyy>/<mm>/<dd>/<hh>/<instance>.jsonl`. */
  readonly path: string;
  /** The bytes, not copied: they are reused once the write settles, so a sink that keeps them copies them. */
  readonly chunks: readonly Uint8Array[];
  readonly bytes: number;
  /** Lines (events) in {@link chunks}. */
  readonly events: number;
  /** The collection the events belong to. */
  readonly collection: string;
  /** When the file's time partition ends (ms since the epoch): no later event goes to this path. */
  readonly periodEnd: number;
  /** The raw payloads the lines point at, in line order. */
  readonly payloads: readonly PayloadFile[];
}

/** What a datastore did with a batch. */
export interface FileResult {
  /** Events it dropped on purpose (e.g. its spool was full), counted for the batch's collection. */
  readonly dropped: number;
  /** Why, to report to the collection (a coded MdcError); a sink may report a recurring cause only now and then. */
  readonly error?: Error;
}

/** Everything stored. */
export const STORED: FileResult = Object.freeze({ dropped: 0 });

/**
 * Where batches of collected events go. The queue calls `write` for one file at a time, never again before the
 * previous call settled. A rejection is retried by the queue (the only layer that retries a write), so a write
 * must be safe to repeat: payloads are whole objects (rewritten), and lines are appended only by a call that got
 * as far as writing them.
 */
export interface Sink {
  /** Human-readable target, e.g. `local:/data/ws/datastores/workspaceblobstore` (never holds secrets). */
  readonly description: string;
  /** Stores the batch's payloads, then appends its lines. */
  write(batch: FileBatch): Promise<FileResult>;
  /** The same, synchronously: at process exit, when no more async work can run. */
  writeSync?(batch: FileBatch): FileResult;
  /**
   * At process exit, before the queue's {@link writeSync} calls: finishes a `write` that had started and not
   * written its lines yet (it is the sink's to finish; the queue hands over only batches it had not started).
   */
  finishSync?(): void;
  /**
   * The process is about to end on its own (its event loop emptied) and the queue is flushed: deliver what the
   * sink holds, once and bounded in time (a spool uploads). Undefined when there is nothing to do.
   */
  beforeExit?(): Promise<void> | undefined;
  close(): Promise<void>;
}

/** A sink that keeps everything in memory: for tests and for embedding. */
export class MemorySink implements Sink {
  readonly description = 'memory';
  readonly files = new Map<string, string>();
  readonly objects = new Map<string, Uint8Array | string>();
  async write(batch: FileBatch): Promise<FileResult> {
    return this.writeSync(batch);
  }
  writeSync(batch: FileBatch): FileResult {
    for (const p of batch.payloads) this.objects.set(p.path, p.body);
    const text = Buffer.concat(batch.chunks as Uint8Array[]).toString('utf8');
    this.files.set(batch.path, (this.files.get(batch.path) ?? '') + text);
    return STORED;
  }
  async close(): Promise<void> {}
}
