import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { join } from 'node:path';
import { test } from 'node:test';
import { readEvents, startCli, tempDir } from './helpers/cli.js';

// A model server that is not Node: Python's http.server, as Debian ships it.
const PYTHON_SERVER = `
import json, sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

class Handler(BaseHTTPRequestHandler):
    protocol_version = 'HTTP/1.1'
    def log_message(self, *args):
        pass
    def body(self):
        n = int(self.headers.get('Content-Length') or 0)
        return self.rfile.read(n)
    def send(self, status, ctype, data, extra=()):
        self.send_response(status)
        self.send_header('Content-Type', ctype)
        self.send_header('Content-Length', str(len(data)))
        for k, v in extra:
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)
    def do_GET(self):
        self.send(200, 'text/plain', b'ok')
    def do_POST(self):
        data = self.body()
        if self.path.startswith('/predict'):
            rows = json.loads(data)['rows']
            out = json.dumps({'predictions': [r['x'] * 2 for r in rows], 'seen_id': self.headers.get('x-request-id')})
            self.send(200, 'application/json', out.encode(), [('X-Model', 'python'), ('Set-Cookie', 'a=1'), ('Set-Cookie', 'b=2')])
        elif self.path == '/fail':
            self.send(503, 'text/plain; charset=utf-8', b'model warming up')
        elif self.path == '/stream':
            self.send_response(200)
            self.send_header('Content-Type', 'application/x-ndjson')
            self.send_header('Transfer-Encoding', 'chunked')
            self.end_headers()
            for i in range(5):
                chunk = (json.dumps({'token': i}) + '\\n').encode()
                self.wfile.write(b'%x\\r\\n%s\\r\\n' % (len(chunk), chunk))
                self.wfile.flush()
            self.wfile.write(b'0\\r\\n\\r\\n')
        else:
            self.send(404, 'application/json', b'{"error": "no route"}')

server = ThreadingHTTPServer(('127.0.0.1', 0), Handler)
print(server.server_address[1], flush=True)
server.serve_forever()
`;

async function startPython(
  t: Parameters<typeof tempDir>[0],
  dir: string,
): Promise<{ url: string; child: ChildProcess }> {
  const script = join(dir, 'model_server.py');
  await writeFile(script, PYTHON_SERVER);
  const python = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';
  const child = spawn(python, [script], { stdio: ['ignore', 'pipe', 'inherit'] });
  t.after(() => {
    if (child.exitCode === null) child.kill('SIGKILL');
  });
  const port = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('python server did not start')), 15_000);
    child.stdout!.setEncoding('utf8').once('data', (d: string) => {
      clearTimeout(timer);
      resolve(d.trim());
    });
  });
  return { url: `http://127.0.0.1:${port}`, child };
}

