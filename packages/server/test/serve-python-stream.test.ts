import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { readEvents, startCli, tempDir } from './helpers/cli.js';
import { closedGenerators, hangUpAfterFirstBytes } from './helpers/stream-client.js';

const PYTHON = process.env.MDC_PYTHON || '/usr/bin/python3';

// run() returns generators: OpenAI chunks, more lines than the worker may send ahead (it needs credit back), one
// that never ends (its finally counts the closes), one that fails after its first item.
const SCORE_PY = `
import json, os, time
closed = 0
GO = os.path.join(os.path.dirname(os.path.abspath(__file__)), "go")

def chunk(delta, finish=None):
    return {"id": "p1", "object": "chat.completion.chunk", "created": 1, "model": "py-llm",
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}

def init():
    pass

def run(raw):
    data = json.loads(raw)
    mode = data.get("mode")
    if data.get("closed"):
        return {"closed": closed}
    if mode == "chat":
        def gen():
            yield chunk({"role": "assistant", "content": "Py"})
            # goes on once the test, having read the first event, creates the file "go" (or after 5 s: it fails)
            for _ in range(500):
                if os.path.exists(GO):
                    break
                time.sleep(0.01)
            yield chunk({"content": "thon" if os.path.exists(GO) else "thon (held back)"})
            yield chunk({}, "stop")
            yield "data: [DONE]\\n\\n"
        return gen()
    if mode == "many":
        return ("line %d\\n" % i for i in range(500))
    if mode == "endless":
        def gen():
            global closed
            try:
                i = 0
                while True:
                    yield "tick %d\\n" % i
                    i += 1
                    time.sleep(0.005)
            finally:
                closed += 1
        return gen()
    if mode == "fail":
        def gen():
            yield {"partial": True}
            raise ValueError("broke mid-stream")
        return gen()
    return {"plain": True}
`;

const post = async (url: string, body: unknown, id: string) => {
  const res = await fetch(`${url}/score`, {
    method: 'POST',
    body: JSON.stringify(body),
    headers: { 'content-type': 'application/json', 'x-request-id': id },
  });
  return res;
};

for (const concurrency of [1, 2]) {
  test(`a Python run() returning a generator streams its items (max_concurrent_requests_per_instance ${concurrency})`, async (t) => {
    const dir = await tempDir(t, 'mdc-pystream-');
    writeFileSync(join(dir, 'score.py'), SCORE_PY);
    writeFileSync(
      join(dir, 'deployment.yml'),
      `name: blue\nendpoint_name: ep\ncode_configuration:\n  code: .\n  scoring_script: score.py\nrequest_settings:\n  max_concurrent_requests_per_instance: ${concurrency}\ndata_collector:\n  collections:\n    request: {enabled: 'True'}\n    response: {enabled: 'True'}\n`,
    );
    const ws = join(dir, 'ws');
    const cli = await startCli(
      t,
      ['serve', '-f', join(dir, 'deployment.yml'), '--port', '0', '--workspace', ws],
      {
        env: { MDC_PYTHON: PYTHON },
      },
    );

    // The first event reaches the client while the generator waits for it; a plain request sent meanwhile is
    // answered too (after the stream when the worker runs one request at a time).
    const chat = await post(cli.url, { mode: 'chat' }, 'chat-1');
    assert.equal(chat.headers.get('content-type'), 'text/event-stream');
    const reader = chat.body!.getReader();
    const first = Buffer.from((await reader.read()).value!).toString('utf8');
    assert.match(first, /^data: \{.*"Py"/);
    writeFileSync(join(dir, 'go'), '');
    const plain = post(cli.url, { mode: 'plain' }, 'plain-1');
    let text = first;
    for (;;) {
      const r = await reader.read();
      if (r.done) break;
      text += Buffer.from(r.value).toString('utf8');
    }
    assert.match(
      text,
      /"content":"thon"\}/,
      'the generator went on only after the client had its first item',
    );
    assert.ok(text.endsWith('data: [DONE]\n\n'));
    assert.deepEqual(await (await plain).json(), { plain: true });

    // 500 items: more than the worker's credit, so mdc must give credit back as the client reads.
    const many = await (await post(cli.url, { mode: 'many' }, 'many-1')).text();
    assert.equal(many.split('\n').filter(Boolean).length, 500);
    assert.ok(many.endsWith('line 499\n'));

    const fail = await post(cli.url, { mode: 'fail' }, 'fail-1');
    await assert.rejects(fail.text());

    // The client leaves an endless stream: the generator is closed, and the worker takes requests again.
    await hangUpAfterFirstBytes(cli.url, { mode: 'endless' }, 'endless-1');
    const closed = await closedGenerators(cli.url);
    assert.equal(closed, 1, 'the generator was closed when the client left');
    assert.equal(await cli.stop(), 0);

    const responses = new Map(readEvents(ws, 'ep', 'blue', 'response').map((e) => [e.correlationid, e]));
    const c = responses.get('chat-1')!;
    assert.deepEqual(c.data, {
      id: 'p1',
      object: 'chat.completion',
      created: 1,
      model: 'py-llm',
      choices: [
        {
          index: 0,
          message: { role: 'assistant', content: 'Python' },
          logprobs: null,
          finish_reason: 'stop',
        },
      ],
    });
    assert.equal(c.streamstatus, 'complete');
    assert.equal(c.chunkcount, 3);
    assert.equal(responses.get('many-1')!.data, many);
    assert.equal(responses.get('fail-1')!.streamstatus, 'upstream_error');
    assert.deepEqual(responses.get('fail-1')!.data, [
      { event: 'message', id: null, data: { partial: true } },
    ]);
    assert.equal(responses.get('endless-1')!.streamstatus, 'client_aborted');
    assert.deepEqual(responses.get('plain-1')!.data, { plain: true });
  });
}
