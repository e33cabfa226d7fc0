#!/usr/bin/env node
// npm run bench -- nginx: `mdc proxy` collecting request/response vs nginx in front of the same model server
// (issue 18: req/s >= 0.8x nginx's, p99 <= 1.5x nginx's). Four proxies of one Node model server, and the server itself, each loaded in
// turn by autocannon (32 connections, the order rotating every round; a figure is the median of the rounds):
// - nginx (Debian's /usr/sbin/nginx, started here with a config of its own in a temporary prefix: one worker,
//   a keepalive upstream, `proxy_http_version 1.1`, its default access log), when installed;
// - a bare Node proxy (node:http in, an undici dispatch out, nothing rewritten, checked or collected): the
//   floor of any proxy written in Node on this machine;
// - mdc proxy with collection off (a YAML with request/response disabled): the proxy's own work;
// - mdc proxy collecting request and response (the row the target is about);
// - the model server called directly, for the ceiling that autocannon and the model server set on their core.
// The proxies (nginx with its worker) are pinned with taskset to core 0; autocannon and the model server to
// the other core(s). Beside req/s and p99, each proxy's CPU per request (all its processes and threads, from
// /proc) and its share of core 0: a proxy that does not fill core 0 is held back by the load generator, and
// its req/s then says less than its CPU per request.
//
// Environment: BENCH_WARMUP_S (5 s of load per proxy before the rounds),
// BENCH_ROUNDS (8), BENCH_DURATION_S (2 s per proxy per round), BENCH_CONNECTIONS (32),
// BENCH_PIN=0 (no taskset), NGINX=/path/to/nginx, BENCH_PROFILE=DIR (the Node proxies write V8 CPU profiles
// there; their numbers are then slowed by the profiler).
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, request } from 'node:http';
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
const durationS = Number(process.env.BENCH_DURATION_S ?? 2);
const connections = Number(process.env.BENCH_CONNECTIONS ?? 32);
const warmupS = Number(process.env.BENCH_WARMUP_S ?? 5);
const rounds = Number(process.env.BENCH_ROUNDS ?? 8);
const profileDir = process.env.BENCH_PROFILE;
const NGINX = process.env.NGINX ?? '/usr/sbin/nginx';

const autocannon = await loadAutocannon('proxy-nginx-bench');
const work = benchWorkDir('mdc-proxy-nginx-bench-');

// The serve bench's request: one credit-default row of 23 numeric features, and a model server answering it.
const row = Object.fromEntries(CREDIT_COLUMNS.map((f, i) => [f, 1000 + i * 37]));
const body = JSON.stringify({ data: [row] });
const TARGET = `
import { createServer } from 'node:http';
const s = createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    const rows = JSON.parse(Buffer.concat(chunks)).data;
    const out = JSON.stringify({ predictions: rows.map((r) => ({ probability: r.AGE / 100, label: r.AGE > 40 ? 1 : 0 })) });
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(out) });
    res.end(out);
  });
});
s.keepAliveTimeout = 65000;
s.listen(0, '127.0.0.1', () => console.log('listening on http://127.0.0.1:' + s.address().port));
`;
writeFileSync(join(work, 'target.mjs'), TARGET);

// The least a Node reverse proxy does: the body read whole, one undici dispatch, the answer streamed back.
const BARE = (targetUrl) => `
import { createServer } from 'node:http';
import { Pool } from ${JSON.stringify(import.meta.resolve('undici'))};
const pool = new Pool(${JSON.stringify(targetUrl)}, { connections: 256 });
const SKIP = new Set(['connection', 'keep-alive', 'transfer-encoding']);
const s = createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    const headers = { 'content-type': req.headers['content-type'] };
    const body = chunks.length === 1 ? chunks[0] : Buffer.concat(chunks);
    pool.dispatch({ method: req.method, path: req.url, headers, body }, {
      onConnect() {},
      onHeaders(status, raw) {
        const h = {};
        for (let i = 0; i < raw.length; i += 2) {
          const name = raw[i].toString('latin1').toLowerCase();
          if (!SKIP.has(name)) h[name] = raw[i + 1].toString('latin1');
        }
        res.writeHead(status, h);
        return true;
      },
      onData(chunk) { res.write(chunk); return true; },
      onComplete() { res.end(); },
      onError(err) { res.destroy(err); },
    });
  });
});
s.keepAliveTimeout = 65000;
s.listen(0, '127.0.0.1', () => console.log('listening on http://127.0.0.1:' + s.address().port));
process.on('SIGTERM', () => process.exit(0));
`;

