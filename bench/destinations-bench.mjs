// Destinations and NATS JetStream (part of `npm run bench -- storage`): events/s into a one-node JetStream with
// file storage vs into the local datastore, and what a second destination costs the collecting process's event
// loop — a local copy, and a NATS copy (published from a thread of its own). Rounds alternate between the set-ups
// and the medians are printed, because other processes share the CPU. Main-thread CPU (/proc/self/task/<pid>/stat)
// is what the event loop ran; its wall-clock active time also counts the time other threads and processes (the
// publishing thread, nats-server, other work on the machine) held the core it was ready to run on.
// Needs Debian's nats-server (.ci/run installs it). Run after `npm run build`.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { ensureStream } from '@model-data-collector/nats';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { Collector, DataCollectorRuntime, resolveDeployment } from 'model-data-collector/internal';
import { freePort, waitForPort } from './ports.mjs';

const ROUNDS = Number(process.env.DEST_BENCH_ROUNDS ?? 5);
const RATE = Number(process.env.DEST_BENCH_RATE ?? 20_000);
const LOAD_MS = 3000;
const THROUGHPUT_EVENTS = 100_000;
const temps = [];
const tmp = (p) => {
  const d = mkdtempSync(join(tmpdir(), p));
  temps.push(d);
  return d;
};
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
Object.assign(process.env, { MDC_UPLOAD_INTERVAL_MS: '200', MDC_SPOOL_FSYNC: '0' });

const row = { age: 42, income: 55_000.5, score: 0.731, segment: 'retail', approved: true };

/** A runtime on a fresh workspace whose model_inputs also go to `destinations` (datastore name → entry). */
function setup(name, extra) {
  const ws = tmp('mdc-bench-dest-');
  writeFileSync(join(ws, 'workspace.yml'), JSON.stringify({ datastores: extra }));
  const runtime = new DataCollectorRuntime({
    workspace: ws,
    deployment: resolveDeployment({
      endpoint_name: name,
      name: 'blue',
      data_collector: {
        destinations: Object.keys(extra).map((d) => `azureml://datastores/${d}/paths/`),
        collections: { model_inputs: { enabled: 'True' } },
      },
    }),
    handleProcessExit: false,
    onError: () => {},
  });
  return { runtime, collector: new Collector({ name: 'model_inputs', runtime, onError: () => {} }) };
}

/** CPU ms of this process's main thread (the event loop) so far: /proc/self/task/<pid>/stat, in clock ticks (10 ms). */
function mainThreadCpuMs() {
  const stat = readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) * 10;
}

/** CPU ms the nats-server process used so far (its own /proc stat; 10 ms ticks). */
function processCpuMs(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) * 10;
}

/** One connection for the counts, opened before any round: a round measures the collector, not its checks. */
let jsm;
let countConn;
async function streamCount(_url, stream) {
  return (await jsm.streams.info(stream)).state.messages;
}

async function waitStream(url, stream, n) {
  while ((await streamCount(url, stream)) < n) await sleep(100);
}

/**
 * One round: RATE events/s for LOAD_MS, then until every copy is stored. Returns the event loop's active ms per
 * 1000 events over the whole round (collect, encode, file and spool writes, NATS publishing) and the time spent
 * inside collect() calls per 1000 events.
 */
async function round(kind, n, nats) {
  const extra =
    kind === 'local'
      ? {}
      : kind === 'local+local'
        ? { copy: { type: 'local', path: tmp('mdc-bench-copy-') } }
        : { events: nats.datastore };
  // local+nats-nice0: the publishing thread at the process's priority instead of nice 10 (DEST_BENCH_KINDS).
  process.env.MDC_NATS_PUBLISHER_NICE = kind === 'local+nats-nice0' ? '0' : '';
  // The spool's default upload interval (a pass's fixed costs, a spool file opened, renamed and removed, are spread
  // over 5 s of events, as in production); DEST_BENCH_UPLOAD_INTERVAL_MS=200 shows them at a short interval.
  process.env.MDC_UPLOAD_INTERVAL_MS = process.env.DEST_BENCH_UPLOAD_INTERVAL_MS ?? '5000';
  const { runtime, collector } = setup(`r${n}`, extra);
  const toStream = kind.startsWith('local+nats');
  // Start-up is not what collect() costs: the first events open the files, and for a stream load the client,
  // check the stream over a connection of its own and start the publishing thread. Measured after them.
  const warm = toStream ? await streamCount(nats.url, nats.stream) : 0;
  for (let i = 0; i < 100; i++) collector.collect([{ ...row, seq: -1 - i }]);
  await runtime.flush();
  if (toStream) await waitStream(nats.url, nats.stream, warm + 100);
  const before = toStream ? await streamCount(nats.url, nats.stream) : 0;
  const elu0 = performance.eventLoopUtilization();
  const cpu0 = process.cpuUsage();
  const main0 = mainThreadCpuMs();
  const server0 = processCpuMs(nats.pid);
  let inCollect = 0;
  let sent = 0;
  const perTick = RATE / 100;
  const until = performance.now() + LOAD_MS;
  while (performance.now() < until) {
    const t = performance.now();
    for (let i = 0; i < perTick; i++) collector.collect([{ ...row, seq: sent++ }]);
    inCollect += performance.now() - t;
    await sleep(10);
  }
  await runtime.flush();
  if (toStream) await waitStream(nats.url, nats.stream, before + sent);
  const elu = performance.eventLoopUtilization(elu0);
  const cpu = process.cpuUsage(cpu0);
  const main = mainThreadCpuMs() - main0;
  const server = processCpuMs(nats.pid) - server0;
  await runtime.shutdown();
  return {
    active: (elu.active / sent) * 1000,
    cpu: ((cpu.user + cpu.system) / 1000 / sent) * 1000,
    main: (main / sent) * 1000,
    server: (server / sent) * 1000,
    collect: (inCollect / sent) * 1000,
  };
}

