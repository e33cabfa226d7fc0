#!/usr/bin/env node
// `npm run bench -- python`: what mdc costs a Python scoring script, measured as a user runs it.
//  1. A trivial score.py under `mdc serve` with request/response collected, vs the same script behind a minimal
//     standard-library Python HTTP server (http.server, threads, keep-alive) with no collection: /score req/s,
//     alternating rounds, median ratio; target >= 0.85.
//  2. The same script collecting model_inputs/model_outputs through azureml-ai-monitoring (the test stand-in,
//     packages/server/test/fixtures/python) and the sidecar: all four collections on, reported against the same
//     baseline.
//  3. Sidecar ingest on one core: `mdc sidecar` pinned to core 0, 1-row JSON posts as the package sends them;
//     target >= 10,000 posts/s.
// Servers are pinned to core 0 (the Python worker inherits its parent's affinity) and the load generator to the
// other cores when taskset is there (BENCH_PIN=0 turns it off). Python: MDC_PYTHON, else /usr/bin/python3.
// BENCH_ROUNDS (default 3 pairs) of BENCH_DURATION_S (default 4) seconds, BENCH_CONNECTIONS (default 10).
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cores, median, pin, pinSelf, startServer, stopServer } from './bench-servers.mjs';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const bin = join(root, 'packages/cli/dist/bin.js');
const python = process.env.MDC_PYTHON || '/usr/bin/python3';
const standin = join(root, 'packages/server/test/fixtures/python');
const durationS = Number(process.env.BENCH_DURATION_S ?? 4);
const rounds = Number(process.env.BENCH_ROUNDS ?? 3);
const connections = Number(process.env.BENCH_CONNECTIONS ?? 10);

const autocannon = (await import('autocannon')).default;
const work = mkdtempSync(join(tmpdir(), 'mdc-python-bench-'));
process.on('exit', () => rmSync(work, { recursive: true, force: true }));
process.on('SIGINT', () => process.exit(130));

pinSelf(`1-${cores - 1}`);

const row = Object.fromEntries(Array.from({ length: 23 }, (_, i) => [`f${i}`, 1000 + i * 37]));
const body = JSON.stringify({ data: [row] });

const TRIVIAL = `import json

def init():
    pass

def run(raw):
    rows = json.loads(raw)["data"]
    return [{"probability": 0.5} for _ in rows]
`;
const COLLECTING = `import json
import pandas as pd
from azureml.ai.monitoring import Collector

def init():
    global inputs, outputs
    # The package's queue (1500) fills when its sender thread falls behind; then collect() raises. Counted by
    # the bench from the sidecar's accepted posts instead of failing the request.
    inputs = Collector(name="model_inputs", on_error=lambda e: None)
    outputs = Collector(name="model_outputs", on_error=lambda e: None)

def run(raw):
    df = pd.DataFrame(json.loads(raw)["data"])
    context = inputs.collect(df)
    out = pd.DataFrame({"probability": [0.5] * len(df)})
    outputs.collect(out, context)
    return out.to_dict(orient="records")
`;
// The baseline: the same run() behind the standard library's threaded HTTP server, HTTP/1.1 keep-alive.
const BASELINE = `import importlib.util, sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
import json

spec = importlib.util.spec_from_file_location("score", sys.argv[1])
score = importlib.util.module_from_spec(spec)
spec.loader.exec_module(score)
score.init()

class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body go out in two writes: without this, Nagle + delayed ACK stall each answer ~40 ms.
    disable_nagle_algorithm = True
    def do_POST(self):
        raw = self.rfile.read(int(self.headers.get("content-length", 0))).decode("utf-8")
        out = json.dumps(score.run(raw)).encode("utf-8")
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(out)))
        self.end_headers()
        self.wfile.write(out)
    def log_message(self, *args):
        pass

class Server(ThreadingHTTPServer):
    def handle_error(self, request, client_address):
        pass  # the load generator closing its connections at the end of a round

server = Server(("127.0.0.1", 0), Handler)
print(f"listening on http://127.0.0.1:{server.server_address[1]}", flush=True)
server.serve_forever()
`;

// The floor: the same trivial run() as a Node.js script under mdc serve, same collections: what mdc's own HTTP
// layer and payload logging cost with no Python process at all.
const NODE_TRIVIAL = `export function init() {}
export function run(payload) {
  return payload.data.map(() => ({ probability: 0.5 }));
}
`;
mkdirSync(join(work, 'trivial'));
writeFileSync(join(work, 'trivial/score.mjs'), NODE_TRIVIAL);
mkdirSync(join(work, 'collecting'));
writeFileSync(join(work, 'trivial/score.py'), TRIVIAL);
writeFileSync(join(work, 'collecting/score.py'), COLLECTING);
writeFileSync(join(work, 'baseline.py'), BASELINE);
const yaml = (name, code, collections, script = 'score.py') => {
  const file = join(work, `${name}.yml`);
  writeFileSync(
    file,
    `name: ${name}\nendpoint_name: bench\ncode_configuration: {code: ${code}, scoring_script: ${script}}\n` +
      `data_collector:\n  collections:\n${collections.map((c) => `    ${c}: {enabled: 'True'}`).join('\n')}\n`,
  );
  return file;
};
const payloads = yaml('payloads', join(work, 'trivial'), ['request', 'response']);
const nodeFloor = yaml('floor', join(work, 'trivial'), ['request', 'response'], 'score.mjs');
const four = yaml('four', join(work, 'collecting'), ['request', 'response', 'model_inputs', 'model_outputs']);
const sidecarYaml = yaml('sidecar', join(work, 'trivial'), ['model_inputs']);

