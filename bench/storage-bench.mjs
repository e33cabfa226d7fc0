#!/usr/bin/env node
// Cloud datastores: sustained events/s into Azurite and s3rver through the spool, and memory (RSS) of a
// collector during a storage outage at a steady rate (target: growth < 64 MB, the rest waits in the spool).
// Run after `npm run build`. STORAGE_BENCH_OUTAGE_S shortens the outage (default 60).
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { BlobServiceClient } from '@azure/storage-blob';
import { Collector, DataCollectorRuntime, datastoreStats } from 'model-data-collector/internal';
import { freePort, waitForPort } from './ports.mjs';

const root = new URL('..', import.meta.url).pathname;
const OUTAGE_S = Number(process.env.STORAGE_BENCH_OUTAGE_S ?? 60);
const OUTAGE_RATE = 2000;
const SUSTAINED_EVENTS = 200_000;
const temps = [];
const tmp = (p) => {
  const d = mkdtempSync(join(tmpdir(), p));
  temps.push(d);
  return d;
};
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

Object.assign(process.env, {
  AWS_ACCESS_KEY_ID: 'S3RVER',
  AWS_SECRET_ACCESS_KEY: 'S3RVER',
  AWS_REGION: 'us-east-1',
  MDC_UPLOAD_INTERVAL_MS: '1000',
  MDC_UPLOAD_MAX_RETRY_DELAY_MS: '2000',
  MDC_SPOOL_CLOSE_TIMEOUT_MS: '120000',
});

function emulator(port, args) {
  let child;
  return {
    async start() {
      child = spawn(process.execPath, args, { stdio: 'ignore' });
      await waitForPort(port);
    },
    async stop() {
      const c = child;
      const exited = new Promise((r) => c.once('exit', r));
      c.kill('SIGTERM');
      await Promise.race([exited, sleep(5000)]);
      if (c.exitCode === null) c.kill('SIGKILL');
      await exited;
    },
  };
}

async function azurite() {
  const port = await freePort();
  const em = emulator(port, [
    join(root, 'node_modules/azurite/dist/src/blob/main.js'),
    '--blobHost',
    '127.0.0.1',
    '--blobPort',
    String(port),
    '--location',
    tmp('mdc-bench-azurite-'),
    '--skipApiVersionCheck',
    '--loose',
    '--silent',
    '--disableTelemetry',
  ]);
  await em.start();
  const cs = `DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;BlobEndpoint=http://127.0.0.1:${port}/devstoreaccount1;`;
  const service = BlobServiceClient.fromConnectionString(cs);
  return {
    ...em,
    name: 'azurite',
    async datastore(name) {
      await service.getContainerClient(name).createIfNotExists();
      return { type: 'azure_blob', container: name, connection_string: cs };
    },
  };
}

async function s3rver() {
  const port = await freePort();
  const em = emulator(port, [
    join(root, 'node_modules/s3rver/bin/s3rver.js'),
    '--address',
    '127.0.0.1',
    '--port',
    String(port),
    '--directory',
    tmp('mdc-bench-s3rver-'),
    '--silent',
  ]);
  await em.start();
  const endpoint = `http://127.0.0.1:${port}`;
  const client = new S3Client({ endpoint, forcePathStyle: true, region: 'us-east-1' });
  return {
    ...em,
    name: 's3rver',
    async datastore(name) {
      await client.send(new CreateBucketCommand({ Bucket: name }));
      return { type: 's3', bucket: name, endpoint, force_path_style: true };
    },
  };
}

function runtimeFor(datastore) {
  const ws = tmp('mdc-bench-ws-');
  writeFileSync(join(ws, 'workspace.yml'), JSON.stringify({ datastores: { workspaceblobstore: datastore } }));
  const runtime = new DataCollectorRuntime({
    workspace: ws,
    endpoint: 'bench',
    deploymentName: 'blue',
    handleProcessExit: false,
    onError: () => {},
  });
  return { runtime, collector: new Collector({ name: 'model_inputs', runtime, onError: () => {} }) };
}

const row = { age: 42, income: 55_000.5, score: 0.731, segment: 'retail', approved: true };

async function sustained(store) {
  const { runtime, collector } = runtimeFor(await store.datastore('sustained'));
  const t0 = performance.now();
  let sent = 0;
  while (sent < SUSTAINED_EVENTS) {
    for (let i = 0; i < 500; i++) collector.collect([{ ...row, seq: sent++ }]);
    await new Promise((r) => setImmediate(r));
  }
  await runtime.shutdown();
  const s = (performance.now() - t0) / 1000;
  const st = runtime.stats().collections.model_inputs;
  console.log(
    `  ${store.name}: ${Math.round(SUSTAINED_EVENTS / s)} events/s collected, spooled and delivered (${SUSTAINED_EVENTS} events in ${s.toFixed(1)} s; dropped ${st.dropped})`,
  );
}

async function outage(store) {
  const { runtime, collector } = runtimeFor(await store.datastore('outage'));
  // Warm up with storage up, then measure from a settled baseline.
  for (let i = 0; i < 4000; i++) collector.collect([{ ...row, seq: i }]);
  await runtime.flush();
  await sleep(2000);
  global.gc?.();
  const base = process.memoryUsage().rss;
  await store.stop();
  let peak = base;
  let sent = 0;
  const perTick = OUTAGE_RATE / 100;
  const until = Date.now() + OUTAGE_S * 1000;
  while (Date.now() < until) {
    for (let i = 0; i < perTick; i++) collector.collect([{ ...row, seq: sent++ }]);
    peak = Math.max(peak, process.memoryUsage().rss);
    await sleep(10);
  }
  const spool = datastoreStats().find((d) => d.datastore === 'workspaceblobstore');
  await store.start();
  const t0 = Date.now();
  await runtime.shutdown();
  console.log(
    `  ${store.name}: ${sent} events at ${OUTAGE_RATE}/s during a ${OUTAGE_S} s outage: RSS +${((peak - base) / 1048576).toFixed(1)} MB (target < 64 MB), spool ${(spool.spoolBytes / 1048576).toFixed(1)} MB, caught up ${((Date.now() - t0) / 1000).toFixed(1)} s after the restart`,
  );
}

try {
  const only = process.env.STORAGE_BENCH_ONLY;
  for (const make of [azurite, s3rver].filter((m) => !only || m.name === only)) {
    const store = await make();
    try {
      console.log(`${store.name}:`);
      await sustained(store);
      await outage(store);
    } finally {
      await store.stop().catch(() => {});
    }
  }
  // Destinations and NATS JetStream (STORAGE_BENCH_ONLY=nats runs only this part).
  if (!only || only === 'nats') await (await import('./destinations-bench.mjs')).destinationsBench();
} finally {
  for (const d of temps) rmSync(d, { recursive: true, force: true });
}
