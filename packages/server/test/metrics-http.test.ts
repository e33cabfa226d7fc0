// The per-request HTTP series are counted with plain numbers and made Prometheus series when scraped; these
// tests hold them to what prom-client's own Counter, Histogram and Gauge export for the same requests.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { DataCollectorRuntime } from 'model-data-collector/internal';
import { AggregatorRegistry, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { createMetrics } from '../src/metrics.js';

const BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** prom-client's own metrics of the same names, in the same order. */
function reference() {
  const registry = new Registry();
  const requests = new Counter({
    name: 'mdc_http_requests_total',
    help: 'HTTP requests answered, by route, method and status',
    labelNames: ['route', 'method', 'status'],
    registers: [registry],
  });
  const duration = new Histogram({
    name: 'mdc_http_request_duration_seconds',
    help: 'Time from request received to response sent',
    labelNames: ['route', 'method'],
    buckets: BUCKETS,
    registers: [registry],
  });
  const inFlight = new Gauge({
    name: 'mdc_http_requests_in_flight',
    help: 'Requests being handled',
    registers: [registry],
  });
  return { registry, requests, duration, inFlight };
}

const http = (text: string) =>
  text
    .split('\n')
    .filter((l) => l.includes('mdc_http_'))
    .join('\n');

test('requests, durations and in-flight export the series prom-client exports, also summed across workers', async (t) => {
  const ws = await mkdtemp(join(tmpdir(), 'mdc-metrics-'));
  const runtime = new DataCollectorRuntime({ workspace: ws, handleProcessExit: false });
  t.after(async () => {
    await runtime.shutdown();
    await rm(ws, { recursive: true, force: true });
  });
  const ours = createMetrics(runtime);
  const theirs = reference();
  // Bounds exactly, between them, past the last, tiny and repeated; several routes, methods and statuses.
  const seconds = [0.0005, 0.0003, 0.002, 1e-9, 0.1, 0.07, 10, 12, 0.25, 0.0025, 3, 0.0005];
  const routes = ['proxy', '/score', 'proxy', '/score', 'proxy'];
  const methods = ['POST', 'GET', 'POST', 'PUT'];
  const statuses = [200, 404, 200, 500, 502, 200];
  for (let i = 0; i < 60; i++) {
    const labels = { route: routes[i % routes.length]!, method: methods[i % methods.length]! };
    const s = seconds[i % seconds.length]!;
    const status = statuses[i % statuses.length]!;
    ours.requests.inc({ ...labels, status });
    theirs.requests.inc({ ...labels, status });
    ours.duration.observe(labels, s);
    theirs.duration.observe(labels, s);
    if (i % 3 === 0) {
      ours.inFlight.inc();
      theirs.inFlight.inc();
    } else if (i % 7 === 0) {
      ours.inFlight.dec();
      theirs.inFlight.dec();
    }
  }
  const text = http(await ours.registry.metrics());
  assert.match(
    text,
    /^mdc_http_request_duration_seconds_bucket\{le="\+Inf",route="proxy",method="POST"\} \d+$/m,
  );
  assert.equal(text, http(await theirs.registry.metrics()));
  // The instance_count primary sums the workers' JSON.
  const summed = async (r: Registry) =>
    http(
      await AggregatorRegistry.aggregate([await r.getMetricsAsJSON(), await r.getMetricsAsJSON()]).metrics(),
    );
  const ourSum = await summed(ours.registry);
  assert.match(ourSum, /^mdc_http_requests_total\{route="proxy",method="POST",status="200"\} \d+$/m);
  assert.equal(ourSum, await summed(theirs.registry));
});
