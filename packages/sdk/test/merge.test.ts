// mergeWindowMs: off by default (one event per call); when on, calls within the window become one event.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BasicCorrelationContext, Collector } from '../src/internal.js';
import { blobstore, FIXED_MS, listFiles, makeRuntime, readEvents, waitFor } from './helpers.js';

const dataText = (line: string) => {
  const start = line.indexOf(',"data":') + 8;
  return line.slice(start, line.indexOf(',"correlationid":', start));
};

describe('merging', () => {
  it('is off by default: one event per call, each with its own correlation id', async () => {
    const rt = makeRuntime();
    const c = new Collector({ name: 'model_inputs', runtime: rt });
    const ctxs = [c.collect([{ i: 0 }]), c.collect([{ i: 1 }]), c.collect([{ i: 2 }])];
    await rt.shutdown();
    const events = readEvents(blobstore(rt.ws)).map((l) => l.event);
    assert.equal(events.length, 3);
    assert.deepEqual(
      events.map((e) => e.correlationid),
      ctxs.map((x) => x.id),
    );
  });

  it('merges calls within the window into one event: rows concatenated, the first call correlation id', async () => {
    let now = FIXED_MS;
    const rt = makeRuntime({ mergeWindowMs: 60_000, clock: () => now });
    const inputs = new Collector({ name: 'model_inputs', runtime: rt });
    const outputs = new Collector({ name: 'model_outputs', runtime: rt });
    const first = inputs.collect([{ LIMIT_BAL: 502970, AGE: 54 }], new BasicCorrelationContext('test'));
    outputs.collect([{ p: 0.1 }], first);
    now += 1000;
    const second = inputs.collect([
      { LIMIT_BAL: 293458, AGE: 35 },
      { LIMIT_BAL: 1, AGE: 'Zoë' },
    ]);
    outputs.collect([{ p: 0.2 }, { p: 0.3 }], second);
    inputs.collect([]); // an empty table adds no rows
    assert.equal(first.id, 'test');
    assert.notEqual(second.id, first.id, 'each call still gets its own context back');
    await rt.shutdown();
    const lines = readEvents(blobstore(rt.ws));
    assert.equal(lines.length, 2);
    const byType = Object.fromEntries(lines.map((l) => [l.event.type, l]));
    const ins = byType['azureml.inference.model_inputs']!;
    assert.deepEqual(ins.event.data, [
      { LIMIT_BAL: 502970, AGE: 54 },
      { LIMIT_BAL: 293458, AGE: 35 },
      { LIMIT_BAL: 1, AGE: 'Zoë' },
    ]);
    assert.equal(ins.event.correlationid, 'test');
    assert.equal(ins.event.xrequestid, 'test');
    assert.equal(ins.event.time, '2024-03-05T18:16:25Z', 'the time of the first call');
    const n = Buffer.byteLength(dataText(ins.text));
    assert.equal(ins.event.contentrange, `bytes 0-${n - 1}/${n}`);
    const outs = byType['azureml.inference.model_outputs']!;
    assert.deepEqual(outs.event.data, [{ p: 0.1 }, { p: 0.2 }, { p: 0.3 }]);
    assert.equal(outs.event.correlationid, 'test');
    assert.equal(rt.stats().collections.model_inputs!.collected, 1);
  });

  it('starts a new event once the window has passed on the clock', async () => {
    let now = FIXED_MS;
    const rt = makeRuntime({ mergeWindowMs: 5000, clock: () => now });
    const c = new Collector({ name: 'model_inputs', runtime: rt });
    c.collect([{ i: 0 }]);
    now += 4999;
    c.collect([{ i: 1 }]);
    now += 1; // 5000 ms after the first call
    c.collect([{ i: 2 }]);
    c.collect([{ i: 3 }]);
    await rt.shutdown();
    assert.deepEqual(
      readEvents(blobstore(rt.ws)).map((l) => l.event.data),
      [
        [{ i: 0 }, { i: 1 }],
        [{ i: 2 }, { i: 3 }],
      ],
    );
  });

  it('never merges across a rolled-period boundary: each part lands in its own folder', async () => {
    let now = Date.UTC(2024, 2, 5, 18, 59, 59, 900);
    const rt = makeRuntime({ mergeWindowMs: 60_000, clock: () => now });
    const c = new Collector({ name: 'model_inputs', runtime: rt });
    c.collect([{ i: 0 }]);
    now = Date.UTC(2024, 2, 5, 19, 0, 0, 100);
    c.collect([{ i: 1 }]);
    await rt.shutdown();
    const base = 'modelDataCollector/ep/blue/model_inputs';
    assert.deepEqual(listFiles(blobstore(rt.ws)), [
      `${base}/2024/03/05/18/inst.jsonl`,
      `${base}/2024/03/05/19/inst.jsonl`,
    ]);
    const lines = readEvents(blobstore(rt.ws));
    assert.deepEqual(
      lines.map((l) => [l.event.time, l.event.data]),
      [
        ['2024-03-05T18:59:59Z', [{ i: 0 }]],
        ['2024-03-05T19:00:00Z', [{ i: 1 }]],
      ],
    );
  });

  it('writes a merged event when the window ends, without flush()', async () => {
    // The fixed clock keeps both calls in one window however slow the machine; the real timer ends it.
    const rt = makeRuntime({ mergeWindowMs: 50, flushIntervalMs: 10 });
    const c = new Collector({ name: 'model_inputs', runtime: rt });
    c.collect([{ i: 0 }]);
    c.collect([{ i: 1 }]);
    const lines = await waitFor(() => {
      const l = readEvents(blobstore(rt.ws));
      return l.length > 0 && l;
    }, 'the merged event on disk');
    assert.deepEqual(lines[0]!.event.data, [{ i: 0 }, { i: 1 }]);
    await rt.shutdown();
  });

  it('does not merge raw bytes, and offloads a merged table over largePayloadBytes', async () => {
    const rt = makeRuntime({ mergeWindowMs: 60_000, largePayloadBytes: 1024 });
    const c = new Collector({ name: 'model_inputs', runtime: rt });
    c.collect(Buffer.from('abc'));
    for (let i = 0; i < 20; i++) c.collect([{ i, pad: 'x'.repeat(50) }]);
    await rt.shutdown();
    const events = readEvents(blobstore(rt.ws)).map((l) => l.event);
    assert.equal(events.length, 2);
    assert.equal(events[0]!.datacontenttype, 'application/octet-stream');
    assert.equal(events[1]!.datainblob, 'true');
    const rows = Array.from({ length: 20 }, (_, i) => ({ i, pad: 'x'.repeat(50) }));
    const n = Buffer.byteLength(JSON.stringify(rows));
    assert.equal(events[1]!.contentrange, `bytes 0-${n - 1}/${n}`);
  });
});
