#!/usr/bin/env node
import { mkdirSync, writeFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CREDIT_COLUMNS } from '../../cli/dist/demo/credit-data.js';
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
const durationS = Number(process.env.BENCH_DURATION_S ?? 5);
const connections = Number(process.env.BENCH_CONNECTIONS ?? 32);
const rounds = Number(process.env.BENCH_ROUNDS ?? 2);
const pairs = Number(process.env.BENCH_PAIRS ?? 8);
const pairS = Number(process.env.BENCH_PAIR_S ?? 2);

const autocannon = await loadAutocannon('serve-bench');
const work = benchWorkDir('mdc-serve-bench-');

// A credit-default style request: one row of the demo's 23 numeric features.
const FEATURES = CREDIT_COLUMNS;
const row = Object.fromEntries(FEATURES.map((f, i) => [f, 1000 + i * 37]));
const body = JSON.stringify({ data: [row] });

const SCORE = `
import { Collector } from 'model-data-collector';
const inputs = new Collector({ name: 'model_inputs', onError: () => {} });
const outputs = new Collector({ name: 'model_outputs', onError: () => {} });
export function init() {}
export function run(payload) {
  const rows = payload.data;
  const ctx = inputs.collect(rows);
  const preds = rows.map((r) => ({ probability: 1 / (1 + Math.exp(-(r.LIMIT_BAL - r.AGE * 40) / 1e5)) }));
  outputs.collect(preds, ctx);
  return preds;
}
`;
mkdirSync(join(work, 'src'));
writeFileSync(join(work, 'src/score.mjs'), SCORE);
const SCRIPT = 'code_configuration: {code: src, scoring_script: score.mjs}';
/** A deployment YAML with all four collections on or off; `what` says what is served. */
const deployment = (name, enabled, what = SCRIPT) => {
  const file = join(work, `${name}.yml`);
  const flag = enabled ? "'True'" : "'False'";
  writeFileSync(
    file,
    `name: ${name}\nendpoint_name: bench\n${what}\n` +
      `data_collector:\n  collections:\n${['request', 'response', 'model_inputs', 'model_outputs'].map((c) => `    ${c}: {enabled: ${flag}}`).join('\n')}\n`,
  );
  return file;
};

/**
 * Part 1 pins each server (and its libuv/GC threads) to core 0 and this process (autocannon) to the others, so
 * the ratio measures the server's own capacity instead of how the scheduler shares two busy cores; BENCH_PIN=0
 * turns it off. Needs taskset (util-linux) and at least 2 cores.
 */
const start = (args, env = {}, pinToCore0 = false) =>
  startServer(process.execPath, args, { cwd: root, env, pinToCore0 });
const stop = stopServer;

async function load(url, seconds = durationS, requestBody = body) {
  const r = await autocannon({
    url,
    method: 'POST',
    body: requestBody,
    headers: { 'content-type': 'application/json' },
    connections,
    duration: seconds,
  });
  if (r.non2xx || r.errors) throw new Error(`${url}: ${r.non2xx} non-2xx, ${r.errors} errors`);
  return { rps: r.requests.average, p50: r.latency.p50, p99: r.latency.p99, count: r.requests.total };
}

// One request at a time over one keep-alive connection, timed in microseconds: the latency a hop adds, without
// the queueing that dominates p50 under autocannon's concurrent load on a small machine.
async function sequential(url, n = Number(process.env.BENCH_SEQUENTIAL ?? 3000)) {
  const { hostname, port } = new URL(url);
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const payload = Buffer.from(body);
  const one = () =>
    new Promise((resolve, reject) => {
      const req = request(
        {
          host: hostname,
          port,
          path: '/score',
          method: 'POST',
          agent,
          headers: { 'content-type': 'application/json', 'content-length': payload.length },
        },
        (res) => res.resume().once('end', resolve),
      );
      req.once('error', reject).end(payload);
    });
  for (let i = 0; i < 300; i++) await one();
  const us = [];
  for (let i = 0; i < n; i++) {
    const t = process.hrtime.bigint();
    await one();
    us.push(Number(process.hrtime.bigint() - t) / 1e3);
  }
  agent.destroy();
  us.sort((a, b) => a - b);
  return { p50: us[n >> 1], p90: us[Math.floor(n * 0.9)] };
}

