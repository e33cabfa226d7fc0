#!/usr/bin/env node
// npm run bench -- proxy: req/s of mdc proxy turning Open Inference Protocol exchanges into model_inputs /
// model_outputs rows (--model-io auto) vs the same proxy logging request/response only (target >= 0.9), 10-row
// requests to a Node OIP model server. Every proxy runs for the whole bench, pinned to core 0 (the load
// generator and the model server share the other cores), and each round loads each proxy in turn for a short
// time, the order rotating; a ratio is the median of the rounds' ratios. The proxy's CPU per request (all its
// threads, from /proc) is the steadier figure when other jobs share the machine. Then the two real proxies are
// loaded at the same time (same-time A/B), which other jobs on the machine slow alike.
//
// Two floors run next to them (BENCH_FLOOR=0 leaves them out), through proxy-floor-preload.mjs: `parse`, the
// model-io proxy reading the tensors of each exchange but emitting nothing, and `constant`, the model-io proxy
// emitting ready-made rows (the same bytes as the real ones) with no extraction at all: the two extra events'
// cost, which no extraction can go under.
//
// Part 2 (proxy-model-io-micro.mjs) times the steps of one exchange in a single process, without HTTP.
//
// Environment: BENCH_WARMUP_S (5 s of load per proxy before the rounds),
// BENCH_ROUNDS (10), BENCH_DURATION_S (2 s per proxy per round), BENCH_CONNECTIONS (32),
// BENCH_ROWS (10), BENCH_SAME_TIME_ROUNDS (5; 0 leaves the same-time part out), BENCH_SAME_TIME_S (4),
// BENCH_PIN=0 (no taskset), BENCH_PROFILE=DIR (each proxy writes a V8 CPU profile there;
// its numbers are then not comparable with other runs).
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  benchWorkDir,
  cores,
  cpuSeconds,
  loadAutocannon,
  median,
  pin,
  pinSelf,
  startServer,
  stopServer,
} from './bench-servers.mjs';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const bin = join(root, 'packages/cli/dist/bin.js');
const durationS = Number(process.env.BENCH_DURATION_S ?? 2);
const connections = Number(process.env.BENCH_CONNECTIONS ?? 32);
const warmupS = Number(process.env.BENCH_WARMUP_S ?? 5);
const rounds = Number(process.env.BENCH_ROUNDS ?? 10);
const ROWS = Number(process.env.BENCH_ROWS ?? 10);
const sameTimeRounds = Number(process.env.BENCH_SAME_TIME_ROUNDS ?? 5);
const sameTimeS = Number(process.env.BENCH_SAME_TIME_S ?? 4);
const floors = process.env.BENCH_FLOOR !== '0';
const profileDir = process.env.BENCH_PROFILE;
const FLOOR_PRELOAD = fileURLToPath(new URL('proxy-floor-preload.mjs', import.meta.url));

const autocannon = await loadAutocannon('proxy-model-io-bench');
const work = benchWorkDir('mdc-proxy-io-bench-');

// An OIP model server: metadata names the 4 features of its [N, 4] input; it answers a label and [N, 2] probabilities.
const TARGET = `
import { createServer } from 'node:http';
const META = JSON.stringify({
  name: 'credit', versions: ['1'], platform: 'bench',
  inputs: [{ name: 'features', datatype: 'FP32', shape: [-1, 4], parameters: { feature_names: ['age', 'income', 'limit', 'months'] } },
           { name: 'id', datatype: 'INT64', shape: [-1] }],
  outputs: [{ name: 'label', datatype: 'INT64', shape: [-1] },
            { name: 'probabilities', datatype: 'FP32', shape: [-1, 2], parameters: { feature_names: ['p_no', 'p_yes'] } }],
});
const s = createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    let out;
    if (req.method === 'GET') out = META;
    else {
      const t = JSON.parse(Buffer.concat(chunks)).inputs[0];
      const n = t.shape[0];
      const label = [];
      const p = [];
      for (let i = 0; i < n; i++) {
        const y = t.data[i][0] > 40 ? 1 : 0;
        label.push(y);
        p.push(y ? 0.2 : 0.8, y ? 0.8 : 0.2);
      }
      out = JSON.stringify({ model_name: 'credit', outputs: [
        { name: 'label', shape: [n], datatype: 'INT64', data: label },
        { name: 'probabilities', shape: [n, 2], datatype: 'FP32', data: p },
      ] });
    }
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(out) });
    res.end(out);
  });
});
s.keepAliveTimeout = 65000;
s.listen(0, '127.0.0.1', () => console.log('listening on http://127.0.0.1:' + s.address().port));
`;
writeFileSync(join(work, 'target.mjs'), TARGET);

