#!/usr/bin/env node
// `npm run bench -- serve`: what data collection costs a scoring request, measured as a user runs it.
//  1. `mdc serve` with request, response, model_inputs and model_outputs all collected vs none (same script,
//     same run, alternating rounds); target: >= 95 % of the req/s.
//  2. `mdc proxy` in front of a plain Node HTTP model server vs calling the server directly, with and
//     without payload logging, and a minimal Node proxy as the floor: the proxy's added latency, also one
//     request at a time (the hop's own latency, without the queueing of a concurrent load).
// Every server is a child process on 127.0.0.1; autocannon drives the load. BENCH_DURATION_S sets the round
// length (default 5), BENCH_CONNECTIONS the concurrency (default 32). Results also go to bench-results/serve.json.
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CREDIT_COLUMNS } from '../../cli/dist/demo/credit-data.js';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const bin = join(root, 'packages/cli/dist/bin.js');
const durationS = Number(process.env.BENCH_DURATION_S ?? 5);
const connections = Number(process.env.BENCH_CONNECTIONS ?? 32);
const rounds = Number(process.env.BENCH_ROUNDS ?? 2);

let autocannon;
try {
  autocannon = (await import('autocannon')).default;
} catch {
  console.error('serve-bench needs autocannon (a root devDependency): run npm install');
  process.exit(1);
}

const work = mkdtempSync(join(tmpdir(), 'mdc-serve-bench-'));
const children = new Set();
const cleanup = () => {
  for (const c of children) c.kill('SIGKILL');
  rmSync(work, { recursive: true, force: true });
};
process.on('exit', cleanup);
process.on('SIGINT', () => process.exit(130));

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
const deployment = (name, enabled) => {
  const file = join(work, `${name}.yml`);
  const flag = enabled ? "'True'" : "'False'";
  writeFileSync(
    file,
    `name: ${name}\nendpoint_name: bench\ncode_configuration: {code: src, scoring_script: score.mjs}\n` +
      `data_collector:\n  collections:\n${['request', 'response', 'model_inputs', 'model_outputs'].map((c) => `    ${c}: {enabled: ${flag}}`).join('\n')}\n`,
  );
  return file;
};

function start(args, env = {}) {
  const child = spawn(process.execPath, args, {
    cwd: root,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  children.add(child);
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (d) => {
      out += d;
      const m = /(?:ready at|listening on) (http:\/\/[^\s/]+)/.exec(out);
      if (m) resolve({ url: m[1], child });
    });
    child.once('exit', (code) => reject(new Error(`${args.join(' ')} exited ${code}:\n${out}`)));
  });
}

async function stop({ child }) {
  child.kill('SIGTERM');
  await new Promise((r) => child.once('exit', r));
  children.delete(child);
}

async function load(url, seconds = durationS) {
  const r = await autocannon({
    url,
    method: 'POST',
    body,
    headers: { 'content-type': 'application/json' },
    connections,
    duration: seconds,
  });
  if (r.non2xx || r.errors) throw new Error(`${url}: ${r.non2xx} non-2xx, ${r.errors} errors`);
  return { rps: r.requests.average, p50: r.latency.p50, p99: r.latency.p99 };
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
const servers = {
  off: await start([
    bin,
    'serve',
    '-f',
    deployment('off', false),
    '--port',
    '0',
    '--workspace',
    join(work, 'ws'),
    '--log-level',
    'warn',
  ]),
  on: await start([
    bin,
    'serve',
    '-f',
    deployment('on', true),
    '--port',
    '0',
    '--workspace',
    join(work, 'ws'),
    '--log-level',
    'warn',
  ]),
};
for (const s of Object.values(servers)) await load(`${s.url}/score`, 1); // warm-up (JIT, connections)
const runs = { off: [], on: [] };
for (let i = 0; i < rounds; i++) {
  for (const k of i % 2 ? ['on', 'off'] : ['off', 'on']) runs[k].push(await load(`${servers[k].url}/score`));
}
for (const s of Object.values(servers)) await stop(s);
const off = summary(runs.off);
const on = summary(runs.on);
console.log(`mdc serve /score, ${connections} connections, ${rounds} x ${durationS} s rounds each`);
console.log(`  collections off: ${fmt(off)}`);
console.log(`  all four on:     ${fmt(on)}`);
console.log(
  `  ratio on/off: ${(on.rps / off.rps).toFixed(3)} of the req/s (target >= 0.95), p99 x${(on.p99 / off.p99).toFixed(2)}`,
);

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
  logging: await start([
    bin,
    'proxy',
    '--target',
    target.url,
    '--endpoint',
    'bench',
    '--deployment',
    'proxy',
    '--port',
    '0',
    '--workspace',
    join(work, 'ws'),
    '--log-level',
    'warn',
  ]),
  passthrough: await start([
    bin,
    'proxy',
    '--target',
    target.url,
    '-f',
    deployment('proxyoff', false),
    '--port',
    '0',
    '--workspace',
    join(work, 'ws'),
    '--log-level',
    'warn',
  ]),
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

mkdirSync(join(root, 'bench-results'), { recursive: true });
writeFileSync(
  join(root, 'bench-results/serve.json'),
  `${JSON.stringify({ connections, durationS, rounds, serve: { off, on, ratio: on.rps / off.rps }, proxy: { direct, minimal: floor, passthrough: pass, logging, sequentialUs: seqSummary } }, null, 2)}\n`,
);
