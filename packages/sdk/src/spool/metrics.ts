import type { DatastoreStats } from './stats.js';

type NumericKey = {
  [K in keyof DatastoreStats]: DatastoreStats[K] extends number ? K : never;
}[keyof DatastoreStats];

/**
 * The Prometheus series of {@link DatastoreStats}, one per numeric field, each labelled `datastore`: a
 * metrics host (the server's `/metrics`) registers one collector per row and reads `datastoreStats()` at
 * scrape time, so the SDK stays free of prom-client. `mdc_datastore_up` is 0 while uploads fail.
 */
export const DATASTORE_METRICS: ReadonlyArray<
  readonly [field: NumericKey, name: string, type: 'counter' | 'gauge', help: string]
> = [
  [
    'deliveryLagMs',
    'mdc_datastore_delivery_lag_ms',
    'gauge',
    'Age of the oldest spooled byte not yet in storage',
  ],
  ['spoolBytes', 'mdc_datastore_spool_bytes', 'gauge', 'Bytes in the local spool'],
  ['maxSpoolBytes', 'mdc_datastore_spool_max_bytes', 'gauge', 'Bound of the local spool (max_spool_bytes)'],
  ['pendingBytes', 'mdc_datastore_pending_bytes', 'gauge', 'Spooled bytes not yet delivered'],
  [
    'deliveredEvents',
    'mdc_datastore_events_delivered_total',
    'counter',
    'Event lines stored in the datastore',
  ],
  ['deliveredBytes', 'mdc_datastore_bytes_delivered_total', 'counter', 'Bytes stored in the datastore'],
  ['retries', 'mdc_datastore_upload_retries_total', 'counter', 'Upload passes retried after a failure'],
  [
    'failures',
    'mdc_datastore_upload_failures_total',
    'counter',
    'Failed upload attempts (data kept in the spool)',
  ],
  [
    'droppedEvents',
    'mdc_datastore_events_dropped_total',
    'counter',
    'Events dropped because the spool was full',
  ],
];

/** 1 when the datastore's last upload worked (or none was needed yet), 0 while uploads fail. */
export function datastoreUp(stats: DatastoreStats): number {
  return stats.state === 'retrying' ? 0 : 1;
}