const body = JSON.stringify({
  inputs: [
    {
      name: 'features',
      shape: [ROWS, 4],
      datatype: 'FP32',
      data: Array.from({ length: ROWS }, (_, i) => [25 + i * 3, 30000 + i * 1000, 5000 + i * 250, 12 + i]),
    },
    { name: 'id', shape: [ROWS], datatype: 'INT64', data: Array.from({ length: ROWS }, (_, i) => i) },
  ],
});

// The rows the model-io proxy writes for that request and the model server's answer (for the constant floor).
const inputRows = JSON.stringify(
  Array.from({ length: ROWS }, (_, i) => ({
    age: 25 + i * 3,
    income: 30000 + i * 1000,
    limit: 5000 + i * 250,
    months: 12 + i,
    id: i,
  })),
);
const outputRows = JSON.stringify(
  Array.from({ length: ROWS }, (_, i) =>
    25 + i * 3 > 40 ? { label: 1, p_no: 0.2, p_yes: 0.8 } : { label: 0, p_no: 0.8, p_yes: 0.2 },
  ),
);
const FLOOR_ENV = { MDC_BENCH_INPUT_ROWS: inputRows, MDC_BENCH_OUTPUT_ROWS: outputRows };

const deployment = (name, rows) => {
  const file = join(work, `${name}.yml`);
  const on = ['request', 'response', ...(rows ? ['model_inputs', 'model_outputs'] : [])];
  writeFileSync(
    file,
    `name: ${name}\nendpoint_name: bench\ndata_collector:\n  collections:\n${on.map((c) => `    ${c}: {enabled: 'True'}`).join('\n')}\n`,
  );
  return file;
};

async function load(url, seconds = durationS, conns = connections) {
  const r = await autocannon({
    url: `${url}/v2/models/credit/infer`,
    method: 'POST',
    body,
    headers: { 'content-type': 'application/json' },
    connections: conns,
    duration: seconds,
  });
  if (r.non2xx || r.errors) throw new Error(`${url}: ${r.non2xx} non-2xx, ${r.errors} errors`);
  return { rps: r.requests.average, count: r.requests.total };
}

// This process (autocannon) and the model server it starts on cores 1.., every proxy on core 0.
pinSelf(cores > 2 ? `1-${cores - 1}` : '1');
const target = await startServer(process.execPath, [join(work, 'target.mjs')], { cwd: root });
const ws = join(work, 'ws');
const VARIANTS = {
  payloads: { file: deployment('payloads', false), what: 'request/response only' },
  modelio: { file: deployment('modelio', true), what: '+ model_inputs/model_outputs' },
  ...(floors && {
    parse: { file: deployment('parse', true), floor: 'parse', what: 'floor: tensors read, no rows' },
    constant: { file: deployment('constant', true), floor: 'constant', what: 'floor: ready-made rows' },
  }),
};
const names = Object.keys(VARIANTS);
const proxy = (name, run) => {
  const v = VARIANTS[name];
  const node = [
    ...(v.floor ? ['--import', FLOOR_PRELOAD] : []),
    ...(profileDir
      ? ['--cpu-prof', '--cpu-prof-dir', profileDir, '--cpu-prof-name', `${name}-${run}.cpuprofile`]
      : []),
  ];
  return startServer(
    process.execPath,
    [
      ...node,
      bin,
      'proxy',
      '--target',
      target.url,
      '-f',
      v.file,
      '--port',
      '0',
      '--workspace',
      join(ws, name),
      '--log-level',
      'warn',
    ],
    { cwd: root, pinToCore0: true, env: v.floor ? { MDC_BENCH_FLOOR: v.floor, ...FLOOR_ENV } : {} },
  );
};

