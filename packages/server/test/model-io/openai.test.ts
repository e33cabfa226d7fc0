import assert from 'node:assert/strict';
import { test } from 'node:test';
import { detect } from '../../src/model-io/index.js';
import { openaiInputs, openaiOutputs } from '../../src/model-io/openai.js';
import { OpenAiStreamAssembler } from '../../src/model-io/openai-stream.js';

function assemble(chunks: unknown[]) {
  const a = new OpenAiStreamAssembler();
  for (const c of chunks) a.add(c);
  return a;
}

test('text completion chunks with two choices and log probabilities assemble into a text_completion', () => {
  const base = { id: 'cmpl-9', object: 'text_completion', created: 5, model: 'm' };
  const a = assemble([
    { ...base, choices: [{ index: 1, text: 'B1', logprobs: { tokens: ['B1'], token_logprobs: [-0.5] } }] },
    { ...base, choices: [{ index: 0, text: 'A1', logprobs: { tokens: ['A1'], token_logprobs: [-0.1] } }] },
    { ...base, choices: [{ index: 0, text: ' A2', logprobs: { tokens: [' A2'], token_logprobs: [-0.2] } }] },
    { ...base, choices: [{ index: 0, text: '', finish_reason: 'length' }] },
    { ...base, choices: [{ index: 1, text: '', finish_reason: 'stop' }] },
  ]);
  assert.deepEqual(a.completion(), {
    ...base,
    choices: [
      {
        index: 0,
        text: 'A1 A2',
        logprobs: { tokens: ['A1', ' A2'], token_logprobs: [-0.1, -0.2] },
        finish_reason: 'length',
      },
      { index: 1, text: 'B1', logprobs: { tokens: ['B1'], token_logprobs: [-0.5] }, finish_reason: 'stop' },
    ],
  });
  assert.equal(a.hasUsage, false);
  assert.equal(a.chunks, 5);
});

test('chat deltas: reasoning, refusal, two parallel tool calls, legacy function_call, chat logprobs, a mid-stream error', () => {
  const chunk = (delta: object, extra: object = {}) => ({
    id: 'c',
    object: 'chat.completion.chunk',
    created: 1,
    model: 'm',
    system_fingerprint: 'fp',
    choices: [{ index: 0, delta, ...extra }],
  });
  const a = assemble([
    chunk({ role: 'assistant', reasoning_content: 'Think' }),
    chunk({ reasoning_content: 'ing.' }, { logprobs: { content: [{ token: 'x', logprob: -1 }] } }),
    chunk({ refusal: 'No' }),
    chunk({
      tool_calls: [{ index: 1, id: 't2', type: 'function', function: { name: 'b', arguments: '{' } }],
    }),
    chunk({
      tool_calls: [{ index: 0, id: 't1', type: 'function', function: { name: 'a', arguments: '[' } }],
    }),
    chunk({
      tool_calls: [
        { index: 1, function: { arguments: '}' } },
        { index: 0, function: { arguments: ']' } },
      ],
    }),
    chunk({ function_call: { name: 'legacy', arguments: '{"q"' } }),
    chunk({ function_call: { arguments: ':1}' } }, { logprobs: { content: [{ token: 'y', logprob: -2 }] } }),
    { error: { message: 'out of memory', code: 500 } },
  ]);
  assert.deepEqual(a.completion(), {
    id: 'c',
    object: 'chat.completion',
    created: 1,
    model: 'm',
    system_fingerprint: 'fp',
    choices: [
      {
        index: 0,
        message: {
          role: 'assistant',
          content: null,
          refusal: 'No',
          reasoning_content: 'Thinking.',
          tool_calls: [
            { id: 't1', type: 'function', function: { name: 'a', arguments: '[]' } },
            { id: 't2', type: 'function', function: { name: 'b', arguments: '{}' } },
          ],
          function_call: { name: 'legacy', arguments: '{"q":1}' },
        },
        logprobs: {
          content: [
            { token: 'x', logprob: -1 },
            { token: 'y', logprob: -2 },
          ],
        },
        finish_reason: null,
      },
    ],
    error: { message: 'out of memory', code: 500 },
  });
});

test('isChunk tells OpenAI chunks from other event data', () => {
  assert.equal(OpenAiStreamAssembler.isChunk({ object: 'chat.completion.chunk', choices: [] }), true);
  assert.equal(OpenAiStreamAssembler.isChunk({ choices: [{ delta: { content: 'x' } }] }), true);
  assert.equal(OpenAiStreamAssembler.isChunk({ choices: [{ text: 'x' }] }), true);
  assert.equal(OpenAiStreamAssembler.isChunk({ step: 1 }), false);
  assert.equal(OpenAiStreamAssembler.isChunk('[DONE]'), false);
});

