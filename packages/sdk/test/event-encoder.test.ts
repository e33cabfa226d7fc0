// The event encoder writes lines from pre-encoded pieces and caches; these tests pin its bytes against a plain
// JSON.stringify of the same event, across the cases where a cache could go stale.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, it } from 'node:test';
import { writeUuid } from '../src/event-id.js';
import {
  BasicCorrelationContext,
  type CorrelationContext,
  EventEncoder,
  type EventFields,
} from '../src/internal.js';
import { AGENT } from '../src/version.js';

const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const SOURCE =
  '/subscriptions/s/resourceGroups/r/providers/Microsoft.MachineLearningServices/workspaces/w/onlineEndpoints/e/deployments/d';

/** The line JSON.stringify makes of the same fields, in the reference's order. */
function expected(f: EventFields, id: string, collection = 'request', modelVersion = '3'): string {
  const dataBytes = Buffer.byteLength(f.dataJson);
  const n = f.dataInBlob ? f.dataBytes : dataBytes;
  const event: Record<string, unknown> = {
    specversion: '1.0',
    id,
    source: SOURCE,
    type: `azureml.inference.${collection}`,
    datacontenttype: f.contentType,
    time: f.time,
    data: '\u0000DATA\u0000',
  };
  if (f.path !== undefined) event.path = f.path;
  if (f.method !== undefined) event.method = f.method;
  event.correlationid = f.correlationId;
  event.xrequestid = f.xRequestId;
  event.modelversion = modelVersion;
  if (f.collectDataType !== undefined) event.collectdatatype = f.collectDataType;
  event.agent = AGENT;
  event.contentrange = n > 0 ? `bytes 0-${n - 1}/${n}` : 'bytes */0';
  if (f.dataInBlob) event.datainblob = 'true';
  Object.assign(event, f.extensions ?? {});
  return `${JSON.stringify(event).replace('"\\u0000DATA\\u0000"', f.dataJson)}\n`;
}

/** Fields of one event; the correlation ids are read from the context as Collection.emit reads them. */
function fields(over: Partial<EventFields> = {}): EventFields {
  const correlation = over.correlation ?? new BasicCorrelationContext('c-1');
  return {
    time: '2024-03-05T18:16:25Z',
    dataJson: '[{"a":1}]',
    dataBytes: -1,
    contentType: 'application/json',
    correlation,
    correlationId: correlation.id,
    xRequestId: correlation.xRequestId ?? correlation.id,
    ...over,
  };
}

/** Encodes and returns the line with its id, checking the id is a fresh UUID v4 when none was given. */
function encode(enc: EventEncoder, f: EventFields): { line: string; id: string } {
  const line = enc.encode(f);
  const id = (JSON.parse(line) as { id: string }).id;
  if (f.id === undefined) assert.match(id, UUID_V4);
  else assert.equal(id, f.id);
  return { line, id };
}

describe('EventEncoder', () => {
  it('writes the same bytes as JSON.stringify of the event, for every optional field and content range size', () => {
    const enc = new EventEncoder(SOURCE, 'request', '3');
    const datas = [
      '1',
      '"x"',
      '[1,2,3,4,5,6,7]',
      `"${'y'.repeat(96)}"`,
      `"${'é'.repeat(600)}"`,
      '"😀\u2028"',
    ];
    for (const dataJson of datas) {
      for (const extra of [
        {},
        { path: '/score?q="é"', method: 'POST' },
        { collectDataType: 'pandas.core.frame.DataFrame' },
        { extensions: Object.freeze({ statuscode: 503 }) },
        { dataInBlob: true, dataBytes: 10, dataJson: '"azureml://datastores/x/paths/a/b"' },
        { dataInBlob: true, dataBytes: 0, dataJson: '"azureml://datastores/x/paths/a/c"' },
        { id: randomUUID(), contentType: 'text/plain; charset=utf-8' },
      ] as Partial<EventFields>[]) {
        const f = fields({ dataJson, ...extra });
        const { line, id } = encode(enc, f);
        assert.equal(line, expected(f, id));
      }
    }
  });

  it('does not reuse what it cached once the time, content type, path or data type change', () => {
    const enc = new EventEncoder(SOURCE, 'response', 'v2');
    const steps: Partial<EventFields>[] = [
      { path: '/a', method: 'GET' },
      { path: '/b', method: 'GET' },
      { path: '/b', method: 'PUT' },
      { path: undefined, method: undefined },
      { time: '2024-03-05T18:16:26Z' },
      { contentType: 'text/csv' },
      { collectDataType: 'bytes' },
      { collectDataType: undefined },
    ];
    for (const step of steps) {
      const f = fields(step);
      const { line, id } = encode(enc, f);
      assert.equal(line, expected(f, id, 'response', 'v2'));
    }
  });

  it('follows a correlation context whose ids change, and contexts that are plain objects', () => {
    const enc = new EventEncoder(SOURCE, 'model_inputs', '3');
    const ctx = new BasicCorrelationContext('first', 'x-first');
    const a = encode(enc, fields({ correlation: ctx }));
    assert.equal(a.line, expected(fields({ correlation: ctx }), a.id, 'model_inputs'));
    // Readonly in TypeScript only: a caller may still change the ids, and the next event must say so.
    (ctx as { id: string }).id = 'second';
    const b = encode(enc, fields({ correlation: ctx }));
    assert.equal((JSON.parse(b.line) as { correlationid: string }).correlationid, 'second');
    const plain: CorrelationContext = { id: 'a"b\\c\n', getId: () => 'a"b\\c\n' };
    const c = encode(enc, fields({ correlation: plain }));
    assert.equal(c.line, expected(fields({ correlation: plain }), c.id, 'model_inputs'));
  });

  it('writes the current members of an extensions object that is not frozen', () => {
    const enc = new EventEncoder(SOURCE, 'request', '3');
    const ext: Record<string, number> = { statuscode: 200 };
    encode(enc, fields({ extensions: ext }));
    ext.statuscode = 500;
    const { line } = encode(enc, fields({ extensions: ext }));
    assert.equal((JSON.parse(line) as { statuscode: number }).statuscode, 500);
  });
});

describe('event ids', () => {
  it('are UUID v4 with distinct values across many refills of the random pool', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 5000; i++) {
      const id = randomUUID();
      assert.match(id, UUID_V4);
      seen.add(id);
    }
    assert.equal(seen.size, 5000);
  });

  it('are written in place as 36 ASCII bytes without touching the bytes around them', () => {
    const buf = Buffer.alloc(40, 0x7c);
    assert.equal(writeUuid(buf, 2), 38);
    assert.match(buf.toString('latin1', 2, 38), UUID_V4);
    assert.deepEqual([buf[0], buf[1], buf[38], buf[39]], [0x7c, 0x7c, 0x7c, 0x7c]);
  });
});
