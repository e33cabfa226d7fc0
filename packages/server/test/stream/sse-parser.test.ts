import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type SseEvent, SseParser } from '../../src/stream/sse-parser.js';

function parse(chunks: readonly Uint8Array[]): SseEvent[] {
  const events: SseEvent[] = [];
  const p = new SseParser((e) => events.push(e));
  for (const c of chunks) p.write(c);
  p.end();
  return events;
}

/** The stream cut at every byte boundary into two pieces, and also fed one byte at a time. */
function everyCut(stream: string | Uint8Array): Uint8Array[][] {
  const bytes = typeof stream === 'string' ? Buffer.from(stream, 'utf8') : stream;
  const cuts: Uint8Array[][] = [[bytes], Array.from(bytes, (b) => Uint8Array.of(b))];
  for (let i = 1; i < bytes.length; i++) cuts.push([bytes.subarray(0, i), bytes.subarray(i)]);
  // and in three pieces around each `\r`, so a `\r` alone in a chunk is tried too
  for (let i = 0; i < bytes.length; i++) {
    if (bytes[i] === 13) cuts.push([bytes.subarray(0, i), bytes.subarray(i, i + 1), bytes.subarray(i + 1)]);
  }
  return cuts;
}

function assertEveryCut(stream: string | Uint8Array, expected: SseEvent[]): void {
  for (const chunks of everyCut(stream)) {
    assert.deepEqual(parse(chunks), expected, `cut into ${chunks.map((c) => c.length).join('+')} bytes`);
  }
}

const ev = (data: string, event = 'message', id = ''): SseEvent => ({ event, id, data });

test('OpenAI-style chunks with [DONE], cut at every byte, give the same events', () => {
  const stream =
    'data: {"choices":[{"delta":{"content":"Hé"}}]}\n\n' +
    'data: {"choices":[{"delta":{"content":"llo 👋"}}]}\n\n' +
    'data: [DONE]\n\n';
  assertEveryCut(stream, [
    ev('{"choices":[{"delta":{"content":"Hé"}}]}'),
    ev('{"choices":[{"delta":{"content":"llo 👋"}}]}'),
    ev('[DONE]'),
  ]);
});

test('a multi-byte UTF-8 character split between chunks is decoded whole', () => {
  const bytes = Buffer.from('data: 日本語 😀\n\n', 'utf8');
  // cut inside the 4-byte emoji and inside the 3-byte characters: covered by everyCut, checked once explicitly
  const emoji = bytes.indexOf(0xf0);
  assert.deepEqual(parse([bytes.subarray(0, emoji + 2), bytes.subarray(emoji + 2)]), [ev('日本語 😀')]);
  assertEveryCut(bytes, [ev('日本語 😀')]);
});

test('\\r\\n, \\r and \\n line ends, mixed in one stream, and a \\r\\n cut between its two bytes', () => {
  const stream = 'data: a\r\n\r\ndata: b\r\rdata: c\n\ndata: d\r\n\n';
  assertEveryCut(stream, [ev('a'), ev('b'), ev('c'), ev('d')]);
  // `\r` then `\n` in the next chunk is one line end, not an empty line (which would dispatch early)
  assert.deepEqual(parse([Buffer.from('data: x\r'), Buffer.from('\ndata: y\r\n\r\n')]), [ev('x\ny')]);
});

test('several data lines join with \\n; comments, unknown fields and retry are skipped', () => {
  const stream =
    ': keep-alive comment\n' +
    'data: first\n' +
    'retry: 1000\n' +
    'data:second (no space)\n' +
    'data:  two spaces keep one\n' +
    'unknown: field\n' +
    'data\n' + // a field with no colon: an empty data line
    '\n';
  assertEveryCut(stream, [ev('first\nsecond (no space)\n two spaces keep one\n')]);
});

test('event types, ids that carry over, and events without data are not dispatched', () => {
  const stream =
    'event: delta\nid: 1\ndata: {"x":1}\n\n' +
    'data: plain\n\n' + // no event: message; the id carries over
    'event: ping\n\n' + // no data: not dispatched, and its type does not leak to the next event
    'id\ndata: after-reset\n\n' + // `id` with no value resets the last id
    'id: bad\0id\ndata: nul\n\n' + // an id containing NUL is ignored
    'data:\n\n'; // empty data is still an event
  assertEveryCut(stream, [
    ev('{"x":1}', 'delta', '1'),
    ev('plain', 'message', '1'),
    ev('after-reset', 'message', ''),
    ev('nul', 'message', ''),
    ev('', 'message', ''),
  ]);
});

test('a leading byte order mark is dropped; an event the stream ends inside is discarded', () => {
  const bom = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('data: one\n\ndata: cut off\n')]);
  assertEveryCut(bom, [ev('one')]);
  // a line without its end at the end of the stream is discarded too
  assert.deepEqual(parse([Buffer.from('data: done\n\ndata: partial')]), [ev('done')]);
});

test('a long line arriving over many chunks is kept whole', () => {
  const big = 'x'.repeat(100_000);
  const bytes = Buffer.from(`data: ${big}\r\n\r\n`);
  const chunks: Uint8Array[] = [];
  for (let i = 0; i < bytes.length; i += 997) chunks.push(bytes.subarray(i, i + 997));
  assert.deepEqual(parse(chunks), [ev(big)]);
});
