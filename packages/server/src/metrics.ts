import cluster from 'node:cluster';
import {
  DATASTORE_METRICS,
  type DataCollectorRuntime,
  DESTINATION_METRICS,
  datastoreStats,
  datastoreUp,
} from 'model-data-collector/internal';
import {
  AggregatorRegistry,
  Counter,
  collectDefaultMetrics,
  Gauge,
  type Metric,
  Registry,
} from 'prom-client';
import type { ModelIoStats } from './model-io/index.js';

/** The Prometheus metrics of one `mdc serve` / `mdc proxy` process. */
export interface ServerMetrics {
  readonly registry: Registry;
  /** `mdc_http_requests_total`: counted with plain numbers per request, made a series when scraped. */
  readonly requests: { inc(labels: { route: string; method: string; status: number | string }): void };
  /** `mdc_http_request_duration_seconds`: as `requests`. */
  readonly duration: { observe(labels: { route: string; method: string }, seconds: number): void };
  /** `mdc_http_requests_in_flight`: as `requests`. */
  readonly inFlight: { inc(): void; dec(): void };
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
  // The three metrics every request touches are plain numbers on the hot path, and Prometheus series only
  // when scraped: prom-client's per-call label validation and hashing cost the proxy 7-13 % of its req/s.
  const answered = new Map<
    string,
    { labels: { route: string; method: string; status: number | string }; n: number }
  >();
  new Counter({
    name: 'mdc_http_requests_total',
    help: 'HTTP requests answered, by route, method and status',
    labelNames: ['route', 'method', 'status'] as const,
    registers: [registry],
    collect() {
      this.reset();
      for (const a of answered.values()) this.inc(a.labels, a.n);
    },
  });
  const requests: ServerMetrics['requests'] = {
    inc({ route, method, status }) {
      const key = `${route} ${method} ${status}`;
      const a = answered.get(key);
      if (a) a.n++;
      else answered.set(key, { labels: { route, method, status }, n: 1 });
    },
  };
  const duration = new RequestDurations(
    'mdc_http_request_duration_seconds',
    'Time from request received to response sent',
    [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
  );
  registry.registerMetric(duration as unknown as Metric);
  let handling = 0;
  new Gauge({
    name: 'mdc_http_requests_in_flight',
    help: 'Requests being handled',
    registers: [registry],
    collect() {
      this.set(handling);
    },
  });
  const inFlight: ServerMetrics['inFlight'] = {
    inc: () => {
      handling++;
    },
    dec: () => {
      handling--;
    },
  };
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

/**
 * A histogram by route and method kept in plain arrays, exported as prom-client's Histogram exports one (the
 * same series, labels in the same order, cumulative buckets, `+Inf`, `_sum`, `_count`; summed across
 * `instance_count` workers), without prom-client's per-observation label validation, hashing and closures.
 */
class RequestDurations {
  readonly type = 'histogram';
  readonly aggregator = 'sum';
  /** Per route and method, in the order first seen (prom-client's order): counts per bucket, sum and count. */
  private readonly series = new Map<
    string,
    { labels: { route: string; method: string }; buckets: number[]; sum: number; count: number }
  >();

  constructor(
    readonly name: string,
    readonly help: string,
    private readonly bounds: readonly number[],
  ) {}

  observe({ route, method }: { route: string; method: string }, seconds: number): void {
    const key = `${route} ${method}`;
    let s = this.series.get(key);
    if (s === undefined) {
      s = { labels: { route, method }, buckets: this.bounds.map(() => 0), sum: 0, count: 0 };
      this.series.set(key, s);
    }
    const bounds = this.bounds;
    // The first bound the value is at or under (le); past the last only +Inf counts it.
    for (let i = 0; i < bounds.length; i++) {
      if (seconds <= bounds[i]!) {
        s.buckets[i]!++;
        break;
      }
    }
    s.sum += seconds;
    s.count++;
  }

  get() {
    const values: { labels: Record<string, string | number>; value: number; metricName: string }[] = [];
    const bucket = `${this.name}_bucket`;
    for (const { labels, buckets, sum, count } of this.series.values()) {
      let acc = 0;
      for (let i = 0; i < buckets.length; i++) {
        acc += buckets[i]!;
        values.push({ labels: { le: this.bounds[i]!, ...labels }, value: acc, metricName: bucket });
      }
      values.push({ labels: { le: '+Inf', ...labels }, value: count, metricName: bucket });
      values.push({ labels: { ...labels }, value: sum, metricName: `${this.name}_sum` });
      values.push({ labels: { ...labels }, value: count, metricName: `${this.name}_count` });
    }
    return { name: this.name, help: this.help, type: this.type, values, aggregator: this.aggregator };
  }

  reset(): void {
    this.series.clear();
  }
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
