import type { DestinationSnapshot } from './fan-out-sink.js';

type NumericKey = {
  [K in keyof DestinationSnapshot]: DestinationSnapshot[K] extends number ? K : never;
}[keyof DestinationSnapshot];

/**
 * The Prometheus series of {@link DestinationSnapshot}, one per numeric field, each labelled `collection`,
 * `destination` and `datastore`: a metrics host reads `runtime.stats().destinations` at scrape time.
 */
export const DESTINATION_METRICS: ReadonlyArray<
  readonly [field: NumericKey, name: string, type: 'counter' | 'gauge', help: string]
> = [
  [
    'written',
    'mdc_destination_events_written_total',
    'counter',
    "Events stored by a destination's writer (its spool, for a cloud or NATS one)",
  ],
  [
    'bytesWritten',
    'mdc_destination_bytes_written_total',
    'counter',
    "Bytes stored by a destination's writer",
  ],
  [
    'dropped',
    'mdc_destination_events_dropped_total',
    'counter',
    'Events a destination lost (its buffer full, every try failed, its spool full); data.path and other copies unaffected',
  ],
  ['retries', 'mdc_destination_write_retries_total', 'counter', 'Writes to a destination tried again'],
  [
    'timeouts',
    'mdc_destination_write_timeouts_total',
    'counter',
    'Writes to a destination still running after writeTimeoutMs',
  ],
  ['queuedEvents', 'mdc_destination_lag_events', 'gauge', "Events waiting in a destination's buffer"],
  ['queuedBytes', 'mdc_destination_lag_bytes', 'gauge', "Bytes waiting in a destination's buffer"],
  [
    'spoolBytes',
    'mdc_destination_spool_bytes',
    'gauge',
    "Bytes in the spool of a destination's datastore (shared by the copies into it)",
  ],
  [
    'spoolPendingBytes',
    'mdc_destination_spool_pending_bytes',
    'gauge',
    "Bytes in the spool of a destination's datastore not yet delivered",
  ],
  [
    'deliveryLagMs',
    'mdc_destination_delivery_lag_ms',
    'gauge',
    "Age of the oldest byte in the destination's spool not yet delivered",
  ],
  [
    'uploadRetries',
    'mdc_destination_upload_retries_total',
    'counter',
    "Upload passes of the destination's spool retried after a failure",
  ],
];
