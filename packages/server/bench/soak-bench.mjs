// `npm run bench -- soak [--minutes N]`: minutes of mixed load through mdc serve with an Azure Blob datastore
// (Azurite) that goes down twice. Samples the server's RSS and open file handles (/proc/<pid>/status, /proc/<pid>/fd)
// and, at the end, counts every answered request in the container: 0 lost and 0 duplicated is the pass.
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BlobServiceClient } from '@azure/storage-blob';
import { median, startServer, stopServer } from './bench-servers.mjs';

const root = new URL('../../../', import.meta.url).pathname;
const arg = (name, def) => {
  const i = process.argv.indexOf(name);
  return i < 0 ? def : Number(process.argv[i + 1]);
};
const minutes = arg('--minutes', Number(process.env.MDC_SOAK_MINUTES || 10));
if (!(minutes > 0)) throw new Error('--minutes must be a positive number');
const durationMs = minutes * 60_000;
const outageMs = Math.min(60_000, Math.max(5_000, durationMs * 0.08));
const CLIENTS = 8;
const SAMPLE_MS = Math.max(1000, Math.min(10_000, durationMs / 60));

const dir = mkdtempSync(join(tmpdir(), 'mdc-soak-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// ---- Azurite, stoppable and restartable on the same data (an outage)
const ACCOUNT = 'devstoreaccount1';
const KEY = 'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';
const azPort = await new Promise((resolve) => {
  const srv = createServer().listen(0, '127.0.0.1', () => {
    const p = srv.address().port;
    srv.close(() => resolve(p));
  });
});
const azLocation = join(dir, 'azurite');
mkdirSync(azLocation);
const connectionString = `DefaultEndpointsProtocol=http;AccountName=${ACCOUNT};AccountKey=${KEY};BlobEndpoint=http://127.0.0.1:${azPort}/${ACCOUNT};`;
let azurite;
async function startAzurite() {
  azurite = spawn(
    process.execPath,
    [
      join(root, 'node_modules/azurite/dist/src/blob/main.js'),
      '--blobHost',
      '127.0.0.1',
      '--blobPort',
      String(azPort),
      '--location',
      azLocation,
      '--skipApiVersionCheck',
      '--loose',
      '--silent',
      '--disableTelemetry',
    ],
    { stdio: ['ignore', 'ignore', openSync(join(dir, 'azurite.log'), 'a')] },
  );
  for (let i = 0; i < 200; i++) {
    const up = await new Promise((r) => {
      const s = connect(azPort, '127.0.0.1', () => {
        s.destroy();
        r(true);
      });
      s.on('error', () => r(false));
    });
    if (up) return;
    await sleep(100);
  }
  throw new Error('Azurite did not start');
}
async function stopAzurite() {
  const c = azurite;
  const exited = new Promise((r) => c.once('exit', r));
  c.kill('SIGTERM');
  await Promise.race([exited, sleep(5000)]);
  if (c.exitCode === null) c.kill('SIGKILL');
}
process.on('exit', () => azurite?.kill('SIGKILL'));
await startAzurite();
const service = BlobServiceClient.fromConnectionString(connectionString);
await service.getContainerClient('soak').createIfNotExists();

// ---- the deployment
const ws = join(dir, 'ws');
mkdirSync(ws);
writeFileSync(
  join(ws, 'workspace.yml'),
  `name: soak\ndatastores:\n  workspaceblobstore:\n    type: azure_blob\n    container: soak\n    connection_string: "${connectionString}"\n    upload_interval_ms: 1000\n`,
);
mkdirSync(join(dir, 'src'));
writeFileSync(
  join(dir, 'src/score.mjs'),
  `import { Collector } from 'model-data-collector';
const inputs = new Collector({ name: 'model_inputs' });
const outputs = new Collector({ name: 'model_outputs' });
export function init() {}
export function run(data) {
  const ctx = inputs.collect(data.rows);
  const out = data.rows.map((r) => ({ score: (r.AGE ?? 0) / 100 }));
  outputs.collect(out, ctx);
  return { predictions: out };
}
`,
);
writeFileSync(
  join(dir, 'd.yml'),
  `name: blue\nendpoint_name: soak\ncode_configuration: {code: src, scoring_script: score.mjs}\ndata_collector:\n  collections:\n    request: {enabled: 'True'}\n    response: {enabled: 'True'}\n    model_inputs: {enabled: 'True'}\n    model_outputs: {enabled: 'True'}\n`,
);
const server = await startServer(
  process.execPath,
  [
    join(root, 'packages/cli/dist/bin.js'),
    'serve',
    '-f',
    join(dir, 'd.yml'),
    '--port',
    '0',
    '--workspace',
    ws,
    '--log-level',
    'error',
  ],
  { cwd: root },
);
const pid = server.child.pid;
const url = server.url.replace(/\/score$/, '');

// ---- samples of RSS and open file handles
const samples = [];
const sample = () => {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const rssMiB = Number(/^VmRSS:\s+(\d+)/m.exec(status)[1]) / 1024;
  const fds = readdirSync(`/proc/${pid}/fd`).length;
  samples.push({ t: Date.now() - started, rssMiB, fds });
};

// ---- mixed load
const answered = new Map(); // request id -> kind
const statuses = new Map();
let requests = 0;
let errors = 0;
let stopping = false;
const BAD = ['{"rows": [', 'not json', '\u0000\u0001', '{"rows": [{"AGE": 1e999}]'];
async function client(c) {
  for (let n = 0; !stopping; n++) {
    const roll = (n * 7919 + c * 104729) % 100;
    const id = `soak-${c}-${n}-${randomUUID().slice(0, 8)}`;
    let init;
    let expectCollected = false;
    if (roll < 75) {
      const rows = Array.from({ length: 1 + (n % 5) }, (_, i) => ({
        AGE: 20 + ((n + i) % 60),
        SEX: i % 2 ? 'M' : 'F',
        LIMIT_BAL: n * 10,
      }));
      init = { method: 'POST', body: JSON.stringify({ rows }) };
      expectCollected = true;
    } else if (roll < 85) {
      init = { method: 'POST', body: BAD[n % BAD.length] };
    } else if (roll < 87) {
      // a large request (200 KB)
      init = { method: 'POST', body: JSON.stringify({ rows: [{ AGE: 30, note: 'y'.repeat(200_000) }] }) };
      expectCollected = true;
    } else {
      init = { method: 'GET' };
    }
    const path = init.method === 'GET' ? (roll % 2 ? '/ready' : '/metrics') : '/score';
    requests++;
    try {
      const res = await fetch(`${url}${path}`, {
        ...init,
        headers: { 'content-type': 'application/json', 'x-request-id': id },
      });
      await res.arrayBuffer();
      statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
      if (res.status === 200 && expectCollected)
        answered.set(id, init.body.length > 100_000 ? 'large' : 'rows');
    } catch {
      errors++;
    }
  }
}

const started = Date.now();
sample();
const sampler = setInterval(sample, SAMPLE_MS);
const outages = [];
const chaos = (async () => {
  for (const at of [0.25, 0.6]) {
    const wait = started + durationMs * at - Date.now();
    if (wait > 0) await sleep(wait);
    if (stopping) return;
    const t0 = Date.now() - started;
    await stopAzurite();
    await sleep(outageMs);
    await startAzurite();
    outages.push({ fromS: Math.round(t0 / 1000), forS: Math.round(outageMs / 1000) });
  }
})();
const load = Array.from({ length: CLIENTS }, (_, c) => client(c));
await sleep(durationMs);
stopping = true;
await Promise.all(load);
await chaos;

// ---- drain: the spool delivers what it holds, then a clean stop flushes the rest
const pendingBytes = async () => {
  const text = await (await fetch(`${url}/metrics`)).text();
  return [...text.matchAll(/^mdc_datastore_pending_bytes\{[^}]*\} (\d+)/gm)].reduce(
    (a, m) => a + Number(m[1]),
    0,
  );
};
const drainStart = Date.now();
while (Date.now() - drainStart < 120_000 && (await pendingBytes()) > 0) await sleep(500);
sample();
clearInterval(sampler);
await stopServer(server);

// ---- what is in the container
const counts = { request: new Map(), response: new Map(), model_inputs: new Map(), model_outputs: new Map() };
let lines = 0;
let torn = 0;
const container = service.getContainerClient('soak');
for await (const b of container.listBlobsFlat()) {
  if (!b.name.endsWith('.jsonl')) continue;
  // Line by line from the bytes: an hour of request events is larger than a string can be.
  const buf = await container.getBlobClient(b.name).downloadToBuffer();
  for (let start = 0; start < buf.length; ) {
    let end = buf.indexOf(0x0a, start);
    if (end < 0) end = buf.length;
    const line = buf.toString('utf8', start, end);
    start = end + 1;
    if (line === '') continue;
    lines++;
    let e;
    try {
      e = JSON.parse(line);
    } catch {
      torn++;
      continue;
    }
    const m = counts[e.type?.replace('azureml.inference.', '')];
    if (m) m.set(e.correlationid, (m.get(e.correlationid) ?? 0) + 1);
  }
}
const tally = (m) => {
  const ids = [...answered.keys()];
  return {
    lost: ids.filter((id) => !m.has(id)).length,
    duplicated: [...m.values()].filter((n) => n > 1).length,
  };
};
const result = Object.fromEntries(Object.entries(counts).map(([k, m]) => [k, tally(m)]));

// ---- flatness: the last fifth against the fifth after warm-up (the first minute, or 20 %)
const warm = samples.filter((s) => s.t >= Math.min(60_000, durationMs * 0.2));
const fifth = Math.max(1, Math.floor(warm.length / 5));
const early = warm.slice(0, fifth);
const late = warm.slice(-fifth);
const rss = {
  early: median(early.map((s) => s.rssMiB)),
  late: median(late.map((s) => s.rssMiB)),
  max: Math.max(...samples.map((s) => s.rssMiB)),
};
const fds = {
  early: median(early.map((s) => s.fds)),
  late: median(late.map((s) => s.fds)),
  max: Math.max(...samples.map((s) => s.fds)),
};
const lost = Object.values(result).reduce((a, r) => a + r.lost, 0);
const duplicated = Object.values(result).reduce((a, r) => a + r.duplicated, 0);
const rssFlat = rss.late <= rss.early * 1.2 + 10;
const fdsFlat = fds.late <= fds.early + 5;
console.log(
  JSON.stringify(
    {
      minutes,
      clients: CLIENTS,
      requests,
      clientErrors: errors,
      statuses: Object.fromEntries(statuses),
      collectedRequests: answered.size,
      outages,
      storedLines: lines,
      tornLines: torn,
      perCollection: result,
      rssMiB: { early: +rss.early.toFixed(1), late: +rss.late.toFixed(1), max: +rss.max.toFixed(1) },
      openFds: fds,
      samples: samples.length,
      drainSeconds: Math.round((Date.now() - drainStart) / 1000),
    },
    null,
    2,
  ),
);
const ok = lost === 0 && duplicated === 0 && torn === 0 && rssFlat && fdsFlat;
console.log(
  `soak ${minutes} min: ${requests} requests, ${answered.size} collected, Azurite down twice (${outages.map((o) => `${o.forS} s at ${o.fromS} s`).join(', ')}): lost ${lost}, duplicated ${duplicated}, torn ${torn}; RSS ${rss.early.toFixed(0)} → ${rss.late.toFixed(0)} MiB (max ${rss.max.toFixed(0)}), open fds ${fds.early} → ${fds.late} (max ${fds.max}) → ${ok ? 'PASS' : 'FAIL'}`,
);
process.exit(ok ? 0 : 1);