const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;
const summary = (runs) => ({
  rps: mean(runs.map((r) => r.rps)),
  p50: mean(runs.map((r) => r.p50)),
  p99: mean(runs.map((r) => r.p99)),
});
const fmt = (s) =>
  `${s.rps.toFixed(0).padStart(7)} req/s   p50 ${s.p50.toFixed(2).padStart(6)} ms   p99 ${s.p99.toFixed(2).padStart(6)} ms`;

// 1. collection on vs off
/** An mdc command's arguments on the bench workspace, on a free port, with quiet logs. */
const mdc = (...args) => [
  bin,
  ...args,
  '--port',
  '0',
  '--workspace',
  join(work, 'ws'),
  '--log-level',
  'warn',
];
const serveArgs = (file) => mdc('serve', '-f', file);
/** A third server per comparison: `on`, with collection cut down to its floor (see floor-preload.mjs). */
const FLOOR_PRELOAD = fileURLToPath(new URL('floor-preload.mjs', import.meta.url));
/** A fourth: the same four events written by pino instead (see pino-preload.mjs), the best peer on that floor. */
const PINO_PRELOAD = fileURLToPath(new URL('pino-preload.mjs', import.meta.url));

/**
 * Runs the deployment with all four collections off, on, and on with collection cut down to its floor, and
 * compares them. The machine's speed drifts within seconds when it is shared, so the servers are compared in
 * short back-to-back rounds (order alternating) and a ratio is the median of the rounds' ratios.
 */
async function compareOnOff(title, deploymentFile, requestBody) {
  pinSelf(`1-${cores - 1}`);
  const files = { off: deploymentFile('off', false), on: deploymentFile('on', true) };
  let servers;
  const runs = { off: [], on: [], floor: [], pino: [] };
  const pairRatios = [];
  const floorRatios = [];
  const pinoRatios = [];
  const cpuUs = { off: [], on: [], floor: [], pino: [] };
  const loopUs = { off: [], on: [], floor: [], pino: [] };
  for (let i = 0; i < pairs; i++) {
    // Two identical servers can differ by up to 5 % for as long as they run (memory layout, JIT): the
    // second half of the pairs runs on a fresh pair of processes.
    if (i === 0 || i === pairs >> 1) {
      if (servers) for (const s of Object.values(servers)) await stop(s);
      servers = {
        off: await start(serveArgs(files.off), {}, true),
        on: await start(serveArgs(files.on), {}, true),
        floor: await start(['--import', FLOOR_PRELOAD, ...serveArgs(files.on)], {}, true),
        pino: await start(['--import', PINO_PRELOAD, ...serveArgs(files.on)], {}, true),
      };
      for (const s of Object.values(servers)) await load(`${s.url}/score`, 1, requestBody); // warm-up
    }
    const pair = {};
    for (const k of i % 2 ? ['pino', 'floor', 'on', 'off'] : ['off', 'on', 'floor', 'pino']) {
      const pid = servers[k].child.pid;
      const cpu0 = cpuSeconds(pid);
      const loop0 = cpuSeconds(pid, true);
      pair[k] = await load(`${servers[k].url}/score`, pairS, requestBody);
      const cpu = cpuSeconds(pid) - cpu0;
      const loop = cpuSeconds(pid, true) - loop0;
      if (pair[k].count > 0) {
        cpuUs[k].push((cpu * 1e6) / pair[k].count);
        loopUs[k].push((loop * 1e6) / pair[k].count);
      }
      runs[k].push(pair[k]);
    }
    pairRatios.push(pair.on.rps / pair.off.rps);
    floorRatios.push(pair.floor.rps / pair.off.rps);
    pinoRatios.push(pair.pino.rps / pair.off.rps);
  }
  for (const s of Object.values(servers)) await stop(s);
  pinSelf(`0-${cores - 1}`);
  const off = summary(runs.off);
  const on = summary(runs.on);
  const floor = summary(runs.floor);
  const pinoRun = summary(runs.pino);
  const ratio = median(pairRatios);
  const floorRatio = median(floorRatios);
  const pinoRatio = median(pinoRatios);
  const cpu = Object.fromEntries(Object.entries(cpuUs).map(([k, v]) => [k, median(v)]));
  const loop = Object.fromEntries(Object.entries(loopUs).map(([k, v]) => [k, median(v)]));
  console.log(
    `${title}, ${connections} connections, ${pairs} pairs of ${pairS} s rounds` +
      (pin ? ', each server pinned to core 0 and autocannon to the other cores' : ', not pinned'),
  );
  const cpuLine = (k) =>
    `server CPU ${cpu[k].toFixed(1)} us/request (${loop[k].toFixed(1)} on the event loop)`;
  console.log(`  collections off: ${fmt(off)}   ${cpuLine('off')}`);
  console.log(`  all four on:     ${fmt(on)}   ${cpuLine('on')}`);
  console.log(`  floor (below):   ${fmt(floor)}   ${cpuLine('floor')}`);
  console.log(`  pino (below):    ${fmt(pinoRun)}   ${cpuLine('pino')}`);
  console.log(
    `  ratio on/off: ${ratio.toFixed(3)} of the req/s (median of ${pairs} pairs, ${Math.min(...pairRatios).toFixed(3)}..${Math.max(...pairRatios).toFixed(3)}; target >= 0.90 pinned, 0.80 not pinned), p99 x${(on.p99 / off.p99).toFixed(2)}, ` +
      `collection costs ${(cpu.on - cpu.off).toFixed(1)} us of server CPU per request (4 events), ` +
      `${(loop.on - loop.off).toFixed(1)} us of it on the event loop`,
  );
  console.log(
    `  floor: ${floorRatio.toFixed(3)} of the off req/s (${Math.min(...floorRatios).toFixed(3)}..${Math.max(...floorRatios).toFixed(3)}) with the four lines only encoded ` +
      `(the row writer + the SDK's encoder; nothing validated, queued or written): the ceiling for on/off here`,
  );
  console.log(
    `  pino: ${pinoRatio.toFixed(3)} of the off req/s (${Math.min(...pinoRatios).toFixed(3)}..${Math.max(...pinoRatios).toFixed(3)}) with the same four events logged by pino ` +
      `(no envelope, partitions, bounds or counters): the best peer on this floor`,
  );
  return {
    off,
    on,
    floor,
    pino: pinoRun,
    ratio,
    pairRatios,
    floorRatio,
    floorRatios,
    pinoRatio,
    pinoRatios,
    cpuUsPerRequest: cpu,
    eventLoopCpuUsPerRequest: loop,
  };
}

