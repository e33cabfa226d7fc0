/** Delivery counters of one cloud datastore, as the stats API and `/metrics` expose them. */
export interface DatastoreStats {
  /** The datastore's name in the workspace. */
  readonly datastore: string;
  /** `azure_blob` or `s3`. */
  readonly type: string;
  /** Where the data goes (never holds secrets). */
  readonly description: string;
  /** `ok` when the last upload worked (or none was needed), `retrying` while uploads fail. */
  readonly state: 'starting' | 'ok' | 'retrying';
  /** Bytes in the local spool (undelivered, plus delivered bytes kept for S3 assembly). */
  readonly spoolBytes: number;
  /** The spool's bound (`max_spool_bytes`). */
  readonly maxSpoolBytes: number;
  /** Spooled bytes not yet in the datastore. */
  readonly pendingBytes: number;
  /** Files and objects in the spool. */
  readonly spoolFiles: number;
  /** Age of the oldest spooled byte not yet delivered, in ms (0 when everything is delivered). */
  readonly deliveryLagMs: number;
  /** Event lines stored in the datastore by this process. */
  readonly deliveredEvents: number;
  /** Bytes of lines and raw payloads stored in the datastore by this process. */
  readonly deliveredBytes: number;
  /** Successful upload requests. */
  readonly uploads: number;
  /** Upload passes that failed and were retried later. */
  readonly retries: number;
  /** Failed upload attempts (each is retried; data is not lost). */
  readonly failures: number;
  /** Event lines dropped because the spool was full (MDC_SPOOL_FULL). */
  readonly droppedEvents: number;
  readonly droppedBytes: number;
  /** The last upload error, if the last attempt failed. */
  readonly lastError?: { readonly code: string; readonly message: string; readonly atMs: number };
}