async function throughput(kind, nats) {
  process.env.MDC_UPLOAD_INTERVAL_MS = '200';
  const { runtime, collector } = setup(`t-${kind}`, kind === 'nats' ? { events: nats.datastore } : {});
  const before = kind === 'nats' ? await streamCount(nats.url, nats.stream) : 0;
  const t0 = performance.now();
  let sent = 0;
  while (sent < THROUGHPUT_EVENTS) {
    for (let i = 0; i < 500; i++) collector.collect([{ ...row, seq: sent++ }]);
    await new Promise((r) => setImmediate(r));
  }
  await runtime.flush();
  if (kind === 'nats') await waitStream(nats.url, nats.stream, before + sent);
  const s = (performance.now() - t0) / 1000;
  await runtime.shutdown();
  return THROUGHPUT_EVENTS / s;
}

export async function destinationsBench() {
  const bin = existsSync('/usr/sbin/nats-server') ? '/usr/sbin/nats-server' : 'nats-server';
  const port = await freePort();
  const child = spawn(bin, ['-a', '127.0.0.1', '-p', String(port), '-js', '-sd', tmp('mdc-bench-nats-')], {
    stdio: 'ignore',
  });
  try {
    await waitForPort(port);
    const url = `nats://127.0.0.1:${port}`;
    const nats = {
      pid: child.pid,
      url,
      stream: 'BENCH',
      datastore: { type: 'nats', url, stream: 'BENCH', subject_prefix: 'bench' },
    };
    await ensureStream(nats.datastore);
    countConn = await connect({ servers: url });
    jsm = await jetstreamManager(countConn);
    console.log(
      'destinations (nats-server one node, file storage; other sessions share the CPU: medians of alternating rounds):',
    );
    const tp = { local: [], nats: [] };
    // DEST_BENCH_KINDS=local+nats (for a profile) runs only those rounds and skips the throughput part.
    const only = process.env.DEST_BENCH_KINDS?.split(',');
    for (let i = 0; i < (only ? 0 : 3); i++) {
      tp.local.push(await throughput('local', nats));
      tp.nats.push(await throughput('nats', nats));
    }
    if (!only)
      console.log(
        `  events/s, ${THROUGHPUT_EVENTS} events as fast as collect() takes them, until stored: local datastore ${Math.round(median(tp.local))}; local + a JetStream copy, until the stream acknowledged all ${Math.round(median(tp.nats))} (ratio ${(median(tp.nats) / median(tp.local)).toFixed(2)})`,
      );
    const kinds = only ?? ['local', 'local+local', 'local+nats'];
    console.log(
      `  cost rounds: ${RATE} events/s for ${LOAD_MS} ms after a warm-up, spool upload interval ${process.env.DEST_BENCH_UPLOAD_INTERVAL_MS ?? '5000'} ms`,
    );
    const r = Object.fromEntries(
      kinds.map((k) => [k, { active: [], cpu: [], main: [], server: [], collect: [] }]),
    );
    for (let i = 0; i < ROUNDS; i++) {
      for (const k of kinds) {
        const x = await round(k, `${i}-${k.replace('+', '-')}`, nats);
        r[k].active.push(x.active);
        r[k].cpu.push(x.cpu);
        r[k].main.push(x.main);
        r[k].server.push(x.server);
        r[k].collect.push(x.collect);
      }
    }
    const base = r[kinds[0]];
    for (const k of kinds) {
      const a = median(r[k].active);
      const c = median(r[k].collect);
      const u = median(r[k].cpu);
      const m = median(r[k].main);
      console.log(
        `  ${k.padEnd(12)} ${RATE} events/s: event loop ${a.toFixed(1)} ms active per 1000 events (x${(a / median(base.active)).toFixed(2)}), main-thread CPU ${m.toFixed(1)} ms (x${(m / median(base.main)).toFixed(2)}), process CPU ${u.toFixed(1)} ms (x${(u / median(base.cpu)).toFixed(2)}), inside collect() ${c.toFixed(2)} ms per 1000 (x${(c / median(base.collect)).toFixed(2)})`,
      );
      if (k.startsWith('local+nats'))
        console.log(
          `  ${''.padEnd(12)} (the publishing thread: process CPU less main thread; nats-server ${median(r[k].server).toFixed(1)} ms CPU per 1000 events, another process)`,
        );
      if (process.env.DEST_BENCH_RAW) console.log(`    rounds: ${JSON.stringify(r[k])}`);
    }
    console.log(
      '  target: a second destination adds <= 10 % to collect() (one encoding, the same bytes to every writer)',
    );
  } finally {
    await countConn?.close();
    child.kill('SIGTERM');
    for (const d of temps) rmSync(d, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await destinationsBench();
