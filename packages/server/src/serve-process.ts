import cluster, { type Worker } from 'node:cluster';
import { randomUUID } from 'node:crypto';
import { MdcError } from 'model-data-collector/internal';
import { AggregatorRegistry } from 'prom-client';
import { METRICS_REQUEST, METRICS_RESPONSE } from './metrics.js';
import {
  DEFAULT_HOST,
  describeDeployment,
  type PreparedDeployment,
  prepareDeployment,
  type ServeOptions,
  startInstance,
  urlOf,
} from './serve.js';
import { untilSignal } from './signals.js';

const WORKER_ENV = 'MDC_SERVE_WORKER';
const READY = 'mdc:ready';
const FAILED = 'mdc:failed';

interface WorkerMessage {
  type?: string;
  port?: number;
  address?: string;
  family?: string;
  code?: string;
  message?: string;
  requestId?: number;
}

/**
 * Runs `mdc serve` until SIGTERM / SIGINT, then drains and flushes. With `instance_count` > 1 this process
 * becomes a cluster primary whose workers (this same program, re-run by node:cluster) share the port, each
 * with its own instance id and so its own `{instance_id}.jsonl` files. Resolves with the exit code.
 */
export async function runServe(options: ServeOptions): Promise<number> {
  if (cluster.isWorker && process.env[WORKER_ENV] !== undefined) return runWorker(options);
  const print = options.print ?? ((line: string) => process.stdout.write(`${line}\n`));
  const prepared = prepareDeployment(options);
  for (const line of describeDeployment(prepared)) print(line);
  if (prepared.plan.instanceCount > 1) return runPrimary(prepared, options, print);

  const instance = await startInstance(prepared, options);
  const url = urlOf(instance.address);
  print(`mdc serve: ready at ${url}/score (instance ${instance.instanceId})`);
  const signal = await untilSignal(() => instance.runtime.flushSync());
  print(`mdc serve: ${signal}: draining in-flight requests and flushing collections`);
  await instance.close();
  print('mdc serve: stopped');
  return 0;
}

async function runWorker(options: ServeOptions): Promise<number> {
  const send = (msg: WorkerMessage) =>
    new Promise<void>((resolve) => (process.send ? process.send(msg, () => resolve()) : resolve()));
  let instance: Awaited<ReturnType<typeof startInstance>>;
  try {
    instance = await startInstance(prepareDeployment(options), options);
  } catch (err) {
    const e = err as MdcError;
    await send({
      type: FAILED,
      code: e instanceof MdcError ? e.code : undefined,
      message: e?.message ?? String(err),
    });
    return 2;
  }
  await send({
    type: READY,
    port: instance.address.port,
    address: instance.address.address,
    family: instance.address.family,
  });
  await untilSignal(() => instance.runtime.flushSync());
  await instance.close();
  // Everything is flushed: drop the IPC channel so the worker can end (a script's stray timer cannot hold it).
  process.disconnect?.();
  setTimeout(() => process.exit(0), 1000).unref();
  return 0;
}

async function runPrimary(
  prepared: PreparedDeployment,
  options: ServeOptions,
  print: (line: string) => void,
): Promise<number> {
  const n = prepared.plan.instanceCount;
  const base = process.env.MDC_INSTANCE_ID;
  const ids = Array.from({ length: n }, (_, i) => (base ? `${base}-${i}` : randomUUID()));
  const aggregator = new AggregatorRegistry();
  const workers = new Map<Worker, string>();
  let stopping = false;
  let failure: { code?: string; message?: string } | undefined;
  const restarts: number[] = [];

  const fork = (instanceId: string, onReady?: (msg: WorkerMessage) => void) => {
    const worker = cluster.fork({ [WORKER_ENV]: '1', MDC_INSTANCE_ID: instanceId });
    workers.set(worker, instanceId);
    worker.on('message', (msg: WorkerMessage) => {
      if (msg?.type === READY) onReady?.(msg);
      else if (msg?.type === FAILED) failure ??= msg;
      else if (msg?.type === METRICS_REQUEST) {
        aggregator.clusterMetrics().then(
          (text) => worker.send({ type: METRICS_RESPONSE, requestId: msg.requestId, text }),
          (err: Error) =>
            worker.send({ type: METRICS_RESPONSE, requestId: msg.requestId, error: err.message }),
        );
      }
    });
    return worker;
  };

  // Start every worker and wait until all are ready (or one failed: then stop the others and report it).
  const started = await new Promise<WorkerMessage | undefined>((resolve) => {
    let ready = 0;
    let first: WorkerMessage | undefined;
    for (const id of ids) {
      const w = fork(id, (msg) => {
        first ??= msg;
        if (++ready === n) resolve(first);
      });
      w.once('exit', () => {
        if (ready < n) resolve(undefined);
      });
    }
  });
  if (!started) {
    stopping = true;
    await stopWorkers(workers, options.drainTimeoutMs);
    const f = failure ?? { message: 'a worker exited during start-up' };
    throw Object.assign(new MdcError((f.code as MdcError['code']) ?? 'MDC_INIT_FAILED', f.message ?? ''), {});
  }
  const url = urlOf({
    address: started.address ?? options.host ?? DEFAULT_HOST,
    family: started.family ?? 'IPv4',
    port: started.port ?? 0,
  });
  print(`mdc serve: ready at ${url}/score (${n} instances: ${ids.join(', ')})`);

  // A worker that dies while serving is restarted with the same instance id (its files continue), unless
  // workers keep dying: more than 5 restarts in a minute stops the deployment.
  let gaveUp = false;
  cluster.on('exit', (worker, code, signal) => {
    const id = workers.get(worker);
    workers.delete(worker);
    if (stopping || id === undefined) return;
    print(`mdc serve: instance ${id} exited (${signal ?? `code ${code}`}); restarting it`);
    const now = Date.now();
    restarts.push(now);
    while (restarts.length && restarts[0]! < now - 60_000) restarts.shift();
    if (restarts.length > 5) {
      gaveUp = true;
      print('mdc serve: instances keep exiting; stopping');
      process.kill(process.pid, 'SIGTERM');
      return;
    }
    fork(id);
  });

  const signal = await untilSignal(() => {});
  stopping = true;
  print(`mdc serve: ${signal}: draining ${workers.size} instances`);
  const codes = await stopWorkers(workers, options.drainTimeoutMs);
  print('mdc serve: stopped');
  return gaveUp || codes.some((c) => c !== 0) ? 1 : 0;
}

/** SIGTERMs every worker and waits for them to exit (SIGKILL after the drain timeout plus a grace period). */
async function stopWorkers(workers: Map<Worker, string>, drainTimeoutMs = 30_000): Promise<number[]> {
  const all = [...workers.keys()].map(
    (w) =>
      new Promise<number>((resolve) => {
        if (w.isDead()) return resolve(w.process.exitCode ?? 1);
        const kill = setTimeout(() => w.process.kill('SIGKILL'), drainTimeoutMs + 15_000);
        w.once('exit', (code) => {
          clearTimeout(kill);
          resolve(code ?? 1);
        });
        w.process.kill('SIGTERM');
      }),
  );
  return Promise.all(all);
}
