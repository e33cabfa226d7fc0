import type { DatastoreConfig } from '../workspace.js';

/**
 * What a cloud datastore package gives the spool: idempotent writes at known offsets. The spool owns
 * ordering, retries and durability; an uploader only talks to its store. Paths are relative to the
 * datastore (the uploader adds the datastore's `prefix`).
 */
export interface Uploader {
  /** Human-readable target, e.g. `azure-blob:https://acct.blob.core.windows.net/ctr` (never holds secrets). */
  readonly description: string;
  /** Most bytes one {@link write} may carry. */
  readonly maxWriteBytes: number;
  /**
   * Whether the store wants each file whole once its rolled period is over (S3: objects are immutable, so
   * parts are assembled into `{instance_id}.jsonl`); the spool then keeps a file's bytes until {@link complete}.
   */
  readonly assemblesAtClose: boolean;
  /**
   * The store holds messages, not files (a NATS JetStream stream): {@link length} only knows what this process
   * sent, so a spool file a dead process left is sent again from its start, with no length check (a file's
   * MDC_UPLOAD_CONFLICT does not apply), and the store's duplicate window removes what had landed.
   */
  readonly stream?: boolean;
  /** Throws a clear UploadFailedError when the container/bucket is missing or the credentials are refused. */
  check(options?: { signal?: AbortSignal }): Promise<void>;
  /** Length of `path` as readers see it (0 when absent): where a new spool file continues. */
  length(path: string): Promise<number>;
  /**
   * Stores `body` at `[offset, offset + body.length)` of `path`. Idempotent: repeating a write that already
   * landed succeeds without storing the bytes twice. Throws UploadConflictError when the stored file is
   * neither `offset` nor `offset + body.length` long. `body` is the uploader's from the call on (the spool reads
   * each range into memory of its own and never looks at it again): it may move it to a thread.
   */
  write(path: string, offset: number, body: Uint8Array): Promise<void>;
  /** Stores a whole object (a `datainblob` payload). Idempotent by nature. */
  put(path: string, body: Uint8Array): Promise<void>;
  /** Stores the whole file (`size` bytes, read in ranges with `read`) at `path`, replacing its parts (see assemblesAtClose). */
  complete?(
    path: string,
    size: number,
    read: (start: number, end: number) => Promise<Uint8Array>,
  ): Promise<void>;
  close(): Promise<void>;
}

/** Options a datastore package receives besides the workspace entry. */
export interface UploaderContext {
  /** The datastore's name in the workspace (for messages). */
  readonly datastore: string;
  readonly env: NodeJS.ProcessEnv;
}

/** The module shape of `@model-data-collector/azure-blob` and `@model-data-collector/s3`. */
export interface DatastorePackage {
  createUploader(config: DatastoreConfig, context: UploaderContext): Uploader | Promise<Uploader>;
}