test('mdc proxy forwards to a Python model server unchanged and collects request/response events', async (t) => {
  const dir = await tempDir(t);
  const ws = join(dir, 'ws');
  const py = await startPython(t, dir);
  const cli = await startCli(t, [
    'proxy',
    '--target',
    py.url,
    '--endpoint',
    'py-ep',
    '--deployment',
    'v1',
    '--port',
    '0',
    '--workspace',
    ws,
  ]);
  const body = '{"rows": [{"x": 1}, {"x": 4}]}';
  const headers = { 'content-type': 'application/json', 'x-request-id': 'proxied-1' };
  const direct = await fetch(`${py.url}/predict?v=2`, { method: 'POST', body, headers });
  const proxied = await fetch(`${cli.url}/predict?v=2`, { method: 'POST', body, headers });
  assert.equal(proxied.status, direct.status);
  assert.equal(await proxied.text(), await direct.text());
  assert.equal(proxied.headers.get('x-model'), 'python');
  assert.deepEqual(proxied.headers.getSetCookie(), ['a=1', 'b=2']);
  assert.equal(proxied.headers.get('x-request-id'), 'proxied-1');

  // no client id: the proxy makes one, sends it to the target and echoes it
  const gen = await fetch(`${cli.url}/predict`, {
    method: 'POST',
    body,
    headers: { 'content-type': 'application/json' },
  });
  const genId = gen.headers.get('x-request-id')!;
  assert.match(genId, /^[0-9a-f-]{36}$/);
  assert.equal(((await gen.json()) as { seen_id: string }).seen_id, genId);

  const fail = await fetch(`${cli.url}/fail`, {
    method: 'POST',
    body: 'x',
    headers: { 'x-request-id': 'fail-1' },
  });
  assert.equal(fail.status, 503);
  assert.equal(await fail.text(), 'model warming up');

  // `Expect: 100-continue` (curl sends it for bodies over 1 MB): answered by the proxy, not forwarded.
  const expectAnswer = await new Promise<{ status: number; body: string }>((resolve, reject) => {
    const req = request(`${cli.url}/predict`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'content-length': String(Buffer.byteLength(body)),
        expect: '100-continue',
        'x-request-id': 'expect-1',
      },
    });
    req.on('continue', () => req.end(body));
    req.on('response', (res) => {
      let text = '';
      res.setEncoding('utf8').on('data', (d: string) => {
        text += d;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    req.on('error', reject);
  });
  assert.equal(expectAnswer.status, direct.status);
  assert.equal(JSON.parse(expectAnswer.body).seen_id, 'expect-1');

  const stream = await fetch(`${cli.url}/stream`, {
    method: 'POST',
    body: '{}',
    headers: { 'content-type': 'application/json', 'x-request-id': 'stream-1' },
  });
  assert.equal(stream.headers.get('content-type'), 'application/x-ndjson');
  const lines = (await stream.text()).trim().split('\n');
  assert.deepEqual(
    lines.map((l) => JSON.parse(l)),
    [0, 1, 2, 3, 4].map((token) => ({ token })),
  );

  const health = await fetch(`${cli.url}/health`, { headers: { 'x-request-id': 'health-1' } });
  assert.equal(await health.text(), 'ok');
  const metrics = await (await fetch(`${cli.url}/-/mdc/metrics`)).text();
  assert.match(metrics, /mdc_http_requests_total\{route="proxy",method="POST",status="200"\} \d+/);

  // the target goes away: 502 with a coded body, still collected
  py.child.kill('SIGKILL');
  await new Promise((r) => py.child.once('exit', r));
  const down = await fetch(`${cli.url}/predict`, {
    method: 'POST',
    body,
    headers: { ...headers, 'x-request-id': 'down-1' },
  });
  assert.equal(down.status, 502);
  assert.equal(((await down.json()) as { error: { code: string } }).error.code, 'MDC_UPSTREAM_UNAVAILABLE');
  assert.equal(await cli.stop(), 0);

  const req = new Map(readEvents(ws, 'py-ep', 'v1', 'request').map((e) => [e.correlationid, e]));
  const res = new Map(readEvents(ws, 'py-ep', 'v1', 'response').map((e) => [e.correlationid, e]));
  const r1 = req.get('proxied-1')!;
  assert.deepEqual(r1.data, { rows: [{ x: 1 }, { x: 4 }] });
  assert.equal(r1.path, '/predict?v=2');
  assert.equal(r1.method, 'POST');
  assert.equal(r1.datacontenttype, 'application/json');
  assert.equal(r1.statuscode, 200);
  assert.deepEqual(
    (res.get('proxied-1')!.data as { predictions: number[] }).predictions,
    [2, 8],
    JSON.stringify(res.get('proxied-1')),
  );
  assert.ok(req.has(genId) && res.has(genId));
  assert.deepEqual(req.get('expect-1')!.data, { rows: [{ x: 1 }, { x: 4 }] });
  assert.equal(res.get('fail-1')!.data, 'model warming up');
  assert.equal(res.get('fail-1')!.statuscode, 503);
  assert.equal(res.get('stream-1')!.data, lines.map((l) => `${l}\n`).join(''));
  assert.ok(!req.has('health-1'), 'GET requests are not collected by default');
  assert.equal(res.get('down-1')!.statuscode, 502);
  assert.equal(req.get('down-1')!.statuscode, 502);
});