async function load(url, seconds = durationS) {
  const r = await autocannon({
    url: `${url}/score`,
    method: 'POST',
    body,
    headers: { 'content-type': 'application/json' },
    connections,
    duration: seconds,
  });
  if (r.non2xx || r.errors) throw new Error(`${url}: ${r.non2xx} non-2xx, ${r.errors} errors`);
  return { rps: r.requests.average, count: r.requests.total, p50: r.latency.p50, p99: r.latency.p99 };
}

/** A port nothing listens on now (nginx cannot be given port 0). */
async function freePort() {
  const s = createServer();
  await new Promise((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address();
  await new Promise((r) => s.close(r));
  return port;
}

/** PIDs of the processes whose parent is `pid` (nginx's workers). */
function childPids(pid) {
  const out = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === pid) out.push(Number(d));
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

/** nginx in a prefix of its own: one worker, a keepalive upstream to the target; undefined when not installed. */
async function startNginx(targetUrl) {
  if (!existsSync(NGINX)) return undefined;
  const prefix = join(work, 'nginx');
  for (const d of ['logs', 'tmp']) mkdirSync(join(prefix, d), { recursive: true });
  const port = await freePort();
  const target = new URL(targetUrl);
  const temp = ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi']
    .map((t) => `  ${t}_temp_path ${join(prefix, 'tmp', t)};`)
    .join('\n');
  writeFileSync(
    join(prefix, 'nginx.conf'),
    `worker_processes 1;
daemon off;
pid ${join(prefix, 'nginx.pid')};
error_log ${join(prefix, 'logs/error.log')} warn;
events { worker_connections 4096; }
http {
  access_log ${join(prefix, 'logs/access.log')};
${temp}
  upstream model { server ${target.host}; keepalive 64; }
  server {
    listen 127.0.0.1:${port};
    location = /-/nginx-ready { return 204; }
    location / {
      proxy_pass http://model;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host $host;
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
    }
  }
}
`,
  );
  const args = ['-p', prefix, '-c', join(prefix, 'nginx.conf')];
  const child = spawn(pin ? 'taskset' : NGINX, pin ? ['-c', '0', NGINX, ...args] : args, {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (d) => {
    stderr += d;
  });
  const errorLog = () => {
    try {
      return stderr + readFileSync(join(prefix, 'logs/error.log'), 'utf8');
    } catch {
      return stderr;
    }
  };
  // If this process ends early (an error), nginx goes too: its workers would outlive a killed master.
  let workers = [];
  process.on('exit', () => {
    for (const pid of workers) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    child.kill('SIGKILL');
  });
  const exited = new Promise((_, reject) =>
    child.once('exit', (code) => reject(new Error(`nginx exited ${code}: ${errorLog().trim()}`))),
  );
  exited.catch(() => {});
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; ; i++) {
    const up = await Promise.race([
      new Promise((resolve) => {
        const r = request(`${url}/-/nginx-ready`, (res) => {
          res.resume();
          resolve(true);
        });
        r.once('error', () => resolve(false));
        r.end();
      }),
      exited,
    ]);
    if (up) break;
    if (i > 100) throw new Error(`nginx did not start in 10 s: ${errorLog().trim()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  workers = childPids(child.pid);
  return { url, child, pids: [child.pid, ...workers] };
}

const deployment = (name, enabled) => {
  const file = join(work, `${name}.yml`);
  const flag = enabled ? "'True'" : "'False'";
  writeFileSync(
    file,
    `name: ${name}\nendpoint_name: bench\ndata_collector:\n  collections:\n    request: {enabled: ${flag}}\n    response: {enabled: ${flag}}\n`,
  );
  return file;
};
const nodeFlags = (name) =>
  profileDir
    ? [
        '--cpu-prof',
        '--cpu-prof-interval',
        '100',
        '--cpu-prof-dir',
        profileDir,
        '--cpu-prof-name',
        `${name}.cpuprofile`,
      ]
    : [];
const mdcProxy = (name, collect, targetUrl) =>
  startServer(
    process.execPath,
    [
      ...nodeFlags(name),
      bin,
      'proxy',
      '--target',
      targetUrl,
      '-f',
      deployment(name, collect),
      '--port',
      '0',
      '--workspace',
      join(work, 'ws', name),
      '--log-level',
      'warn',
    ],
    { cwd: root, pinToCore0: true },
  );

// autocannon (this process) and the model server on cores 1.., every proxy on core 0.
pinSelf(cores > 2 ? `1-${cores - 1}` : '1');
const target = await startServer(process.execPath, [join(work, 'target.mjs')], { cwd: root });
writeFileSync(join(work, 'bare.mjs'), BARE(target.url));
const servers = {};
let nginxSkipped;
try {
  servers.nginx = await startNginx(target.url);
} catch (err) {
  nginxSkipped = err.message;
}
if (!servers.nginx) {
  delete servers.nginx;
  nginxSkipped ??= `${NGINX} not found`;
}
const bare = await startServer(process.execPath, [...nodeFlags('bare'), join(work, 'bare.mjs')], {
  cwd: root,
  pinToCore0: true,
});
servers.bare = { ...bare, pids: [bare.child.pid] };
const off = await mdcProxy('off', false, target.url);
servers.off = { ...off, pids: [off.child.pid] };
const logging = await mdcProxy('logging', true, target.url);
servers.logging = { ...logging, pids: [logging.child.pid] };
// The model server called directly: the most autocannon and the model server give on their core, which caps
// what any proxy can show in req/s (its busy figure is the model server's core).
servers.direct = { ...target, pids: [target.child.pid] };
const WHAT = {
  direct: 'direct (no proxy)',
  nginx: 'nginx, keepalive upstream',
  bare: 'bare Node proxy (floor)',
  off: 'mdc proxy, collection off',
  logging: 'mdc proxy, request+response',
};
const names = Object.keys(servers);
const cpuOf = (s) => s.pids.reduce((sum, pid) => sum + cpuSeconds(pid), 0);

// Warm-up: V8 keeps compiling a Node proxy's hot code on a helper thread (pinned to core 0 too) for its first
// ~5 s under load, ~400 us of CPU per request at first; measured rounds start after it.
for (const k of names) await load(servers[k].url, warmupS);
const runs = Object.fromEntries(names.map((k) => [k, []]));
const ratios = Object.fromEntries(names.map((k) => [k, { rps: [], p99: [], cpu: [] }]));
const base = servers.nginx ? 'nginx' : 'bare';
for (let i = 0; i < rounds; i++) {
  const round = {};
  for (let j = 0; j < names.length; j++) {
    const k = names[(i + j) % names.length];
    const cpu0 = cpuOf(servers[k]);
    const t0 = process.hrtime.bigint();
    const r = await load(servers[k].url);
    const cpu = cpuOf(servers[k]) - cpu0;
    r.busy = cpu / (Number(process.hrtime.bigint() - t0) / 1e9);
    r.cpuUs = (cpu * 1e6) / r.count;
    runs[k].push(r);
    round[k] = r;
  }
  for (const k of names) {
    ratios[k].rps.push(round[k].rps / round[base].rps);
    ratios[k].p99.push(round[k].p99 / round[base].p99);
    ratios[k].cpu.push(round[k].cpuUs / round[base].cpuUs);
  }
}
for (const [k, s] of Object.entries(servers)) if (k !== 'direct') await stopServer(s);
await stopServer(target);

const med = (k, f) => median(runs[k].map((r) => r[f]));
const spread = (xs) => `${Math.min(...xs).toFixed(2)}–${Math.max(...xs).toFixed(2)}`;
console.log(
  `proxies in front of a Node model server (1-row credit requests, ${body.length} B; answers ${JSON.stringify({ predictions: [{ probability: 0.5, label: 1 }] }).length} B), ${connections} connections, ${rounds} rounds of ${durationS} s per proxy, order rotating`,
);
console.log(
  pin
    ? `  pinned with taskset: each proxy (nginx with its worker; Node with its threads) on core 0; autocannon and the model server on core${cores > 2 ? `s 1-${cores - 1}` : ' 1'}`
    : '  not pinned (BENCH_PIN=0, no taskset or one core): ratios are noisier',
);
if (nginxSkipped) {
  console.log(
    `  nginx: SKIPPED (${nginxSkipped}); install it with \`apt-get install nginx-light\` (Debian/Ubuntu) or set NGINX=/path/to/nginx. Ratios below are of the bare Node proxy.`,
  );
}
if (profileDir)
  console.log(
    `  CPU profiles of the Node proxies in ${profileDir}: their numbers are slowed by the profiler`,
  );
const result = {};
for (const k of names) {
  const rps = med(k, 'rps');
  const line = `  ${WHAT[k].padEnd(28)} ${String(Math.round(rps)).padStart(6)} req/s  p50 ${med(k, 'p50').toFixed(1).padStart(5)} ms  p99 ${med(k, 'p99').toFixed(1).padStart(5)} ms  ${String(Math.round(med(k, 'cpuUs'))).padStart(4)} us CPU/request  ${k === 'direct' ? 'model server' : pin ? 'core 0' : 'CPU'} busy ${Math.round(med(k, 'busy') * 100)} %`;
  const vs =
    k === base || k === 'direct'
      ? ''
      : `\n      vs ${base}: req/s ${median(ratios[k].rps).toFixed(3)}x (rounds ${spread(ratios[k].rps)}), p99 ${median(ratios[k].p99).toFixed(2)}x (rounds ${spread(ratios[k].p99)}), CPU/request ${median(ratios[k].cpu).toFixed(2)}x`;
  console.log(line + vs);
  result[k] = {
    rps,
    p50Ms: med(k, 'p50'),
    p99Ms: med(k, 'p99'),
    cpuUsPerRequest: med(k, 'cpuUs'),
    busy: med(k, 'busy'),
    ...(k !== base &&
      k !== 'direct' && {
        rpsRatio: median(ratios[k].rps),
        p99Ratio: median(ratios[k].p99),
        cpuRatio: median(ratios[k].cpu),
      }),
  };
}
if (servers.nginx) {
  const r = median(ratios.logging.rps);
  const p = median(ratios.logging.p99);
  console.log(
    `  target: mdc proxy (request+response) >= 0.8x nginx req/s and p99 <= 1.5x nginx: ${r.toFixed(3)}x, ${p.toFixed(2)}x — ${r >= 0.8 && p <= 1.5 ? 'met' : 'NOT met'}` +
      `; the bare Node proxy (no proxy in Node does less) is at ${median(ratios.bare.rps).toFixed(3)}x, ${median(ratios.bare.p99).toFixed(2)}x`,
  );
}
console.log(
  `  collection's own cost: request+response vs collection off ${(med('logging', 'rps') / med('off', 'rps')).toFixed(3)}x req/s, +${Math.round(med('logging', 'cpuUs') - med('off', 'cpuUs'))} us CPU/request; mdc proxy off vs the bare proxy ${(med('off', 'rps') / med('bare', 'rps')).toFixed(3)}x req/s, +${Math.round(med('off', 'cpuUs') - med('bare', 'cpuUs'))} us CPU/request`,
);
mkdirSync(join(root, 'bench-results'), { recursive: true });
writeFileSync(
  join(root, 'bench-results/proxy-nginx.json'),
  `${JSON.stringify({ connections, durationS, rounds, pinned: pin, nginxSkipped, result }, null, 2)}\n`,
);
