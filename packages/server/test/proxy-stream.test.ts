import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { type CollectedEvent, readEvents, runCli, startCli, tempDir } from './helpers/cli.js';
import { CHAT_COMPLETION, bigBody as expectedBig, sleep, startLlmUpstream } from './helpers/llm-upstream.js';

const DEPLOYMENT = `endpoint_name: llm-ep
name: blue
data_collector:
  collections:
    request: { enabled: 'True' }
    response: { enabled: 'True' }
    model_inputs: { enabled: 'True' }
    model_outputs: { enabled: 'True' }
`;

async function startProxy(t: Parameters<typeof tempDir>[0], target: string, extra: string[] = []) {
  const dir = await tempDir(t);
  const ws = join(dir, 'ws');
  const file = join(dir, 'deployment.yml');
  await writeFile(file, DEPLOYMENT);
  const cli = await startCli(t, [
    'proxy',
    '-f',
    file,
    '--target',
    target,
    '--port',
    '0',
    '--workspace',
    ws,
    ...extra,
  ]);
  const events = (collection: string) =>
    new Map(readEvents(ws, 'llm-ep', 'blue', collection).map((e) => [e.correlationid, e]));
  return { cli, events, ws };
}

const CHAT_REQUEST = {
  model: 'tiny-llm',
  messages: [
    { role: 'system', content: 'Be brief.' },
    { role: 'user', content: 'Weather in Paris?' },
  ],
  temperature: 0.2,
  max_tokens: 64,
  stream: true,
  stream_options: { include_usage: true },
};

function post(url: string, id: string, body: unknown, signal?: AbortSignal) {
  return fetch(url, {
    method: 'POST',
    body: JSON.stringify(body),
    headers: { 'content-type': 'application/json', 'x-request-id': id },
    signal,
  });
}

/** Reads a fetch body as it comes; `onChunk` sees each piece when it arrives. */
async function readAll(res: Response, onChunk: (chunk: Uint8Array) => void = () => {}): Promise<Buffer> {
  const parts: Uint8Array[] = [];
  for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
    parts.push(chunk);
    onChunk(chunk);
  }
  return Buffer.concat(parts);
}

function streamAttributes(e: CollectedEvent) {
  return {
    streamed: e.streamed,
    streamstatus: e.streamstatus,
    usagesource: e.usagesource,
    statuscode: e.statuscode,
  };
}

