// The fault suite's slow and oversized clients: slowloris, 1 MB of headers and a 1 GiB body (streamed from a
// generator, never held by the test) against mdc serve, mdc proxy and mdc sidecar. What must hold: each is cut
// with a coded 4xx within its timeout, the server's memory stays bounded, and other clients are served meanwhile.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { createServer, request } from 'node:http';
import { connect } from 'node:net';
import { join } from 'node:path';
import { test } from 'node:test';
import { type Cli, startCli, tempDir } from './helpers/cli.js';

const HEADERS_TIMEOUT_MS = 1500;
const ENV = { MDC_HEADERS_TIMEOUT_MS: String(HEADERS_TIMEOUT_MS) };
const GiB = 1024 * 1024 * 1024;

/** Peak and current resident memory of a process, in MiB (/proc/<pid>/status). */
function memory(pid: number): { peakMiB: number; rssMiB: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (k: string) => Number(new RegExp(`^${k}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0);
  return { peakMiB: kb('VmHWM') / 1024, rssMiB: kb('VmRSS') / 1024 };
}

/** Writes raw bytes on a fresh connection and reads the answer until the server closes it. */
function raw(port: number, bytes: Buffer): Promise<{ status: number | undefined; body: string; ms: number }> {
  const started = Date.now();
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    let got = '';
    socket.on('data', (d) => {
      got += d.toString('latin1');
    });
    socket.on('error', () => {});
    socket.on('close', () => {
      const m = /^HTTP\/1\.1 (\d{3})/.exec(got);
      resolve({
        status: m ? Number(m[1]) : undefined,
        body: got.slice(got.indexOf('\r\n\r\n') + 4),
        ms: Date.now() - started,
      });
    });
    socket.write(bytes);
  });
}

/** Opens a connection that sends its headers one byte every 200 ms, as slowloris does, until the server cuts it. */
function slowloris(
  port: number,
  path: string,
): Promise<{ status: number | undefined; body: string; ms: number }> {
  const started = Date.now();
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    let got = '';
    const header = Buffer.from(`POST ${path} HTTP/1.1\r\nHost: x\r\nX-Slow: ${'a'.repeat(10_000)}`);
    let i = 0;
    const timer = setInterval(() => {
      if (i < header.length && socket.writable) socket.write(header.subarray(i, ++i));
    }, 200);
    socket.on('data', (d) => {
      got += d.toString('latin1');
    });
    socket.on('error', () => {});
    socket.on('close', () => {
      clearInterval(timer);
      const m = /^HTTP\/1\.1 (\d{3})/.exec(got);
      resolve({
        status: m ? Number(m[1]) : undefined,
        body: got.slice(got.indexOf('\r\n\r\n') + 4),
        ms: Date.now() - started,
      });
    });
  });
}

/** Posts `total` bytes chunked, from one reused 1 MiB buffer, until the server answers or the body is sent. */
function postHuge(
  url: string,
  total: number,
  headers: Record<string, string> = {},
): Promise<{ status: number | undefined; body: string; sentMiB: number }> {
  const chunk = Buffer.alloc(1024 * 1024, 0x61);
  return new Promise((resolve) => {
    let sent = 0;
    let answered = false;
    let body = '';
    let status: number | undefined;
    const req = request(
      url,
      { method: 'POST', headers: { 'content-type': 'application/json', ...headers } },
      (res) => {
        answered = true;
        status = res.statusCode;
        res.setEncoding('utf8').on('data', (d: string) => {
          body += d;
        });
        res.on('end', () => resolve({ status, body, sentMiB: sent / 1048576 }));
        res.on('error', () => resolve({ status, body, sentMiB: sent / 1048576 }));
      },
    );
    req.on('error', () => {
      if (!answered) resolve({ status, body, sentMiB: sent / 1048576 });
    });
    const pump = () => {
      while (!answered && sent < total) {
        sent += chunk.length;
        if (!req.write(chunk)) return void req.once('drain', pump);
      }
      if (!answered) req.end();
    };
    pump();
  });
}

/** The status of a small JSON post. */
async function postStatus(url: string, body: string, headers: Record<string, string> = {}): Promise<number> {
  const res = await fetch(url, {
    method: 'POST',
    body,
    headers: { 'content-type': 'application/json', ...headers },
  });
  await res.arrayBuffer();
  return res.status;
}

function codeOf(body: string): string | undefined {
  try {
    return (JSON.parse(body) as { error: { code: string } }).error.code;
  } catch {
    return undefined;
  }
}

/** Headers, slowloris and a huge body against one server; `path` is its collecting route. */
async function abuse(
  t: { diagnostic: (s: string) => void },
  name: string,
  cli: Cli,
  path: string,
  huge: { status: number; code?: string; maxPeakMiB: number },
  valid: () => Promise<number>,
): Promise<void> {
  const port = Number(new URL(cli.url).port);
  const pid = cli.child.pid!;
  // 1 MB of headers
  const big = await raw(
    port,
    Buffer.from(`POST ${path} HTTP/1.1\r\nHost: x\r\nX-Big: ${'b'.repeat(1024 * 1024)}\r\n\r\n`),
  );
  assert.equal(big.status, 431, `${name}: 1 MB of headers`);
  assert.equal(codeOf(big.body), 'MDC_HEADERS_TOO_LARGE');
  // 100 slowloris connections, while a valid client is served
  const slow = Array.from({ length: 100 }, () => slowloris(port, path));
  await new Promise((r) => setTimeout(r, 300));
  const validStarted = Date.now();
  assert.equal(await valid(), 200, `${name}: a valid request while slowloris connections are open`);
  const validMs = Date.now() - validStarted;
  const cut = await Promise.all(slow);
  for (const c of cut) {
    assert.equal(c.status, 408, `${name}: slowloris connection answered ${c.status} after ${c.ms} ms`);
    assert.equal(codeOf(c.body), 'MDC_REQUEST_TIMEOUT');
  }
  const slowest = Math.max(...cut.map((c) => c.ms));
  assert.ok(slowest < HEADERS_TIMEOUT_MS + 4000, `${name}: slowloris cut after ${slowest} ms`);
  // 1 GiB body
  const before = memory(pid);
  const h = await postHuge(`${cli.url}${path}`, GiB);
  const after = memory(pid);
  assert.equal(h.status, huge.status, `${name}: 1 GiB body → ${h.status} ${h.body.slice(0, 200)}`);
  if (huge.code) assert.equal(codeOf(h.body), huge.code);
  assert.ok(after.peakMiB < huge.maxPeakMiB, `${name}: peak RSS ${after.peakMiB.toFixed(0)} MiB`);
  assert.equal(await valid(), 200, `${name}: still serving after the huge body`);
  t.diagnostic(
    `${name}: 1 MB headers → 431; 100 slowloris → 408 within ${slowest} ms (headers timeout ${HEADERS_TIMEOUT_MS} ms), a valid request meanwhile in ${validMs} ms; 1 GiB body → ${h.status} after ${h.sentMiB.toFixed(0)} MiB sent, peak RSS ${before.peakMiB.toFixed(0)} → ${after.peakMiB.toFixed(0)} MiB`,
  );
}

const PAYLOADS =
  "data_collector:\n  collections:\n    request: {enabled: 'True'}\n    response: {enabled: 'True'}\n";

test('mdc serve: slowloris, 1 MB of headers and a 1 GiB body are cut with coded 4xx, memory bounded', async (t) => {
  const dir = await tempDir(t, 'mdc-clients-serve-');
  await mkdir(join(dir, 'src'));
  await writeFile(
    join(dir, 'src/score.mjs'),
    'export function init() {}\nexport function run(d) { return { ok: true }; }\n',
  );
  await writeFile(
    join(dir, 'd.yml'),
    `name: blue\nendpoint_name: abuse\ncode_configuration: {code: src, scoring_script: score.mjs}\n${PAYLOADS}`,
  );
  const cli = await startCli(
    t,
    ['serve', '-f', join(dir, 'd.yml'), '--port', '0', '--workspace', join(dir, 'ws')],
    {
      env: ENV,
    },
  );
  const valid = () => postStatus(`${cli.url}/score`, '{"a":1}');
  // The body limit (100 MiB) is held at most once: far below the 1 GiB sent.
  await abuse(
    t,
    'mdc serve',
    cli,
    '/score',
    { status: 413, code: 'MDC_PAYLOAD_TOO_LARGE', maxPeakMiB: 450 },
    valid,
  );
  assert.equal(await cli.stop(), 0);
});

test('mdc proxy: slowloris and 1 MB of headers are cut; a 1 GiB body streams through in bounded memory, not collected', async (t) => {
  let upstreamBytes = 0;
  const upstream = createServer((req, res) => {
    req.on('data', (c: Buffer) => {
      upstreamBytes += c.length;
    });
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"ok":true}');
    });
  });
  upstream.listen(0, '127.0.0.1');
  await once(upstream, 'listening');
  t.after(() => new Promise<void>((r) => upstream.close(() => r())));
  const dir = await tempDir(t, 'mdc-clients-proxy-');
  const target = `http://127.0.0.1:${(upstream.address() as { port: number }).port}`;
  const cli = await startCli(
    t,
    ['proxy', '--target', target, '--port', '0', '--workspace', join(dir, 'ws'), '--endpoint', 'abuse'],
    {
      env: ENV,
    },
  );
  const valid = () => postStatus(`${cli.url}/score`, '{"a":1}');
  // A proxy forwards what its model server accepts: the body streams through, its copy stops at 64 MiB.
  await abuse(t, 'mdc proxy', cli, '/score', { status: 200, maxPeakMiB: 400 }, valid);
  assert.ok(upstreamBytes >= GiB, `the model server got the whole body (${upstreamBytes} bytes)`);
  assert.match(
    cli.stderr(),
    /a request body over \d+ bytes was not collected/,
    'the uncollected body is reported',
  );
  assert.equal(await cli.stop(), 0);
});

test('mdc sidecar: slowloris, 1 MB of headers and a 1 GiB post are cut with coded 4xx, memory bounded', async (t) => {
  const dir = await tempDir(t, 'mdc-clients-sidecar-');
  await writeFile(
    join(dir, 'd.yml'),
    "name: blue\nendpoint_name: abuse\ndata_collector:\n  collections:\n    model_inputs: {enabled: 'True'}\n",
  );
  const cli = await startCli(
    t,
    ['sidecar', '-f', join(dir, 'd.yml'), '--port', '0', '--workspace', join(dir, 'ws')],
    {
      env: ENV,
    },
  );
  const headers = { 'ce-type': 'azureml.inference.model_inputs', 'ce-x-request-id': 'ok' };
  const valid = () => postStatus(`${cli.url}/modeldata/log`, '[{"a":1}]', headers);
  await abuse(
    t,
    'mdc sidecar',
    cli,
    '/modeldata/log',
    { status: 413, code: 'MDC_PAYLOAD_TOO_LARGE', maxPeakMiB: 450 },
    valid,
  );
  assert.equal(await cli.stop(), 0);
});
