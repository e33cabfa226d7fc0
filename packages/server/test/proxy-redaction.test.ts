// data_collector.redact on mdc proxy: a streamed (SSE) answer is assembled and stored through the same path as
// every event, so its text is redacted too, while the client still gets every byte as the model sent it.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { readEvents, startCli, tempDir } from './helpers/cli.js';
import { startLlmUpstream } from './helpers/llm-upstream.js';

const DEPLOYMENT = `endpoint_name: llm-ep
name: blue
data_collector:
  collections:
    request: { enabled: true }
    response: { enabled: true }
  redact:
    - patterns: [email, "Par[a-z]s", "w.rld"]
      action: mask
`;

function storedText(dir: string): string {
  let out = '';
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    out += statSync(p).isDirectory() ? storedText(p) : readFileSync(p, 'latin1');
  }
  return out;
}

test('a streamed answer and its request are stored redacted; the client gets them whole', async (t) => {
  const upstream = await startLlmUpstream(t);
  const dir = await tempDir(t);
  const ws = join(dir, 'ws');
  const file = join(dir, 'deployment.yml');
  await writeFile(file, DEPLOYMENT);
  const cli = await startCli(t, [
    'proxy',
    '-f',
    file,
    '--target',
    upstream.url,
    '--port',
    '0',
    '--workspace',
    ws,
  ]);
  const res = await fetch(`${cli.url}/v1/chat/completions`, {
    method: 'POST',
    body: JSON.stringify({
      model: 'tiny-llm',
      messages: [{ role: 'user', content: 'I am ann.lee@example.com, weather in Paris?' }],
      stream: true,
    }),
    headers: { 'content-type': 'application/json', 'x-request-id': 's-1' },
  });
  const answer = Buffer.from(await res.arrayBuffer()).toString('utf8');
  assert.equal(res.status, 200);
  assert.ok(answer.includes('Paris') && answer.includes('wörld'), 'the client gets the answer unredacted');
  assert.equal(await cli.stop(), 0);

  const stored = storedText(ws);
  for (const secret of ['ann.lee@example.com', 'Paris', 'wörld']) assert.ok(!stored.includes(secret), secret);
  const [request] = readEvents(ws, 'llm-ep', 'blue', 'request');
  const [response] = readEvents(ws, 'llm-ep', 'blue', 'response');
  assert.match(JSON.stringify(request!.data), /I am \[REDACTED:email\], weather in \[REDACTED\]\?/);
  assert.equal(response!.correlationid, 's-1');
  assert.match(JSON.stringify(response!.data), /\[REDACTED\]/);
});
