#!/usr/bin/env node
// npm run bench -- stream: OpenAI-compatible streamed answers through mdc proxy (request, response, model_inputs
// and model_outputs collected; each stream assembled into one response event and two rows) vs straight to the
// model server, in the same run. A Node server of the bench's own plays the LLM: after a short "prefill" pause it
// sends BENCH_TOKENS chat.completion.chunk events, one every BENCH_TOKEN_INTERVAL_MS, then a usage chunk and
// [DONE]. BENCH_STREAMS (64) streams run at once, each starting a new one when it ends. Rounds alternate direct
// and proxy (the order rotating); per round: time to first byte at p50 and p99 (request sent to first body byte
// at the client) and tokens per second (all streams' tokens over the round's time). Reported: the medians of the
// rounds, the p50 difference and the tokens/s ratio (targets: first byte within 2 ms of direct at p50, >= 0.95
// of direct tokens/s). The proxy runs on core 0, the model server and this load generator on the others.
//
// BENCH_TOKEN_INTERVAL_MS=0 sends the tokens as fast as the server can: the proxy's own throughput limit.
// Last, one chunked answer of BENCH_BIG_MB (1024) MiB goes through the collecting proxy: its peak RSS, sampled
// from /proc, must stay flat (the capture keeps at most --max-stream-capture-bytes, 16 MiB).
// Environment: BENCH_ROUNDS (6), BENCH_DURATION_S (3), BENCH_STREAMS (64), BENCH_TOKENS (100),
// BENCH_TOKEN_INTERVAL_MS (5), BENCH_PREFILL_MS (20), BENCH_PIN=0 (no taskset).
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cores, cpuSeconds, median, pin, pinSelf, startServer, stopServer } from './bench-servers.mjs';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const bin = join(root, 'packages/cli/dist/bin.js');
const rounds = Number(process.env.BENCH_ROUNDS ?? 6);
const durationS = Number(process.env.BENCH_DURATION_S ?? 3);
const streams = Number(process.env.BENCH_STREAMS ?? 64);
const tokens = Number(process.env.BENCH_TOKENS ?? 100);
const intervalMs = Number(process.env.BENCH_TOKEN_INTERVAL_MS ?? 5);
const prefillMs = Number(process.env.BENCH_PREFILL_MS ?? 20);

const work = mkdtempSync(join(tmpdir(), 'mdc-stream-bench-'));
process.on('exit', () => rmSync(work, { recursive: true, force: true }));
process.on('SIGINT', () => process.exit(130));

const LLM = `
import { createServer } from 'node:http';
const TOKENS = ${tokens}, INTERVAL = ${intervalMs}, PREFILL = ${prefillMs};
const head = '{"id":"chatcmpl-b","object":"chat.completion.chunk","created":1700000000,"model":"bench-llm","choices":[{"index":0,"delta":';
const frame = (delta, finish) => 'data: ' + head + JSON.stringify(delta) + ',"finish_reason":' + JSON.stringify(finish) + '}]}\\n\\n';
const usage = 'data: {"id":"chatcmpl-b","object":"chat.completion.chunk","created":1700000000,"model":"bench-llm","choices":[],"usage":{"prompt_tokens":12,"completion_tokens":' + TOKENS + ',"total_tokens":' + (TOKENS + 12) + '}}\\n\\n';
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const BLOCK = Buffer.alloc(1 << 16, 'x');
const s = createServer((req, res) => {
  req.resume();
  if (req.url.startsWith('/big')) {
    let left = Number(new URL(req.url, 'http://x').searchParams.get('mb')) * (1 << 20);
    res.writeHead(200, { 'content-type': 'application/octet-stream' });
    const pump = () => {
      while (left > 0) {
        left -= BLOCK.length;
        if (!res.write(BLOCK)) return void res.once('drain', pump);
      }
      res.end();
    };
    return void req.on('end', pump);
  }
  req.on('end', async () => {
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    await sleep(PREFILL);
    res.write(frame({ role: 'assistant', content: '' }, null));
    for (let i = 0; i < TOKENS; i++) {
      if (res.destroyed) return;
      if (!res.write(frame({ content: ' tok' + i }, null))) await new Promise((r) => res.once('drain', r));
      if (INTERVAL > 0) await sleep(INTERVAL);
    }
    res.write(frame({}, 'stop'));
    res.end(usage + 'data: [DONE]\\n\\n');
  });
});
s.keepAliveTimeout = 65000;
s.listen(0, '127.0.0.1', () => console.log('listening on http://127.0.0.1:' + s.address().port));
`;
writeFileSync(join(work, 'llm.mjs'), LLM);
const deployment = join(work, 'deployment.yml');
writeFileSync(
  deployment,
  `name: stream\nendpoint_name: bench\ndata_collector:\n  collections:\n${['request', 'response', 'model_inputs', 'model_outputs'].map((c) => `    ${c}: {enabled: 'True'}`).join('\n')}\n`,
);
const BODY = JSON.stringify({
  model: 'bench-llm',
  messages: [{ role: 'user', content: 'Count tokens for me, please.' }],
  stream: true,
  stream_options: { include_usage: true },
  max_tokens: tokens,
});
const TOKEN = Buffer.from(' tok');

