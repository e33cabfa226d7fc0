// The request view of a streamed LLM answer, in a real browser: its text and timing, not only its JSON.
import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import {
  BasicCorrelationContext,
  DataCollectorRuntime,
  resolveDeployment,
} from 'model-data-collector/internal';
import { type Browser, chromium } from 'playwright-core';
import { buildWeb } from '../scripts/build-web.mjs';
import { type RunningStudio, startStudio } from '../src/index.js';
import { tempDir } from './helpers.js';

const wsDir = tempDir();
const publicDir = tempDir();
let studio: RunningStudio;
let browser: Browser;

const COMPLETION = {
  id: 'chatcmpl-1',
  object: 'chat.completion',
  created: 1700000000,
  model: 'tiny-llm',
  choices: [
    {
      index: 0,
      message: { role: 'assistant', content: 'Streamed hello, word by word.' },
      logprobs: null,
      finish_reason: 'stop',
    },
  ],
  usage: { prompt_tokens: 4, completion_tokens: 6, total_tokens: 10 },
};

before(async () => {
  // What mdc proxy writes for a streamed chat completion: the request, and one response event with the
  // completion assembled from the stream and the stream's attributes.
  const rt = new DataCollectorRuntime({
    workspace: wsDir,
    deployment: resolveDeployment({
      endpoint_name: 'llm',
      name: 'blue',
      data_collector: { collections: { request: { enabled: true }, response: { enabled: true } } },
    }),
    handleProcessExit: false,
  });
  const ctx = new BasicCorrelationContext('stream-1');
  rt.collection('request').emit({
    correlation: ctx,
    json: JSON.stringify({ model: 'tiny-llm', stream: true, messages: [{ role: 'user', content: 'hi' }] }),
    path: '/v1/chat/completions',
    method: 'POST',
  });
  rt.collection('response').emit({
    correlation: ctx,
    json: JSON.stringify(COMPLETION),
    path: '/v1/chat/completions',
    method: 'POST',
    extensions: {
      statuscode: 200,
      streamed: 'true',
      chunkcount: 8,
      ttftms: 42,
      durationms: 917,
      streamstatus: 'complete',
      usagesource: 'server',
    },
  });
  await rt.shutdown();
  await buildWeb({ outDir: publicDir });
  studio = await startStudio({ workspace: wsDir, publicDir, host: '127.0.0.1', port: 0 });
  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--no-first-run',
      '--disable-background-networking',
    ],
    timeout: 30_000,
  });
});

after(async () => {
  await browser?.close();
  await studio?.close();
});

it('shows a streamed answer as its text, with how it ended, first byte and duration', async () => {
  const page = await browser.newPage();
  page.setDefaultTimeout(15_000);
  await page.goto(`${studio.url}#/requests/stream-1`);
  const panel = page.locator('[data-testid="panel-response"]:not(.empty)');
  await panel.waitFor();
  assert.equal(
    (await panel.getByTestId('answer-text').locator('pre').textContent())?.trim(),
    'Streamed hello, word by word.',
  );
  assert.match(
    (await panel.getByTestId('stream-timing').textContent()) ?? '',
    /streamed, complete · first byte 42 ms · done in 917 ms/,
  );
  // The request (not an answer) has no answer text: only its JSON.
  assert.equal(await page.getByTestId('panel-request').getByTestId('answer-text').count(), 0);
});
