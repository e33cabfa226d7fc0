import type { DestinationSnapshot } from './datastore/fan-out-sink.js';

/** Counters of one collection, as the stats API and `/metrics` expose them. */
export interface CollectionStats {
  /** Events accepted into the queue. */
  collected: number;
  /** Events not kept because of `sampling_rate`. */
  sampledOut: number;
  /** collect() calls ignored because the deployment YAML does not enable the collection. */
  disabled: number;
  /** collect() calls refused because the data was invalid (MDC_NOT_TABULAR). */
  rejected: number;
  /** Events dropped because the queue was full (MDC_QUEUE_FULL). */
  dropped: number;
  /** Events lost because writing failed after every retry (MDC_WRITE_FAILED). */
  failed: number;
  /** Events written to the datastore. */
  written: number;
  /** Bytes of event lines and raw payloads written. */
  bytesWritten: number;
}

export function emptyStats(): CollectionStats {
  return {
    collected: 0,
    sampledOut: 0,
    disabled: 0,
    rejected: 0,
    dropped: 0,
    failed: 0,
    written: 0,
    bytesWritten: 0,
  };
}

/** The whole runtime's view: the queue and every collection. */
export interface RuntimeStats {
  readonly instanceId: string;
  readonly queue: {
    readonly events: number;
    readonly bytes: number;
    readonly maxEvents: number;
    readonly maxBytes: number;
    /** Events handed to the datastore and not yet confirmed. */
    readonly inFlight: number;
    /** Write attempts that failed and were retried. */
    readonly retries: number;
    /** Writes that did not finish within `writeTimeoutMs` (MDC_WRITE_TIMEOUT); their events count as failed. */
    readonly timeouts: number;
  };
  readonly collections: Readonly<Record<string, Readonly<CollectionStats>>>;
  /** Every copy of a collection besides its `data.path` (`data_collector.destinations`): counters, lag, spool. */
  readonly destinations: readonly DestinationSnapshot[];
}