test('mdc proxy passes an OpenAI-compatible stream through as it comes and collects the assembled completion and LLM rows', async (t) => {
  const up = await startLlmUpstream(t, { pauseMs: 15 });
  const { cli, events, ws } = await startProxy(t, up.url);

  // No buffering: the upstream sends its first piece and then waits until the client has it. A proxy that held
  // the answer back would never let it go on.
  up.hold();
  const res = await post(`${cli.url}/v1/chat/completions`, 'chat-1', CHAT_REQUEST);
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('content-type'), 'text/event-stream; charset=utf-8');
  const arrivals: number[] = [];
  const body = await readAll(res, () => {
    arrivals.push(Date.now());
    up.release();
  });
  assert.ok(!up.heldTooLong.has('chat-1'), 'the first piece reached the client while the server waited');
  // Byte-identical, and in several pieces spread over the upstream's pauses (not one burst at the end).
  assert.ok(body.equals(up.sent.get('chat-1')!), 'the client got exactly the bytes the server sent');
  assert.ok(arrivals.length >= 5, `the answer arrived in ${arrivals.length} pieces`);
  assert.ok(arrivals.at(-1)! - arrivals[0]! >= 100, 'pieces arrived as they were sent, over time');

  // The same through curl -N, as a user would watch it.
  const curl = spawn('curl', [
    '-sN',
    '-H',
    'content-type: application/json',
    '-H',
    'x-request-id: chat-curl',
    '-d',
    JSON.stringify(CHAT_REQUEST),
    `${cli.url}/v1/chat/completions`,
  ]);
  const curlOut: Buffer[] = [];
  curl.stdout.on('data', (d: Buffer) => curlOut.push(d));
  const firstCurlBytes = await new Promise<number>((resolve) => {
    const start = Date.now();
    curl.stdout.once('data', () => resolve(Date.now() - start));
  });
  await new Promise((r) => curl.once('close', r));
  assert.ok(Buffer.concat(curlOut).equals(up.sent.get('chat-curl')!));
  assert.ok(firstCurlBytes < 3000, `curl saw its first bytes after ${firstCurlBytes} ms`);

  // Not streamed: the same rows from the plain answer, through the same code.
  const plain = await post(`${cli.url}/v1/chat/completions`, 'chat-plain', {
    ...CHAT_REQUEST,
    stream: false,
  });
  assert.deepEqual(await plain.json(), CHAT_COMPLETION);

  // A non-OpenAI event stream, and a text completion prompt's request row.
  const ev = await post(`${cli.url}/events`, 'events-1', {});
  await readAll(ev);
  assert.equal(await cli.stop(), 0);

  const responses = events('response');
  const streamed = responses.get('chat-1')!;
  assert.deepEqual(
    streamed.data,
    CHAT_COMPLETION,
    'the stream is stored as the completion a plain call gives',
  );
  assert.deepEqual(streamAttributes(streamed), {
    streamed: 'true',
    streamstatus: 'complete',
    usagesource: 'server',
    statuscode: 200,
  });
  assert.equal(streamed.datacontenttype, 'application/json');
  assert.equal(streamed.chunkcount, 8);
  assert.equal(streamed.streambytes, up.sent.get('chat-1')!.length);
  const ttft = streamed.ttftms as number;
  const duration = streamed.durationms as number;
  assert.ok(
    Number.isInteger(ttft) && ttft >= 0 && ttft < duration,
    `ttftms ${ttft} < durationms ${duration}`,
  );
  assert.ok(duration >= 100, `durationms ${duration} spans the upstream's pauses`);
  assert.deepEqual(responses.get('chat-curl')!.data, CHAT_COMPLETION);
  // The plain answer's event stays as it was: no stream attributes.
  assert.deepEqual(responses.get('chat-plain')!.data, CHAT_COMPLETION);
  assert.equal(responses.get('chat-plain')!.streamed, undefined);

  assert.deepEqual(responses.get('events-1')!.data, [
    { event: 'progress', id: '7', data: { step: 1 } },
    { event: 'message', id: '7', data: 'line one\nline two' },
    { event: 'message', id: '7', data: 42 },
  ]);
  assert.equal(responses.get('events-1')!.chunkcount, 3);
  assert.equal(responses.get('events-1')!.usagesource, 'none');

  // LLM rows: one model_inputs and one model_outputs row per call, streamed or not, sharing the correlation id.
  const inputs = events('model_inputs');
  const outputs = events('model_outputs');
  for (const id of ['chat-1', 'chat-curl', 'chat-plain']) {
    assert.deepEqual(inputs.get(id)?.data, [
      {
        model: 'tiny-llm',
        messages: JSON.stringify(CHAT_REQUEST.messages),
        prompt: 'Weather in Paris?',
        temperature: 0.2,
        max_tokens: 64,
        stream: id !== 'chat-plain',
      },
    ]);
    const [row] = outputs.get(id)!.data as Record<string, unknown>[];
    assert.equal(row!.completion, 'Héllo wörld 👋');
    assert.equal(row!.finish_reason, 'tool_calls');
    assert.deepEqual(JSON.parse(row!.tool_calls as string), CHAT_COMPLETION.choices[0]!.message.tool_calls);
    assert.deepEqual([row!.prompt_tokens, row!.completion_tokens, row!.total_tokens], [12, 7, 19]);
    const d = row!.duration_ms as number;
    assert.ok((row!.ttft_ms as number) <= d, JSON.stringify(row));
    assert.equal(row!.tokens_per_s, Math.round((7000 / d) * 10) / 10);
  }
  const streamedRow = (outputs.get('chat-1')!.data as { duration_ms: number; ttft_ms: number }[])[0]!;
  assert.ok(streamedRow.duration_ms >= 100 && streamedRow.ttft_ms < streamedRow.duration_ms);
  assert.ok(!inputs.has('events-1'), 'a request that is not an inference protocol gives no rows');

  // mdc read response shows the answer's text and the stream's timing, streamed or not.
  const read = runCli(['read', 'response', '--workspace', ws, '--format', 'jsonl']);
  assert.equal(read.code, 0, read.stderr);
  const rows = new Map(
    read.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .map((r) => [r.correlationid, r]),
  );
  assert.equal(rows.get('chat-1')!.text, 'Héllo wörld 👋');
  assert.equal(rows.get('chat-1')!.streamstatus, 'complete');
  assert.equal(rows.get('chat-1')!.durationms, duration);
  assert.equal(rows.get('chat-plain')!.text, 'Héllo wörld 👋');
  assert.equal(rows.get('chat-plain')!.streamstatus, null);
});

