// The bytes on storage of every record kind, compared with committed golden files: a change to the write path
// must not change a byte a reader (ours, Azure's, a user's) sees. Random event ids are masked; nothing else is.
// To accept an intended format change: MDC_UPDATE_GOLDEN=1 node scripts/run-tests.mjs golden
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { BasicCorrelationContext, Collector, MemorySink } from '../src/internal.js';
import { blobstore, listFiles, makeRuntime, tempDir, writeText } from './helpers.js';

const GOLDEN_DIR = new URL('./fixtures/golden/', import.meta.url).pathname;
const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}/g;

/** Every file of a tree as one text: `== path` headers, then the bytes (binary files as hex), ids masked. */
function snapshot(files: Iterable<[string, Uint8Array | string]>): string {
  const ids = new Map<string, string>();
  const mask = (s: string) =>
    s.replace(UUID, (u) => {
      if (!ids.has(u)) ids.set(u, `<uuid-${ids.size + 1}>`);
      return ids.get(u)!;
    });
  // Ids are numbered in the order the event lines show them (random file names would sort differently each run).
  const entries = [...files].map(([path, body]) => ({
    path,
    text: typeof body === 'string' ? body : asText(body),
  }));
  const lines = entries.filter((e) => e.path.endsWith('.jsonl')).sort((a, b) => (a.path < b.path ? -1 : 1));
  for (const e of lines) mask(e.text);
  const out = entries
    .map((e) => `== ${mask(e.path)} (${Buffer.byteLength(e.text)} bytes)\n${mask(e.text)}\n`)
    .sort((a, b) => (a.split('\n', 1)[0]! < b.split('\n', 1)[0]! ? -1 : 1));
  return out.join('');
}

/** UTF-8 text as is; bytes that are not valid UTF-8 (a binary payload) as hex. */
function asText(body: Uint8Array): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(body);
  } catch {
    return `hex:${Buffer.from(body).toString('hex')}\n`;
  }
}

/** A temp workspace whose workspace.yml fixes the names the `source` field carries. */
function goldenWorkspace(): string {
  const ws = tempDir();
  writeText(join(ws, 'workspace.yml'), [
    'name: goldenws',
    'subscription_id: 00000000-0000-4000-8000-000000000001',
    'resource_group: golden-rg',
  ]);
  return ws;
}

function checkGolden(name: string, actual: string): void {
  const file = join(GOLDEN_DIR, name);
  if (process.env.MDC_UPDATE_GOLDEN === '1') {
    mkdirSync(GOLDEN_DIR, { recursive: true });
    writeFileSync(file, actual);
  }
  assert.equal(actual, readFileSync(file, 'utf8'), `stored bytes differ from ${name}`);
}

/** Collects one event of every kind the SDK writes, through the public Collector and the servers' emit(). */
function collectEveryKind(rt: ReturnType<typeof makeRuntime>): void {
  const inputs = new Collector({ name: 'model_inputs', runtime: rt });
  const outputs = new Collector({ name: 'model_outputs', runtime: rt });
  const ctx = new BasicCorrelationContext('corr-1', 'xreq-1');
  // A table: rows of every JSON type, non-ASCII text, a nested value.
  inputs.collect(
    [
      { name: 'Zoë', age: 41, score: 0.25, ok: true, none: null, tags: ['a', 'b'] },
      { name: 'Łukasz "the" \\ one', age: 29, score: -1e-7, ok: false, none: null, tags: [] },
    ],
    ctx,
  );
  // Columns (an object of equal-length arrays) answer the same request.
  outputs.collect({ prediction: [1, 0], probability: [0.91, 0.12] }, ctx);
  // Bytes: stored in a raw file named by the event id, the line points at it.
  inputs.collect(new Uint8Array([0, 1, 2, 250, 251, 252]), new BasicCorrelationContext('corr-2'));
  // A table larger than largePayloadBytes: offloaded to its own file.
  inputs.collect(
    Array.from({ length: 40 }, (_, i) => ({ i, text: `row ${i} of a large table` })),
    new BasicCorrelationContext('corr-3'),
  );
  // Payload logging as the servers do it: request and response with path, method and extensions.
  const request = rt.collection('request');
  const response = rt.collection('response');
  const pctx = new BasicCorrelationContext('corr-4', 'xreq-4');
  request.emit({
    correlation: pctx,
    json: '{"data":[[1,2,3]]}',
    contentType: 'application/json',
    path: '/score',
    method: 'POST',
  });
  response.emit({
    correlation: pctx,
    json: '"plain text answer \\u00e9"',
    contentType: 'text/plain; charset=utf-8',
    path: '/score',
    method: 'POST',
    extensions: { statuscode: 200, durationms: 12 },
  });
  // An event another client stamped (the sidecar): its time, agent and model version are kept.
  request.emit({
    correlation: new BasicCorrelationContext('corr-5'),
    json: '{"x":1}',
    time: Date.UTC(2024, 2, 5, 18, 5, 1, 999),
    agent: 'azureml-ai-monitoring/1.0.0',
    modelVersion: '7',
  });
}

describe('golden bytes of every record kind', () => {
  it('writes the same bytes to a local datastore as the golden file', async () => {
    const ws = goldenWorkspace();
    const rt = makeRuntime({
      workspace: ws,
      yaml: { endpoint_name: 'gold-ep', name: 'gold', model: 'azureml:credit:3' },
      largePayloadBytes: 1000,
    });
    collectEveryKind(rt);
    await rt.shutdown();
    const root = blobstore(ws);
    const files = listFiles(root).map((f): [string, Uint8Array] => [f, readFileSync(join(root, f))]);
    assert.ok(files.length >= 5, `files written: ${files.map(([f]) => f).join(', ')}`);
    checkGolden('local-datastore.txt', snapshot(files));
  });

  it('merges calls of one window into one table event with the same bytes as the golden file', async () => {
    const sink = new MemorySink();
    const rt = makeRuntime({ workspace: goldenWorkspace(), sink, mergeWindowMs: 60_000 });
    const c = new Collector({ name: 'model_inputs', runtime: rt });
    const ctx = new BasicCorrelationContext('corr-merge');
    for (let i = 0; i < 3; i++) c.collect([{ i, v: `v${i}` }], ctx);
    await rt.shutdown();
    checkGolden('merged-memory.txt', snapshot(sink.files));
  });
});