/** One streamed call: ms to the first body byte, tokens seen (counted as ` tok` occurrences). */
function stream(base, agent) {
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    const req = request(`${base}/v1/chat/completions`, {
      method: 'POST',
      agent,
      headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(BODY) },
    });
    req.on('response', (res) => {
      if (res.statusCode !== 200) reject(new Error(`${base}: status ${res.statusCode}`));
      let ttfb;
      let count = 0;
      res.on('data', (chunk) => {
        ttfb ??= Number(process.hrtime.bigint() - t0) / 1e6;
        for (let i = chunk.indexOf(TOKEN); i !== -1; i = chunk.indexOf(TOKEN, i + 4)) count++;
      });
      res.on('end', () => resolve({ ttfb, count }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(BODY);
  });
}

/** BENCH_STREAMS streams at once for durationS seconds; each worker starts a new stream when one ends. */
async function round(base) {
  const agent = new Agent({ keepAlive: true, maxSockets: streams });
  const ttfbs = [];
  let count = 0;
  const t0 = Date.now();
  const end = t0 + durationS * 1000;
  await Promise.all(
    Array.from({ length: streams }, async () => {
      while (Date.now() < end) {
        const r = await stream(base, agent);
        ttfbs.push(r.ttfb);
        count += r.count;
      }
    }),
  );
  const seconds = (Date.now() - t0) / 1000;
  agent.destroy();
  ttfbs.sort((a, b) => a - b);
  return {
    p50: ttfbs[Math.floor(ttfbs.length * 0.5)],
    p99: ttfbs[Math.floor(ttfbs.length * 0.99)],
    tokensPerS: count / seconds,
    streams: ttfbs.length,
    expectedTokens: ttfbs.length * tokens === count,
  };
}

pinSelf(cores > 2 ? `1-${cores - 1}` : '1');
const llm = await startServer(process.execPath, [join(work, 'llm.mjs')], { cwd: root });
const startProxy = (args) =>
  startServer(
    process.execPath,
    [
      bin,
      'proxy',
      '--target',
      llm.url,
      '--port',
      '0',
      '--workspace',
      join(work, 'ws'),
      '--log-level',
      'error', // the 1 GiB answer is no inference protocol: its model-io warning is not news
      ...args,
    ],
    { cwd: root, pinToCore0: true },
  );
// `bare`: the same proxy collecting nothing (no path matches), to tell the cost of proxying from that of collecting.
const proxies = {
  proxy: await startProxy(['-f', deployment]),
  bare: await startProxy(['--collect-path', '/-none-']),
};
const targets = { direct: llm.url, proxy: proxies.proxy.url, bare: proxies.bare.url };
const names = Object.keys(targets);
for (const k of names) await round(targets[k]); // warm-up
const results = Object.fromEntries(names.map((k) => [k, []]));
const ratios = { proxy: [], bare: [] };
const deltas = { proxy: [], bare: [] };
const cpu = { proxy: 0, bare: 0 };
const served = { proxy: 0, bare: 0 };
for (let i = 0; i < rounds; i++) {
  const order = names.map((_, j) => names[(i + j) % names.length]);
  const r = {};
  for (const k of order) {
    const pid = proxies[k]?.child.pid;
    const cpu0 = pid ? cpuSeconds(pid) : 0;
    r[k] = await round(targets[k]);
    if (!r[k].expectedTokens) throw new Error(`${k}: a stream lost tokens`);
    if (pid) {
      cpu[k] += cpuSeconds(pid) - cpu0;
      served[k] += r[k].streams;
    }
    results[k].push(r[k]);
  }
  for (const k of ['proxy', 'bare']) {
    ratios[k].push(r[k].tokensPerS / r.direct.tokensPerS);
    deltas[k].push(r[k].p50 - r.direct.p50);
  }
  console.log(
    `round ${i + 1}: ${names.map((k) => `${k} p50 ${r[k].p50.toFixed(2)} ms, ${r[k].tokensPerS.toFixed(0)} tok/s`).join(' | ')}`,
  );
}
const bigMb = Number(process.env.BENCH_BIG_MB ?? 1024);
const rssMb = (pid) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))[1]) / 1024;
const rssBefore = rssMb(proxies.proxy.child.pid);
let rssPeak = rssBefore;
const sampler = setInterval(() => {
  rssPeak = Math.max(rssPeak, rssMb(proxies.proxy.child.pid));
}, 50);
const bigStart = Date.now();
const bigBytes = await new Promise((resolve, reject) => {
  const req = request(`${proxies.proxy.url}/big?mb=${bigMb}`, { method: 'POST' }, (res) => {
    let n = 0;
    res.on('data', (c) => {
      n += c.length;
    });
    res.on('end', () => resolve(n));
    res.on('error', reject);
  });
  req.on('error', reject);
  req.end('{}');
});
clearInterval(sampler);
if (bigBytes !== bigMb * (1 << 20)) throw new Error(`the big answer lost bytes: ${bigBytes}`);
const bigLine = `${bigMb} MiB chunked answer through the collecting proxy in ${((Date.now() - bigStart) / 1000).toFixed(1)} s: proxy RSS ${rssBefore.toFixed(0)} MiB before, ${rssPeak.toFixed(0)} MiB at most`;
for (const p of Object.values(proxies)) await stopServer(p);
await stopServer(llm);

const med = (k, f) => median(results[k].map(f));
const line = (k) =>
  `${k.padEnd(6)} first byte p50 ${med(k, (r) => r.p50).toFixed(2)} ms, p99 ${med(k, (r) => r.p99).toFixed(2)} ms; ${med(k, (r) => r.tokensPerS).toFixed(0)} tokens/s`;
console.log(
  `\n${streams} concurrent streams of ${tokens} tokens, one every ${intervalMs} ms after ${prefillMs} ms; ${rounds} rounds of ${durationS} s, medians${pin ? '; proxy pinned to core 0' : ''}`,
);
for (const k of names) console.log(line(k));
console.log(bigLine);
for (const k of ['proxy', 'bare']) {
  console.log(
    `${k} - direct first byte p50: ${median(deltas[k]).toFixed(2)} ms (target <= 2); ${k}/direct tokens/s: ${median(ratios[k]).toFixed(3)} (target >= 0.95); ${k} CPU ${((cpu[k] / served[k]) * 1e3).toFixed(2)} ms per stream`,
  );
}