const rps = Object.fromEntries(names.map((k) => [k, []]));
const cpuUs = Object.fromEntries(names.map((k) => [k, []]));
const busy = Object.fromEntries(names.map((k) => [k, []]));
const ratios = Object.fromEntries(names.map((k) => [k, []]));
const cpuRatios = Object.fromEntries(names.map((k) => [k, []]));
let servers;
let metrics = '';
for (let i = 0; i < rounds; i++) {
  // Two identical processes can differ by a few % for as long as they live (JIT, memory layout): the second
  // half of the rounds runs on fresh processes.
  if (i === 0 || i === rounds >> 1) {
    if (servers) for (const s of Object.values(servers)) await stopServer(s);
    servers = {};
    for (const k of names) servers[k] = await proxy(k, i);
    // Warm-up, and the model's metadata: V8 keeps compiling the proxy's hot code on a helper thread (on core 0
    // too) for its first ~5 s under load, which would count against whichever proxy a round loads first.
    for (const k of names) await load(servers[k].url, warmupS);
  }
  const order = names.map((_, j) => names[(i + j) % names.length]);
  const round = {};
  for (const k of order) {
    const pid = servers[k].child.pid;
    const cpu0 = cpuSeconds(pid);
    const t0 = process.hrtime.bigint();
    const r = await load(servers[k].url);
    const cpu = cpuSeconds(pid) - cpu0;
    busy[k].push(cpu / (Number(process.hrtime.bigint() - t0) / 1e9));
    cpuUs[k].push((cpu * 1e6) / r.count);
    rps[k].push(r.rps);
    round[k] = { rps: r.rps, cpuUs: (cpu * 1e6) / r.count };
  }
  for (const k of names) {
    ratios[k].push(round[k].rps / round.payloads.rps);
    cpuRatios[k].push(round.payloads.cpuUs / round[k].cpuUs);
  }
  if (i === rounds - 1) metrics = await (await fetch(`${servers.modelio.url}/-/mdc/metrics`)).text();
}
// Same time: the two real proxies loaded at once by two autocannons (half the connections each), both on
// core 0, so whatever else the machine runs slows both alike; req/s then follows each one's CPU per request.
const together = { ratio: [], cpu: [] };
for (let i = 0; i < sameTimeRounds; i++) {
  const pids = [servers.payloads.child.pid, servers.modelio.child.pid];
  const cpu0 = pids.map((pid) => cpuSeconds(pid));
  const half = Math.max(1, connections >> 1);
  const [a, b] = await Promise.all([
    load(servers.payloads.url, sameTimeS, half),
    load(servers.modelio.url, sameTimeS, half),
  ]);
  const [ua, ub] = pids.map((pid, j) => ((cpuSeconds(pid) - cpu0[j]) * 1e6) / [a, b][j].count);
  together.ratio.push(b.rps / a.rps);
  together.cpu.push(ua / ub);
}
for (const s of [...Object.values(servers), target]) await stopServer(s);

const count = (name) =>
  metrics
    .split('\n')
    .filter((l) => l.startsWith(name))
    .map((l) => l.slice(name.length))
    .join(' ') || '0';
const spread = (xs) => `${Math.min(...xs).toFixed(3)}–${Math.max(...xs).toFixed(3)}`;
console.log(
  `mdc proxy, ${ROWS}-row Open Inference Protocol requests, ${connections} connections, ${rounds} rounds of ${durationS} s per proxy (order rotating; fresh processes at round ${(rounds >> 1) + 1})`,
);
console.log(
  pin
    ? `  pinned with taskset: every proxy (and its threads) on core 0; autocannon and the model server on core${cores > 2 ? `s 1-${cores - 1}` : ' 1'}`
    : '  not pinned (BENCH_PIN=0, no taskset or one core): ratios are noisier',
);
if (profileDir) console.log(`  CPU profiles in ${profileDir}: numbers slowed by the profiler`);
for (const k of names) {
  const line = `  ${VARIANTS[k].what.padEnd(30)} ${String(Math.round(median(rps[k]))).padStart(6)} req/s, ${Math.round(median(cpuUs[k]))} us CPU/request, core 0 busy ${Math.round(median(busy[k]) * 100)} %`;
  console.log(
    k === 'payloads'
      ? line
      : `${line}\n      ratio ${median(ratios[k]).toFixed(3)} (rounds ${spread(ratios[k])}), by CPU ${median(cpuRatios[k]).toFixed(3)} (rounds ${spread(cpuRatios[k])})`,
  );
}
if (sameTimeRounds > 0) {
  console.log(
    `  same time (both loaded at once, ${connections >> 1} connections each, ${sameTimeRounds} rounds of ${sameTimeS} s): + model_inputs/model_outputs ratio ${median(together.ratio).toFixed(3)} (rounds ${spread(together.ratio)}), by CPU ${median(together.cpu).toFixed(3)}`,
  );
}
console.log(
  `  target: model-io ratio >= 0.9; req/s ratio ${median(ratios.modelio).toFixed(3)}, CPU ratio ${median(cpuRatios.modelio).toFixed(3)}${sameTimeRounds > 0 ? `, same time ${median(together.ratio).toFixed(3)}` : ''}`,
);
console.log(
  `  model-io exchanges: ${count('mdc_model_io_exchanges_total')}, skipped: ${count('mdc_model_io_skipped_total')}, metadata failures: ${count('mdc_model_io_metadata_failures_total')}`,
);

// Part 2: the same exchange's steps in one process, without HTTP (proxy-model-io-micro.mjs), on core 0 too.
const micro = fileURLToPath(new URL('proxy-model-io-micro.mjs', import.meta.url));
spawnSync(pin ? 'taskset' : process.execPath, [...(pin ? ['-c', '0', process.execPath] : []), micro], {
  stdio: 'inherit',
  env: { ...process.env, BENCH_PROXY_US: String(median(cpuUs.payloads)) },
});
