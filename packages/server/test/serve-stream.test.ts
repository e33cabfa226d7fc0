import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { readEvents, startCli, tempDir } from './helpers/cli.js';
import { closedGenerators, hangUpAfterFirstBytes } from './helpers/stream-client.js';

// run() answers with streams: an async generator of OpenAI chunks (sent as Server-Sent Events), a Node stream
// with its own Content-Type, a generator that fails after its first item, and one that never ends.
const SCORE_JS = `
import { Readable } from 'node:stream';
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
let release;
let closed = 0;
const chunk = (delta, finish = null) => ({
  id: 'c1', object: 'chat.completion.chunk', created: 1, model: 'js-llm',
  choices: [{ index: 0, delta, finish_reason: finish }],
});
export function init() {}
export async function run(data) {
  if (data.release) { release?.(); return { released: true }; }
  if (data.closed) return { closed };
  if (data.mode === 'sse') {
    const gate = new Promise((r) => { release = r; });
    return (async function* () {
      yield chunk({ role: 'assistant', content: 'Hel' });
      // waits until the test, having read the first event, asks to go on (or 5 s: then the test fails)
      const released = await Promise.race([gate.then(() => true), sleep(5000).then(() => false)]);
      yield chunk({ content: released ? 'lo' : 'lo (held back)' });
      await sleep(30);
      yield chunk({}, 'stop');
      yield { id: 'c1', object: 'chat.completion.chunk', created: 1, model: 'js-llm', choices: [],
        usage: { prompt_tokens: 3, completion_tokens: 2, total_tokens: 5 } };
      yield 'data: [DONE]\\n\\n';
    })();
  }
  if (data.mode === 'node') {
    return { status: 201, headers: { 'content-type': 'text/plain; charset=utf-8' },
      body: Readable.from(['one ', 'two ', 'three']) };
  }
  if (data.mode === 'fail') {
    return (async function* () {
      yield { partial: true };
      await sleep(10);
      throw new Error('the model broke mid-stream');
    })();
  }
  if (data.mode === 'endless') {
    return (async function* () {
      try {
        for (let i = 0; ; i++) { yield 'tick ' + i + '\\n'; await sleep(5); }
      } finally { closed++; }
    })();
  }
  return (async function* () { throw new Error('before the first item'); })();
}
`;

const DEPLOYMENT = `name: blue
endpoint_name: stream-ep
code_configuration:
  code: ./code
  scoring_script: score.js
data_collector:
  collections:
    request: { enabled: 'True' }
    response: { enabled: 'True' }
`;

const post = (url: string, body: unknown, id: string) =>
  fetch(`${url}/score`, {
    method: 'POST',
    body: JSON.stringify(body),
    headers: { 'content-type': 'application/json', 'x-request-id': id },
  });

