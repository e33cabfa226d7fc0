import cluster from 'node:cluster';
import {
  DATASTORE_METRICS,
  type DataCollectorRuntime,
  DESTINATION_METRICS,
  datastoreStats,
  datastoreUp,
} from 'model-data-collector/internal';
import { AggregatorRegistry, Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { ModelIoStats } from './model-io/index.js';

/** The Prometheus metrics of one `mdc serve` / `mdc proxy` process. */
export interface ServerMetrics {
  readonly registry: Registry;
  readonly requests: Counter<'route' | 'method' | 'status'>;
  readonly duration: Histogram<'route' | 'method'>;
  readonly inFlight: Gauge;
  readonly ready: Gauge;
  /** Prometheus text of this process, or of every worker when running under `instance_count` > 1. */
  text(): Promise<string>;
}

const STAT_COUNTERS = [
  ['collected', 'mdc_collection_events_collected_total', 'Events accepted into the queue'],
  ['dropped', 'mdc_collection_events_dropped_total', 'Events dropped because the queue was full'],
  ['written', 'mdc_collection_events_written_total', 'Events written to the datastore'],
  ['failed', 'mdc_collection_events_failed_total', 'Events lost after every write retry failed'],
  ['sampledOut', 'mdc_collection_events_sampled_out_total', 'Events not kept because of sampling_rate'],
  [
    'rejected',
    'mdc_collection_events_rejected_total',
    'collect() calls refused because the data was not a table',
  ],
  ['bytesWritten', 'mdc_collection_bytes_written_total', 'Bytes of event lines and raw payloads written'],
] as const;

/**
 * Builds the registry: HTTP counters and latency, plus the data collector's own counters read from
 * `runtime.stats()` at scrape time (so the hot path pays nothing for them).
 */
export function createMetrics(
  runtime: DataCollectorRuntime,
  extra: {
    payloadErrors?: () => ReadonlyMap<string, number>;
    workerRestarts?: () => ReadonlyMap<string, number>;
    sidecarPosts?: () => ReadonlyMap<string, number>;
    modelIo?: () => ModelIoStats;
    /** Streamed answers collected, by how they ended (`streamstatus`). */
    streams?: () => ReadonlyMap<string, number>;
  } = {},
): ServerMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const requests = new Counter({
    name: 'mdc_http_requests_total',
    help: 'HTTP requests answered, by route, method and status',
    labelNames: ['route', 'method', 'status'] as const,
    registers: [registry],
  });
  const duration = new Histogram({
    name: 'mdc_http_request_duration_seconds',
    help: 'Time from request received to response sent',
    labelNames: ['route', 'method'] as const,
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  const inFlight = new Gauge({
    name: 'mdc_http_requests_in_flight',
    help: 'Requests being handled',
    registers: [registry],
  });
  const ready = new Gauge({
    name: 'mdc_ready',
    help: 'Instances whose init() finished and that accept scoring requests',
    registers: [registry],
  });
  for (const [key, name, help] of STAT_COUNTERS) {
    new Counter({
      name,
      help,
      labelNames: ['collection'] as const,
      registers: [registry],
      collect() {
        this.reset();
        for (const [collection, s] of Object.entries(runtime.stats().collections)) {
          this.inc({ collection }, s[key]);
        }
      },
    });
  }
  new Counter({
    name: 'mdc_redactions_total',
    help: 'Values and pattern matches replaced by data_collector.redact rules, by collection and rule',
    labelNames: ['collection', 'rule'] as const,
    registers: [registry],
    collect() {
      this.reset();
      for (const collection of runtime.collectionNames) {
        for (const [rule, n] of runtime.collection(collection).redactor?.counts ?? [])
          this.inc({ collection, rule }, n);
      }
    },
  });
  new Counter({
    name: 'mdc_collection_errors_total',
    help: 'Payload-logging errors (the request was still answered)',
    labelNames: ['collection'] as const,
    registers: [registry],
    collect() {
      this.reset();
      for (const [collection, n] of extra.payloadErrors?.() ?? []) this.inc({ collection }, n);
    },
  });
  const mapCounter = (name: string, help: string, label: string, read: () => ReadonlyMap<string, number>) =>
    new Counter({
      name,
      help,
      labelNames: [label],
      registers: [registry],
      collect() {
        this.reset();
        for (const [key, n] of read()) this.inc({ [label]: key }, n);
      },
    });
  if (extra.workerRestarts) {
    mapCounter(
      'mdc_python_worker_restarts_total',
      'Python workers restarted after they exited (reason exit) or a run() passed the timeout (reason timeout)',
      'reason',
      extra.workerRestarts,
    );
  }
  if (extra.sidecarPosts) {
    mapCounter(
      'mdc_sidecar_posts_total',
      'Posts to the data-collector sidecar (/modeldata/log), by outcome: accepted or the error code answered',
      'outcome',
      extra.sidecarPosts,
    );
  }
  if (extra.streams) {
    mapCounter(
      'mdc_streamed_answers_total',
      'Streamed answers (event streams, chunked bodies) collected as one response event each, by how they ended: complete, client_aborted, upstream_error, truncated',
      'status',
      extra.streams,
    );
  }
  if (extra.modelIo) {
    const stats = extra.modelIo;
    mapCounter(
      'mdc_model_io_skipped_total',
      'Proxied exchanges (or their outputs) that gave no model_inputs/model_outputs rows, by reason; the request and response events are still written',
      'reason',
      () => stats().skipped,
    );
    mapCounter(
      'mdc_model_io_exchanges_total',
      'Proxied exchanges turned into model_inputs rows, by the protocol recognised',
      'protocol',
      () => stats().exchanges,
    );
    const plain = (name: string, help: string, read: () => number) =>
      new Counter({
        name,
        help,
        registers: [registry],
        collect() {
          this.reset();
          this.inc(read());
        },
      });
    plain(
      'mdc_model_io_unaligned_total',
      'model_outputs events whose row count differs from their model_inputs (written with unaligned="true")',
      () => stats().unaligned,
    );
    plain(
      'mdc_model_io_metadata_failures_total',
      'Open Inference Protocol metadata requests that failed (2-D tensor columns named <tensor>_<i>)',
      () => stats().metadataFailures,
    );
  }
  const queueGauge = (
    name: string,
    help: string,
    read: (q: ReturnType<DataCollectorRuntime['stats']>['queue']) => number,
  ) =>
    new Gauge({
      name,
      help,
      registers: [registry],
      collect() {
        this.set(read(runtime.stats().queue));
      },
    });
  queueGauge('mdc_queue_events', 'Events waiting in memory to be written', (q) => q.events);
  queueGauge('mdc_queue_bytes', 'Bytes waiting in memory to be written', (q) => q.bytes);
  queueGauge('mdc_queue_max_events', 'Event capacity of the queue', (q) => q.maxEvents);
  queueGauge('mdc_queue_max_bytes', 'Byte capacity of the queue', (q) => q.maxBytes);
  queueGauge(
    'mdc_queue_in_flight_events',
    'Events handed to the datastore, not yet confirmed',
    (q) => q.inFlight,
  );
  queueGauge('mdc_queue_write_retries', 'Write attempts that failed and were retried', (q) => q.retries);

  // Delivery to cloud datastores (spool and uploads), read from the SDK at scrape time, per datastore.
  for (const [field, name, type, help] of DATASTORE_METRICS) {
    const Metric = type === 'counter' ? Counter : Gauge;
    new Metric({
      name,
      help,
      labelNames: ['datastore'] as const,
      registers: [registry],
      collect(this: Counter<'datastore'> | Gauge<'datastore'>) {
        this.reset();
        for (const s of datastoreStats())
          this.inc({ datastore: s.datastore }, Number(s[field as NonNullable<typeof field>] ?? 0));
      },
    });
  }
  new Gauge({
    name: 'mdc_datastore_up',
    help: '1 while uploads to the datastore work, 0 while they fail and data waits in the spool',
    labelNames: ['datastore'] as const,
    registers: [registry],
    collect() {
      this.reset();
      for (const s of datastoreStats()) this.set({ datastore: s.datastore }, datastoreUp(s));
    },
  });
  // Copies of collections in their destinations (data_collector.destinations): counters, lag and spool of each.
  for (const [field, name, type, help] of DESTINATION_METRICS) {
    const Metric = type === 'counter' ? Counter : Gauge;
    new Metric({
      name,
      help,
      labelNames: ['collection', 'destination', 'datastore'] as const,
      registers: [registry],
      collect(this: Counter<string> | Gauge<string>) {
        this.reset();
        for (const s of runtime.stats().destinations)
          this.inc(
            { collection: s.collection, destination: s.destination, datastore: s.datastore },
            s[field],
          );
      },
    });
  }

  if (cluster.isWorker) {
    // The primary aggregates every worker's registry (prom-client's cluster protocol over IPC).
    AggregatorRegistry.setRegistries([registry]);
    new AggregatorRegistry();
  }
  return {
    registry,
    requests,
    duration,
    inFlight,
    ready,
    text: () => (cluster.isWorker && process.send ? askPrimaryForMetrics() : registry.metrics()),
  };
}

export const METRICS_REQUEST = 'mdc:metrics-request';
export const METRICS_RESPONSE = 'mdc:metrics-response';
let nextMetricsRequest = 0;

/** A worker's /metrics answers with the whole deployment's numbers: the primary gathers them from all workers. */
function askPrimaryForMetrics(): Promise<string> {
  const requestId = nextMetricsRequest++;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      process.off('message', onMessage);
      reject(new Error('the primary process did not answer the metrics request in 5 s'));
    }, 5000);
    const onMessage = (msg: { type?: string; requestId?: number; text?: string; error?: string }) => {
      if (msg?.type !== METRICS_RESPONSE || msg.requestId !== requestId) return;
      clearTimeout(timer);
      process.off('message', onMessage);
      if (msg.error !== undefined) reject(new Error(msg.error));
      else resolve(msg.text ?? '');
    };
    process.on('message', onMessage);
    process.send!({ type: METRICS_REQUEST, requestId });
  });
}
