/**
 * Where batches of collected events go. A sink receives whole lines only, grouped by file, one batch at a
 * time (the pipeline never calls `append` again before the previous call settled).
 */
export interface Sink {
  /** Human-readable target, e.g. `local:/data/ws/datastores/workspaceblobstore` (never holds secrets). */
  readonly description: string;
  /**
   * Appends to each file (paths relative to the sink's root) its chunks, in order: UTF-8, whole lines.
   * The chunks are reused after the promise settles: copy them if they are kept.
   */
  append(files: ReadonlyMap<string, readonly Uint8Array[]>): Promise<void>;
  /** Writes a whole object (a large or binary payload). */
  put(path: string, body: Uint8Array | string): Promise<void>;
  /**
   * Synchronous variants used at process exit, when no more async work can run. `appendSync` also gets the
   * files an interrupted async write had not handed over yet; an `append` already called is the sink's own
   * to finish (LocalFileSink writes it here when its file was still opening).
   */
  appendSync?(files: ReadonlyMap<string, readonly Uint8Array[]>): void;
  putSync?(path: string, body: Uint8Array | string): void;
  close(): Promise<void>;
}

/** A sink that keeps everything in memory: for tests and for embedding. */
export class MemorySink implements Sink {
  readonly description = 'memory';
  readonly files = new Map<string, string>();
  readonly objects = new Map<string, Uint8Array | string>();
  async append(files: ReadonlyMap<string, readonly Uint8Array[]>): Promise<void> {
    this.appendSync(files);
  }
  appendSync(files: ReadonlyMap<string, readonly Uint8Array[]>): void {
    for (const [path, chunks] of files) {
      this.files.set(path, (this.files.get(path) ?? '') + Buffer.concat(chunks).toString('utf8'));
    }
  }
  async put(path: string, body: Uint8Array | string): Promise<void> {
    this.objects.set(path, body);
  }
  putSync(path: string, body: Uint8Array | string): void {
    this.objects.set(path, body);
  }
  async close(): Promise<void> {}
}