const start = (command, args, env = {}) =>
  startServer(command, args, {
    cwd: root,
    env: { MDC_PYTHON: python, PYTHONPATH: standin, ...env },
    pinToCore0: true,
  });
const stop = stopServer;
const mdc = (...args) => start(process.execPath, [bin, ...args, '--workspace', join(work, 'ws')]);

async function load(url, options = {}) {
  const r = await autocannon({
    url,
    method: 'POST',
    body,
    headers: { 'content-type': 'application/json' },
    connections,
    duration: durationS,
    ...options,
  });
  if (r.non2xx || r.errors) throw new Error(`${url}: ${r.non2xx} non-2xx, ${r.errors} errors`);
  total.set(url, (total.get(url) ?? 0) + r.requests.total);
  return r.requests.average;
}
/** Requests answered per URL over the whole run (warm-up included). */
const total = new Map();

console.log(
  `python ${spawnSync(python, ['--version'], { encoding: 'utf8' }).stdout.trim()}, ${connections} connections, ` +
    `${rounds} rounds of ${durationS} s, ${pin ? 'servers pinned to core 0, load on the others' : 'unpinned'}`,
);
const baseline = await start(python, [join(work, 'baseline.py'), join(work, 'trivial/score.py')]);
const served = await mdc('serve', '-f', payloads, '--port', '0', '--log-level', 'warn');
const collecting = await mdc('serve', '-f', four, '--port', '0', '--log-level', 'warn');
const floor = await mdc('serve', '-f', nodeFloor, '--port', '0', '--log-level', 'warn');
const servers = { baseline, served, collecting, floor };
const score = (s) => `${s.url}/score`;
for (const s of Object.values(servers)) await load(score(s), { duration: 1 }); // warm-up
const rps = { baseline: [], served: [], collecting: [], floor: [] };
for (let i = 0; i < rounds; i++) {
  // Alternating order, so a machine that slows down during the run hurts each side alike.
  const order = ['baseline', 'served', 'floor', 'collecting'];
  if (i % 2) order.reverse();
  for (const name of order) rps[name].push(await load(score(servers[name])));
}
const metrics = await (await fetch(`${collecting.url}/metrics`)).text();
const accepted = Number(/^mdc_sidecar_posts_total\{outcome="accepted"\} (\d+)/m.exec(metrics)?.[1] ?? 0);
const collectCalls = 2 * total.get(score(collecting));
for (const s of Object.values(servers)) await stop(s);
const ratio = (name) => median(rps[name].map((r, i) => r / rps.baseline[i]));
const line = (label, name) =>
  `${label.padEnd(58)} ${median(rps[name]).toFixed(0).padStart(7)} req/s` +
  (name === 'baseline' ? '' : `   ${ratio(name).toFixed(3)} of the baseline`);
console.log(line('stdlib Python HTTP server, no collection (baseline)', 'baseline'));
console.log(`${line('mdc serve, request/response collected', 'served')}   (target >= 0.85)`);
console.log(line('mdc serve, four collections (two through the sidecar)', 'collecting'));
console.log(
  `  of its ${collectCalls} collect() calls the sidecar received ${accepted} (${((100 * accepted) / collectCalls).toFixed(1)} %); ` +
    "the rest the package's own queue dropped (its one sender thread posts over HTTP, ~1 per ms)",
);
console.log(line('floor: the same run() in Node.js under mdc serve, request/response', 'floor'));

// 3. Sidecar ingest: 1-row posts with the package's headers.
const sidecar = await mdc('sidecar', '-f', sidecarYaml, '--port', '0');
const post = JSON.stringify([row]);
const headers = {
  'content-type': 'application/json',
  'ce-type': 'azureml.inference.model_inputs',
  'ce-collect-data-type': 'pandas.core.frame.DataFrame',
  'ce-agent': 'azureml-ai-monitoring/1.0.0',
  'ce-model-version': 'default',
  'ce-x-request-id': 'bench',
};
// Its floor: a bare node:http server that reads each post and answers the same 200, nothing else.
const BARE = `require('node:http').createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c)).on('end', () => {
    Buffer.concat(chunks);
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': 21 });
    res.end('{"status":"accepted"}');
  });
}).listen(0, '127.0.0.1', function () { console.log('listening on http://127.0.0.1:' + this.address().port); });`;
const bare = await start(process.execPath, ['-e', BARE]);
const posts = [];
const floorPosts = [];
const postTo = (s, duration = durationS) =>
  load(`${s.url}/modeldata/log`, { body: post, headers, connections: 32, duration });
await postTo(sidecar, 1); // warm-up
await postTo(bare, 1);
for (let i = 0; i < rounds; i++) {
  posts.push(await postTo(sidecar));
  floorPosts.push(await postTo(bare));
}
await stop(sidecar);
await stop(bare);
console.log(
  `${'mdc sidecar ingest, 1-row posts, one core'.padEnd(58)} ${median(posts).toFixed(0).padStart(7)} posts/s   (target >= 10000)`,
);
console.log(
  `${'floor: bare node:http reading the posts, answering 200'.padEnd(58)} ${median(floorPosts).toFixed(0).padStart(7)} posts/s   ` +
    `(the sidecar keeps ${median(posts.map((p, i) => p / floorPosts[i])).toFixed(3)})`,
);