test('mdc serve sends a stream run() returns as it comes and collects it as one response event', async (t) => {
  const dir = await tempDir(t);
  const ws = join(dir, 'ws');
  await mkdir(join(dir, 'code'));
  await writeFile(join(dir, 'code/score.js'), SCORE_JS);
  await writeFile(join(dir, 'deployment.yml'), DEPLOYMENT);
  const cli = await startCli(t, [
    'serve',
    '-f',
    join(dir, 'deployment.yml'),
    '--port',
    '0',
    '--workspace',
    ws,
  ]);

  const sse = await post(cli.url, { mode: 'sse' }, 'sse-1');
  assert.equal(sse.status, 200);
  assert.equal(sse.headers.get('content-type'), 'text/event-stream');
  assert.equal(sse.headers.get('cache-control'), 'no-cache');
  const reader = sse.body!.getReader();
  const first = Buffer.from((await reader.read()).value!).toString('utf8');
  assert.match(first, /^data: \{.*"Hel"/, 'the first event arrives while run() is still generating');
  await post(cli.url, { release: true }, 'release-1');
  let text = first;
  for (;;) {
    const r = await reader.read();
    if (r.done) break;
    text += Buffer.from(r.value).toString('utf8');
  }
  assert.match(text, /"content":"lo"/);
  assert.ok(text.endsWith('data: [DONE]\n\n'));

  const node = await post(cli.url, { mode: 'node' }, 'node-1');
  assert.equal(node.status, 201);
  assert.equal(await node.text(), 'one two three');

  // A failure after the first item cuts the answer short (the client sees an error, not a clean end).
  const fail = await post(cli.url, { mode: 'fail' }, 'fail-1');
  await assert.rejects(fail.text());
  // A failure before the first item is an ordinary error answer.
  const early = await post(cli.url, { mode: 'early' }, 'early-1');
  assert.equal(early.status, 500);

  // The client hangs up on an endless stream: the generator is closed (its finally runs).
  await hangUpAfterFirstBytes(cli.url, { mode: 'endless' }, 'endless-1');
  const closed = await closedGenerators(cli.url);
  assert.equal(closed, 1, 'the scoring script generator was closed when the client left');
  const metrics = await (await fetch(`${cli.url}/metrics`)).text();
  for (const [status, n] of [
    ['complete', 2],
    ['upstream_error', 1],
    ['client_aborted', 1],
  ] as const) {
    assert.match(metrics, new RegExp(`mdc_streamed_answers_total\\{status="${status}"\\} ${n}\\n`), status);
  }
  assert.equal(await cli.stop(), 0);

  const responses = new Map(readEvents(ws, 'stream-ep', 'blue', 'response').map((e) => [e.correlationid, e]));
  const s = responses.get('sse-1')!;
  assert.deepEqual(s.data, {
    id: 'c1',
    object: 'chat.completion',
    created: 1,
    model: 'js-llm',
    choices: [
      { index: 0, message: { role: 'assistant', content: 'Hello' }, logprobs: null, finish_reason: 'stop' },
    ],
    usage: { prompt_tokens: 3, completion_tokens: 2, total_tokens: 5 },
  });
  assert.equal(s.streamed, 'true');
  assert.equal(s.streamstatus, 'complete');
  assert.equal(s.usagesource, 'server');
  assert.equal(s.chunkcount, 4);
  assert.ok((s.ttftms as number) <= (s.durationms as number));
  assert.ok((s.durationms as number) >= 30);

  const n = responses.get('node-1')!;
  assert.equal(n.data, 'one two three');
  assert.equal(n.statuscode, 201);
  assert.equal(n.streamstatus, 'complete');
  assert.equal(n.datacontenttype, 'text/plain; charset=utf-8');

  const f = responses.get('fail-1')!;
  assert.equal(f.streamstatus, 'upstream_error');
  assert.deepEqual(f.data, [{ event: 'message', id: null, data: { partial: true } }]);
  assert.equal(responses.get('early-1')!.statuscode, 500);
  assert.equal(responses.get('early-1')!.streamed, undefined);

  const e = responses.get('endless-1')!;
  assert.equal(e.streamstatus, 'client_aborted');
  assert.match(e.data as string, /^tick 0\n/);
  // the request events are there too, with the same ids
  const requests = new Set(readEvents(ws, 'stream-ep', 'blue', 'request').map((r) => r.correlationid));
  for (const id of ['sse-1', 'node-1', 'fail-1', 'endless-1']) assert.ok(requests.has(id), id);
});

test('data_collector.max_stream_capture_bytes caps what a streamed answer keeps; the client still gets every byte', async (t) => {
  const dir = await tempDir(t);
  const ws = join(dir, 'ws');
  await mkdir(join(dir, 'code'));
  await writeFile(join(dir, 'code/score.js'), SCORE_JS);
  await writeFile(
    join(dir, 'deployment.yml'),
    DEPLOYMENT.replace('data_collector:\n', 'data_collector:\n  max_stream_capture_bytes: 6\n'),
  );
  const cli = await startCli(t, [
    'serve',
    '-f',
    join(dir, 'deployment.yml'),
    '--port',
    '0',
    '--workspace',
    ws,
  ]);
  const node = await post(cli.url, { mode: 'node' }, 'node-cap');
  assert.equal(await node.text(), 'one two three');
  assert.equal(await cli.stop(), 0);
  const [e] = readEvents(ws, 'stream-ep', 'blue', 'response').filter((r) => r.correlationid === 'node-cap');
  assert.equal(e!.data, 'one tw');
  assert.equal(e!.streamstatus, 'truncated');
  assert.equal(e!.streambytes, 13);
});