test('mdc proxy collects what had arrived when the client hangs up or the server dies mid-stream, and caps what it keeps', async (t) => {
  const up = await startLlmUpstream(t, { pauseMs: 5 });
  const { cli, events } = await startProxy(t, up.url, ['--max-stream-capture-bytes', '100000']);

  // The client goes away after its first bytes: the upstream request is closed too.
  const ac = new AbortController();
  const aborted = await post(`${cli.url}/abortable`, 'abort-1', CHAT_REQUEST, ac.signal);
  const reader = aborted.body!.getReader();
  await reader.read();
  ac.abort();
  await reader.read().catch(() => {});
  for (let i = 0; i < 100 && !up.closedEarly.has('abort-1'); i++) await sleep(20);
  assert.ok(up.closedEarly.has('abort-1'), 'the proxy closed the upstream request when the client left');

  // The model server dies mid-stream: the client's answer is cut short, not ended as if complete.
  const died = await post(`${cli.url}/die`, 'die-1', CHAT_REQUEST);
  await assert.rejects(readAll(died));

  // 1 MiB through a 100 kB capture: the client gets every byte, the event keeps the first 100 kB.
  const size = 1024 * 1024;
  const big = await post(`${cli.url}/big?bytes=${size}`, 'big-1', {});
  const bigBody = await readAll(big);
  assert.equal(bigBody.length, size);
  assert.ok(bigBody.equals(expectedBig(size)), 'every byte past the capture cap reached the client');
  // and a small chunked body under the cap is kept whole
  const small = await post(`${cli.url}/big?bytes=5000`, 'small-1', {});
  const smallBody = await readAll(small);
  const metrics = await (await fetch(`${cli.url}/-/mdc/metrics`)).text();
  for (const status of ['client_aborted', 'upstream_error', 'truncated', 'complete']) {
    assert.match(metrics, new RegExp(`mdc_streamed_answers_total\\{status="${status}"\\} 1\\n`), status);
  }
  assert.equal(await cli.stop(), 0);

  const responses = events('response');
  const a = responses.get('abort-1')!;
  assert.equal(a.streamstatus, 'client_aborted');
  assert.equal((a.data as typeof CHAT_COMPLETION).choices[0]!.message.content, 'Héllo wörld 👋');
  assert.equal(a.usagesource, 'none');
  const d = responses.get('die-1')!;
  assert.equal(d.streamstatus, 'upstream_error');
  assert.equal((d.data as typeof CHAT_COMPLETION).choices[0]!.message.content, 'Héllo wörld 👋');
  assert.equal((d.data as typeof CHAT_COMPLETION).choices[0]!.finish_reason, null);

  const b = responses.get('big-1')!;
  assert.equal(b.streamstatus, 'truncated');
  assert.equal(b.streambytes, size);
  assert.equal(b.datacontenttype, 'text/plain');
  assert.equal(b.data, bigBody.subarray(0, 100_000).toString('latin1'));
  assert.equal(responses.get('small-1')!.streamstatus, 'complete');
  assert.equal(responses.get('small-1')!.data, smallBody.toString('latin1'));
  // an aborted exchange gives its input row but no output row
  assert.ok(events('model_inputs').has('die-1'));
  assert.ok(!events('model_outputs').has('abort-1'));
});