// 1. a scoring script whose run() costs next to nothing: the worst case for the relative overhead
const serveResult = await compareOnOff('mdc serve /score, scoring script', deployment, body);
// 1b. the demo's credit-default ONNX model served with no scoring script (the built-in scorer collects)
const onnxModel = `model: {path: ${join(root, 'models/credit-default/model.onnx')}}`;
const onnxYaml = (name, enabled) => deployment(`onnx-${name}`, enabled, onnxModel);
const onnxBody = JSON.stringify({ dataframe_records: [row] });
const onnxResult = await compareOnOff(
  'mdc serve /score, demo ONNX model (no scoring script)',
  onnxYaml,
  onnxBody,
);
const proxyResult = process.env.BENCH_SKIP_PROXY === '1' ? undefined : await proxyBench();

mkdirSync(join(root, 'bench-results'), { recursive: true });
writeFileSync(
  join(root, 'bench-results/serve.json'),
  `${JSON.stringify({ connections, durationS, rounds, serve: serveResult, onnx: onnxResult, proxy: proxyResult }, null, 2)}\n`,
);

async function proxyBench() {
  // 2. proxy overhead: a minimal Node model server, called directly and through mdc proxy
  const TARGET = `
  import { createServer } from 'node:http';
  const s = createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const rows = JSON.parse(Buffer.concat(chunks)).data;
      const out = JSON.stringify(rows.map((r) => ({ probability: r.AGE / 100 })));
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(out) });
      res.end(out);
    });
  });
  s.keepAliveTimeout = 65000;
  s.listen(0, '127.0.0.1', () => console.log('listening on http://127.0.0.1:' + s.address().port));
  `;
  writeFileSync(join(work, 'target.mjs'), TARGET);
  const target = await start([join(work, 'target.mjs')]);
  // The floor: the least a Node reverse proxy does (node:http in, undici out, no headers rewritten, nothing
  // collected), so the proxy's cost can be told apart from the cost of an extra hop on this machine.
  const BARE = `
  import { createServer } from 'node:http';
  import { Pool } from ${JSON.stringify(import.meta.resolve('undici'))};
  const pool = new Pool(${JSON.stringify(target.url)}, { connections: 256 });
  const s = createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', async () => {
      const headers = { 'content-type': req.headers['content-type'] };
      const up = await pool.request({ method: req.method, path: req.url, headers, body: Buffer.concat(chunks) });
      res.writeHead(up.statusCode, up.headers);
      for await (const c of up.body) res.write(c);
      res.end();
    });
  });
  s.listen(0, '127.0.0.1', () => console.log('listening on http://127.0.0.1:' + s.address().port));
  `;
  writeFileSync(join(work, 'bare-proxy.mjs'), BARE);
  const bare = await start([join(work, 'bare-proxy.mjs')]);
  const proxies = {
    logging: await start(
      mdc('proxy', '--target', target.url, '--endpoint', 'bench', '--deployment', 'proxy'),
    ),
    passthrough: await start(mdc('proxy', '--target', target.url, '-f', deployment('proxyoff', false))),
  };
  const urls = {
    direct: target.url,
    bare: bare.url,
    passthrough: proxies.passthrough.url,
    logging: proxies.logging.url,
  };
  for (const u of Object.values(urls)) await load(`${u}/score`, 1);
  const pruns = { direct: [], bare: [], passthrough: [], logging: [] };
  for (let i = 0; i < rounds; i++) {
    const order = Object.keys(urls);
    if (i % 2) order.reverse();
    for (const k of order) pruns[k].push(await load(`${urls[k]}/score`));
  }
  const seq = { direct: [], bare: [], passthrough: [], logging: [] };
  for (let i = 0; i < rounds; i++) {
    for (const k of Object.keys(urls)) seq[k].push(await sequential(urls[k]));
  }
  const seqSummary = Object.fromEntries(
    Object.entries(seq).map(([k, runs]) => [
      k,
      { p50: mean(runs.map((r) => r.p50)), p90: mean(runs.map((r) => r.p90)) },
    ]),
  );
  for (const s of [...Object.values(proxies), bare, target]) await stop(s);
  const direct = summary(pruns.direct);
  const pass = summary(pruns.passthrough);
  const floor = summary(pruns.bare);
  const logging = summary(pruns.logging);
  console.log(`mdc proxy in front of a Node HTTP model server, ${connections} connections`);
  console.log(`  direct:                   ${fmt(direct)}`);
  console.log(`  minimal Node proxy:       ${fmt(floor)}`);
  console.log(`  proxy, no collection:     ${fmt(pass)}`);
  console.log(`  proxy, request+response:  ${fmt(logging)}`);
  console.log(
    `  proxy with logging: ${(logging.rps / direct.rps).toFixed(3)} of direct req/s, adds ${(logging.p50 - direct.p50).toFixed(2)} ms p50, ${(logging.p99 - direct.p99).toFixed(2)} ms p99` +
      ` (collection alone: ${(logging.rps / pass.rps).toFixed(3)} of pass-through req/s)`,
  );
  const us = (k) =>
    `p50 ${seqSummary[k].p50.toFixed(0).padStart(5)} us   p90 ${seqSummary[k].p90.toFixed(0).padStart(5)} us`;
  console.log('  one request at a time (one keep-alive connection):');
  console.log(`    direct:                 ${us('direct')}`);
  console.log(`    minimal Node proxy:     ${us('bare')}`);
  console.log(`    proxy, no collection:   ${us('passthrough')}`);
  console.log(`    proxy, request+response: ${us('logging')}`);
  console.log(
    `  proxy adds ${(seqSummary.logging.p50 - seqSummary.direct.p50).toFixed(0)} us at p50 one request at a time` +
      ` (${(seqSummary.passthrough.p50 - seqSummary.direct.p50).toFixed(0)} us without collection,` +
      ` ${(seqSummary.bare.p50 - seqSummary.direct.p50).toFixed(0)} us for the minimal proxy)`,
  );
  return { direct, minimal: floor, passthrough: pass, logging, sequentialUs: seqSummary };
}
