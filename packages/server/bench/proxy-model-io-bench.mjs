#!/usr/bin/env node
// npm run bench -- proxy: req/s of mdc proxy turning Open Inference Protocol exchanges into model_inputs /
// model_outputs rows (--model-io auto) vs the same proxy logging request/response only. 10-row requests to a
// Node OIP model server; alternating rounds; the median of the per-round ratios (target >= 0.9).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cores, cpuSeconds, median, pin, pinSelf, startServer, stopServer } from './bench-servers.mjs';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const bin = join(root, 'packages/cli/dist/bin.js');
const durationS = Number(process.env.BENCH_DURATION_S ?? 3);
const connections = Number(process.env.BENCH_CONNECTIONS ?? 32);
const rounds = Number(process.env.BENCH_ROUNDS ?? 10);

let autocannon;
try {
  autocannon = (await import('autocannon')).default;
} catch {
  console.error('proxy-model-io-bench needs autocannon (a root devDependency): run npm install');
  process.exit(1);
}

const work = mkdtempSync(join(tmpdir(), 'mdc-proxy-io-bench-'));
process.on('exit', () => rmSync(work, { recursive: true, force: true }));
process.on('SIGINT', () => process.exit(130));

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
        const y = t.data[i * 4] > 40 ? 1 : 0;
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

const ROWS = 10;
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

const deployment = (name, rows) => {
  const file = join(work, `${name}.yml`);
  const on = ['request', 'response', ...(rows ? ['model_inputs', 'model_outputs'] : [])];
  writeFileSync(
    file,
    `name: ${name}\nendpoint_name: bench\ndata_collector:\n  collections:\n${on.map((c) => `    ${c}: {enabled: 'True'}`).join('\n')}\n`,
  );
  return file;
};

async function load(url, seconds = durationS) {
  const r = await autocannon({
    url: `${url}/v2/models/credit/infer`,
    method: 'POST',
    body,
    headers: { 'content-type': 'application/json' },
    connections,
    duration: seconds,
  });
  if (r.non2xx || r.errors) throw new Error(`${url}: ${r.non2xx} non-2xx, ${r.errors} errors`);
  return { rps: r.requests.average, count: r.requests.total };
}

pinSelf(cores > 2 ? `1-${cores - 1}` : '1');
const target = await startServer(process.execPath, [join(work, 'target.mjs')], { cwd: root });
const ws = join(work, 'ws');
const proxy = (file) =>
  startServer(
    process.execPath,
    [
      bin,
      'proxy',
      '--target',
      target.url,
      '-f',
      file,
      '--port',
      '0',
      '--workspace',
      ws,
      '--log-level',
      'warn',
    ],
    { cwd: root, pinToCore0: true },
  );
const servers = {
  payloads: await proxy(deployment('payloads', false)),
  modelio: await proxy(deployment('modelio', true)),
};
for (const s of Object.values(servers)) await load(s.url, 1);
const rps = { payloads: [], modelio: [] };
// The proxy's own CPU per request: less sensitive than req/s to what else the machine runs.
const cpuUs = { payloads: [], modelio: [] };
const ratios = [];
for (let i = 0; i < rounds; i++) {
  const order = i % 2 ? ['modelio', 'payloads'] : ['payloads', 'modelio'];
  for (const k of order) {
    const pid = servers[k].child.pid;
    const cpu0 = cpuSeconds(pid);
    const r = await load(servers[k].url);
    cpuUs[k].push(((cpuSeconds(pid) - cpu0) * 1e6) / r.count);
    rps[k].push(r.rps);
  }
  ratios.push(rps.modelio[i] / rps.payloads[i]);
}
const metrics = await (await fetch(`${servers.modelio.url}/-/mdc/metrics`)).text();
const count = (name) =>
  metrics
    .split('\n')
    .filter((l) => l.startsWith(name))
    .map((l) => l.slice(name.length))
    .join(' ') || '0';
for (const s of [...Object.values(servers), target]) await stopServer(s);

const fmt = (xs) => `${Math.round(median(xs))} req/s (rounds: ${xs.map(Math.round).join(', ')})`;
console.log(
  `mdc proxy, ${ROWS}-row Open Inference Protocol requests, ${connections} connections, ${rounds} rounds of ${durationS} s` +
    (pin ? ', proxies pinned to core 0' : ''),
);
console.log(`  request/response only:          ${fmt(rps.payloads)}`);
console.log(`  + model_inputs/model_outputs:   ${fmt(rps.modelio)}`);
console.log(
  `  ratio (median of rounds): ${median(ratios).toFixed(3)} (target >= 0.9; per round ${ratios.map((r) => r.toFixed(3)).join(', ')})`,
);
console.log(
  `  proxy CPU per request (median of rounds): ${Math.round(median(cpuUs.payloads))} us request/response only, ${Math.round(median(cpuUs.modelio))} us with rows (${(median(cpuUs.payloads) / median(cpuUs.modelio)).toFixed(3)} as a req/s ratio)`,
);
console.log(
  `  model-io exchanges: ${count('mdc_model_io_exchanges_total')}, skipped: ${count('mdc_model_io_skipped_total')}, metadata failures: ${count('mdc_model_io_metadata_failures_total')}`,
);