test('rows: completions prompt, multimodal last user message, missing usage and timing give nulls', () => {
  assert.deepEqual(openaiInputs({ model: 'm', prompt: ['Once upon'], max_completion_tokens: 9 }), [
    { model: 'm', messages: null, prompt: 'Once upon', temperature: null, max_tokens: 9, stream: false },
  ]);
  const messages = [
    { role: 'user', content: 'first' },
    { role: 'assistant', content: 'ok' },
    {
      role: 'user',
      content: [
        { type: 'text', text: 'What is' },
        { type: 'image_url', image_url: { url: 'data:...' } },
        { type: 'text', text: 'this?' },
      ],
    },
  ];
  assert.equal(openaiInputs({ model: 'm', messages })[0]!.prompt, 'What is\nthis?');
  assert.throws(() => openaiInputs({ model: 'm' }), { reason: 'invalid_request' });
  assert.deepEqual(openaiOutputs({ choices: [{ index: 0, text: 'hi', finish_reason: 'stop' }] }, undefined), [
    {
      completion: 'hi',
      tool_calls: null,
      finish_reason: 'stop',
      prompt_tokens: null,
      completion_tokens: null,
      total_tokens: null,
      ttft_ms: null,
      duration_ms: null,
      tokens_per_s: null,
    },
  ]);
  const [row] = openaiOutputs(
    { choices: [{ index: 0, message: { content: 'x' } }], usage: { completion_tokens: 50 } },
    { ttftMs: 12.34, durationMs: 500 },
  );
  assert.deepEqual([row!.ttft_ms, row!.duration_ms, row!.tokens_per_s], [12.3, 500, 100]);
  assert.throws(() => openaiOutputs({ error: 'x' }, undefined), { reason: 'invalid_response' });
});

test('auto detection: OpenAI paths under any prefix and request bodies on other paths', () => {
  assert.equal(detect('/v1/chat/completions', {}), 'openai');
  assert.equal(detect('/v1/completions?x=1', {}), 'openai');
  assert.equal(detect('/openai/deployments/gpt/chat/completions?api-version=1', {}), 'openai');
  assert.equal(detect('/generate', { model: 'm', messages: [] }), 'openai');
  assert.equal(detect('/v1/models/m:predict', { instances: [] }), 'tfserving');
  assert.equal(detect('/score', { data: [[1]] }), 'azureml');
});

test('chunks read without JSON.parse (same shape, another content string) assemble exactly as parsed ones', () => {
  const head = { id: 'c', object: 'chat.completion.chunk', created: 1, model: 'm' };
  const delta = (d: object, extra: object = {}) => ({
    ...head,
    choices: [{ index: 0, delta: d, logprobs: null, finish_reason: null, ...extra }],
  });
  const contents = [
    'plain',
    ' with "quotes" and \\ backslash',
    '\n new line, tab\t, é, 👋',
    'fake "content": "x" inside',
    '',
    '}]}',
  ];
  const chunks: object[] = [
    delta({ role: 'assistant', content: '' }),
    ...contents.map((c) => delta({ content: c })),
    delta({
      tool_calls: [{ index: 0, id: 't', type: 'function', function: { name: 'f', arguments: '{}' } }],
    }),
    ...contents.map((c) => delta({ content: c })),
    // a field after the delta holding another "content" string: the shape must not read that one
    {
      ...head,
      choices: [{ index: 0, delta: { content: 'a' }, finish_reason: null, extra: { content: 'a' } }],
    },
    {
      ...head,
      choices: [{ index: 0, delta: { content: 'b' }, finish_reason: null, extra: { content: 'z' } }],
    },
    delta({}, { finish_reason: 'stop' }),
  ];
  // As servers write them: compact (vLLM, llama.cpp), Python's default separators, non-ASCII escaped.
  const writers = [
    (v: object) => JSON.stringify(v),
    (v: object) => JSON.stringify(v).replaceAll('":', '": ').replaceAll(',"', ', "'),
    (v: object) =>
      JSON.stringify(v).replace(
        /[\u0080-\uffff]/g,
        (ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`,
      ),
  ];
  for (const write of writers) {
    const texts = chunks.map(write);
    const fast = new OpenAiStreamAssembler();
    for (const t of texts) fast.addText(t);
    const parsed = new OpenAiStreamAssembler();
    for (const t of texts) parsed.add(JSON.parse(t));
    assert.deepEqual(fast.completion(), parsed.completion());
    assert.equal(fast.chunks, parsed.chunks);
    // Parsed: the first chunk of each shape, the probe-refused extra ones, the tool call and the finish.
    assert.ok(fast.parsedChunks <= 8, `${fast.parsedChunks} of ${texts.length} chunks parsed`);
    // (the spaced writer also spaces the `":` inside the contents: those differ, the same for both readers)
    if (write === writers[1]) continue;
    const content = (fast.completion().choices as { message: { content: string } }[])[0]!.message.content;
    assert.equal(content, `${contents.join('')}${contents.join('')}ab`);
  }
});
