// The bounded queue: drop-newest when full, flush/shutdown semantics, retries, and batching by size and time.
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { setImmediate as tick } from 'node:timers/promises';
import { EventEncoder, type EventFields } from '../src/event.js';
import {
  BasicCorrelationContext,
  Collector,
  DataCollectorRuntime,
  type FileBatch,
  type FileResult,
  LocalFileSink,
  type MdcError,
  MemorySink,
  QueueFullError,
  type Sink,
} from '../src/internal.js';
import { BatchQueue } from '../src/pipeline/queue.js';
import { emptyStats } from '../src/stats.js';
import { catchMdc, deferred, makeRuntime, readEvents, tempDir, waitFor } from './helpers.js';

/** A sink over a local folder whose writes wait until the test opens the gate; it records each append. */
class GatedSink implements Sink {
  readonly description = 'gated';
  readonly root = tempDir();
  readonly inner = new LocalFileSink(this.root);
  /** Lines handed over by each append() call, in order. */
  readonly appends: string[][] = [];
  private readonly gate = deferred();
  open(): void {
    this.gate.resolve();
  }
  async write(batch: FileBatch): Promise<FileResult> {
    const text = Buffer.concat(batch.chunks as Uint8Array[]).toString('utf8');
    this.appends.push(text.split('\n').filter(Boolean));
    await this.gate.promise;
    return this.inner.write(batch);
  }
  close(): Promise<void> {
    return this.inner.close();
  }
}

/** A sink over a local folder that throws on the first `failures` append calls. */
class FlakySink implements Sink {
  readonly description = 'flaky';
  readonly root = tempDir();
  readonly inner = new LocalFileSink(this.root);
  calls = 0;
  constructor(private failures: number) {}
  async write(batch: FileBatch): Promise<FileResult> {
    this.calls++;
    if (this.failures > 0) {
      this.failures--;
      throw Object.assign(new Error('disk unplugged'), { code: 'EIO' });
    }
    return this.inner.write(batch);
  }
  close(): Promise<void> {
    return this.inner.close();
  }
}

const ids = (root: string) => readEvents(root).map((l) => (l.event.data as { i: number }[])[0]!.i);

describe('queue full', () => {
  it('drops the newest events past maxQueueEvents, counts each, reports each through onError', async () => {
    const sink = new GatedSink();
    const rt = makeRuntime({ sink, maxQueueEvents: 3, flushIntervalMs: 60_000 });
    const errors: MdcError[] = [];
    const c = new Collector({
      name: 'model_inputs',
      runtime: rt,
      onError: (e) => errors.push(e as MdcError),
    });
    c.collect([{ i: 0 }]);
    const flushed = rt.flush(); // the first event goes in flight; the sink holds it
    await waitFor(() => sink.appends.length === 1, 'the first write to start');
    assert.equal(rt.stats().queue.inFlight, 1);
    for (let i = 1; i <= 6; i++) c.collect([{ i }]); // 3 fit in the queue, 3 do not
    assert.equal(rt.stats().queue.events, 3);
    assert.equal(rt.stats().queue.maxEvents, 3);
    assert.deepEqual(
      errors.map((e) => e.code),
      ['MDC_QUEUE_FULL', 'MDC_QUEUE_FULL', 'MDC_QUEUE_FULL'],
    );
    assert.match(errors[0]!.message, /model_inputs/);
    assert.match(errors[0]!.message, /3 events/);
    assert.equal(c.stats().dropped, 3);
    assert.equal(rt.stats().collections.model_inputs!.dropped, 3);
    sink.open();
    await flushed;
    await rt.shutdown();
    assert.deepEqual(ids(sink.root), [0, 1, 2, 3], 'the oldest were kept, the newest dropped');
    const s = c.stats();
    assert.equal(s.collected, 4);
    assert.equal(s.written, 4);
    assert.equal(s.dropped, 3);
  });

  it('drops past maxQueueBytes, and throws MDC_QUEUE_FULL from collect() without onError', async () => {
    const sink = new GatedSink();
    const rt = makeRuntime({ sink, maxQueueBytes: 4096, flushIntervalMs: 60_000 });
    const c = new Collector({ name: 'model_inputs', runtime: rt });
    const row = (i: number) => [{ i, pad: 'p'.repeat(500) }];
    c.collect(row(0));
    const flushed = rt.flush();
    await waitFor(() => sink.appends.length === 1, 'the first write to start');
    const accepted = [0];
    const errors: MdcError[] = [];
    for (let i = 1; i <= 20; i++) {
      try {
        c.collect(row(i));
        accepted.push(i);
      } catch (err) {
        errors.push(err as MdcError);
      }
    }
    assert.ok(accepted.length >= 2, 'some events fit');
    assert.ok(errors.length >= 10, 'the byte bound refused the rest');
    assert.deepEqual(
      accepted,
      Array.from({ length: accepted.length }, (_, i) => i),
      'drop-newest',
    );
    for (const err of errors) assert.equal(err.code, 'MDC_QUEUE_FULL');
    assert.match(errors[0]!.message, /4096 bytes/);
    assert.ok(rt.stats().queue.bytes <= 4096);
    assert.equal(c.stats().dropped, errors.length);
    sink.open();
    await flushed;
    await rt.shutdown();
    assert.deepEqual(ids(sink.root), accepted);
  });

  it('never waits on the sink: collect() returns while a write is stuck', async () => {
    const sink = new GatedSink();
    const rt = makeRuntime({ sink, flushIntervalMs: 0 });
    const c = new Collector({ name: 'model_inputs', runtime: rt });
    for (let i = 0; i < 1000; i++) c.collect([{ i }]);
    assert.equal(sink.appends.length, 0, 'nothing is written synchronously');
    await waitFor(() => sink.appends.length === 1, 'the timer to start a write');
    for (let i = 1000; i < 2000; i++) c.collect([{ i }]);
    sink.open();
    await rt.shutdown();
    assert.deepEqual(
      ids(sink.root),
      Array.from({ length: 2000 }, (_, i) => i),
    );
  });
});

describe('flush and shutdown', () => {
  it('flush() resolves only after everything accepted is on disk', async () => {
    const sink = new GatedSink();
    const rt = makeRuntime({ sink, flushIntervalMs: 60_000 });
    const a = new Collector({ name: 'model_inputs', runtime: rt });
    const b = new Collector({ name: 'model_outputs', runtime: rt });
    for (let i = 0; i < 10; i++) {
      a.collect([{ i }]);
      b.collect([{ i }]);
    }
    let settled = false;
    const flushed = a.flush().then(() => {
      settled = true;
    });
    await waitFor(() => sink.appends.length === 1, 'the write to start');
    for (let k = 0; k < 20; k++) await tick();
    assert.equal(settled, false, 'flush() is still waiting for the sink');
    assert.deepEqual(readEvents(sink.root), []);
    sink.open();
    await flushed;
    assert.equal(readEvents(sink.root).length, 20);
    assert.equal(a.stats().written, 10);
    assert.equal(b.stats().written, 10);
    await rt.shutdown();
  });

  it('shutdown() waits for writes, returns the same promise twice, then refuses collect() with MDC_COLLECTOR_CLOSED', async () => {
    const sink = new GatedSink();
    const rt = makeRuntime({ sink, flushIntervalMs: 60_000 });
    const errors: MdcError[] = [];
    const c = new Collector({ name: 'model_inputs', runtime: rt });
    const quiet = new Collector({
      name: 'model_outputs',
      runtime: rt,
      onError: (e) => errors.push(e as MdcError),
    });
    for (let i = 0; i < 5; i++) c.collect([{ i }]);
    const first = rt.shutdown();
    assert.equal(rt.shutdown(), first);
    let settled = false;
    void first.then(() => {
      settled = true;
    });
    await waitFor(() => sink.appends.length === 1, 'the write to start');
    for (let k = 0; k < 20; k++) await tick();
    assert.equal(settled, false);
    sink.open();
    await first;
    assert.deepEqual(ids(sink.root), [0, 1, 2, 3, 4]);
    assert.equal(catchMdc(() => c.collect([{ i: 5 }])).code, 'MDC_COLLECTOR_CLOSED');
    quiet.collect([{ i: 6 }]);
    assert.deepEqual(
      errors.map((e) => e.code),
      ['MDC_COLLECTOR_CLOSED'],
    );
    assert.equal(readEvents(sink.root).length, 5);
  });

  it('refuses collect() as soon as shutdown() is called, so a busy producer cannot hold shutdown open', async () => {
    const sink = new GatedSink();
    const rt = makeRuntime({ sink, flushIntervalMs: 60_000 });
    const c = new Collector({ name: 'model_inputs', runtime: rt });
    c.collect([{ i: 0 }]);
    const done = rt.shutdown();
    assert.equal(catchMdc(() => c.collect([{ i: 1 }])).code, 'MDC_COLLECTOR_CLOSED');
    sink.open();
    await done;
    assert.deepEqual(ids(sink.root), [0]);
  });

  it('Collector.shutdown() is idempotent, flushes, and closes that Collector', async () => {
    const sink = new GatedSink();
    sink.open();
    const rt = makeRuntime({ sink, flushIntervalMs: 60_000 });
    const c = new Collector({ name: 'model_inputs', runtime: rt });
    c.collect([{ i: 0 }]);
    const p = c.shutdown();
    assert.equal(c.shutdown(), p);
    await p;
    assert.deepEqual(ids(sink.root), [0]);
    assert.equal(catchMdc(() => c.collect([{ i: 1 }])).code, 'MDC_COLLECTOR_CLOSED');
    await rt.shutdown();
  });

  it('await using flushes and closes a Collector and a runtime at the end of the block', async () => {
    const sink = new GatedSink();
    sink.open();
    const rt = makeRuntime({ sink, flushIntervalMs: 60_000 });
    let outer: Collector;
    {
      await using c = new Collector({ name: 'model_inputs', runtime: rt });
      outer = c;
      c.collect([{ i: 0 }]);
      c.collect([{ i: 1 }]);
    }
    assert.deepEqual(ids(sink.root), [0, 1]);
    assert.equal(catchMdc(() => outer.collect([{ i: 2 }])).code, 'MDC_COLLECTOR_CLOSED');
    {
      await using scoped = makeRuntime({ sink, flushIntervalMs: 60_000 });
      new Collector({ name: 'model_outputs', runtime: scoped }).collect([{ i: 3 }]);
    }
    assert.equal(readEvents(sink.root).length, 3);
    await rt.shutdown();
  });
});

describe('retries and failed writes', () => {
  it('retries a sink that fails twice, then writes each event exactly once', async () => {
    const sink = new FlakySink(2);
    const errors: Error[] = [];
    const rt = makeRuntime({ sink, retryDelayMs: 1, maxRetryDelayMs: 5, maxTries: 5 });
    const c = new Collector({ name: 'model_inputs', runtime: rt, onError: (e) => errors.push(e) });
    for (let i = 0; i < 10; i++) c.collect([{ i }]);
    await rt.shutdown();
    assert.equal(sink.calls, 3);
    assert.equal(rt.stats().queue.retries, 2);
    assert.deepEqual(errors, []);
    assert.deepEqual(
      ids(sink.root),
      Array.from({ length: 10 }, (_, i) => i),
    );
    assert.equal(c.stats().written, 10);
    assert.equal(c.stats().failed, 0);
  });

  it('does not write a file twice when a retry follows a batch that failed half-way', async () => {
    const root = tempDir();
    const inner = new LocalFileSink(root);
    let failedOnce = false;
    const sink: Sink = {
      description: 'half-way',
      async write(batch) {
        if (batch.path.includes('model_outputs') && !failedOnce) {
          failedOnce = true;
          throw new Error('EMFILE: too many open files');
        }
        return inner.write(batch);
      },
      close: () => inner.close(),
    };
    const rt = makeRuntime({ sink, retryDelayMs: 1, maxRetryDelayMs: 5 });
    const a = new Collector({ name: 'model_inputs', runtime: rt });
    const b = new Collector({ name: 'model_outputs', runtime: rt });
    for (let i = 0; i < 5; i++) b.collect([{ i }], a.collect([{ i }]));
    await rt.shutdown();
    assert.ok(failedOnce);
    const lines = readEvents(root);
    assert.equal(lines.length, 10, 'each event exactly once');
    assert.equal(new Set(lines.map((l) => l.event.id)).size, 10);
    assert.equal(a.stats().written, 5);
    assert.equal(b.stats().written, 5);
  });

  it('reports MDC_WRITE_FAILED to onError and counts failed when the sink always fails; no crash', async () => {
    const sink = new FlakySink(Number.POSITIVE_INFINITY);
    const errors: MdcError[] = [];
    const rt = makeRuntime({ sink, retryDelayMs: 1, maxRetryDelayMs: 2, maxTries: 3 });
    const c = new Collector({
      name: 'model_inputs',
      runtime: rt,
      onError: (e) => errors.push(e as MdcError),
    });
    for (let i = 0; i < 4; i++) c.collect([{ i }]);
    await rt.flush();
    assert.equal(sink.calls, 3);
    assert.equal(rt.stats().queue.retries, 2);
    assert.equal(errors.length, 1);
    assert.equal(errors[0]!.code, 'MDC_WRITE_FAILED');
    assert.match(errors[0]!.message, /4 event\(s\) dropped after 3 failed tries: disk unplugged/);
    assert.equal((errors[0]!.cause as Error).message, 'disk unplugged');
    assert.equal(c.stats().failed, 4);
    assert.equal(c.stats().written, 0);
    // The collector keeps working after a failed batch.
    c.collect([{ i: 9 }]);
    await rt.shutdown();
    assert.equal(c.stats().failed, 5);
    assert.equal(errors.length, 2);
  });

  it('sends background errors to the runtime onError when no Collector has one, and survives a throwing handler', async () => {
    const seen: MdcError[] = [];
    const rt = makeRuntime({
      sink: new FlakySink(Number.POSITIVE_INFINITY),
      maxTries: 1,
      onError: (e) => {
        seen.push(e as MdcError);
        throw new Error('a broken handler');
      },
    });
    new Collector({ name: 'model_inputs', runtime: rt }).collect([{ i: 0 }]);
    await rt.shutdown();
    assert.deepEqual(
      seen.map((e) => e.code),
      ['MDC_WRITE_FAILED'],
    );
  });

  it('emits a process warning for a failed write when nobody handles errors', async () => {
    const warnings: (Error & { code?: string })[] = [];
    const onWarning = (w: Error & { code?: string }) => warnings.push(w);
    process.on('warning', onWarning);
    try {
      const rt = makeRuntime({ sink: new FlakySink(Number.POSITIVE_INFINITY), maxTries: 1 });
      new Collector({ name: 'model_inputs', runtime: rt }).collect([{ i: 0 }]);
      await rt.shutdown();
      await waitFor(() => warnings.some((w) => w.code === 'MDC_WRITE_FAILED'), 'the warning');
    } finally {
      process.off('warning', onWarning);
    }
  });
});

describe('batching', () => {
  it('writes as soon as maxBatchBytes is queued, without waiting for the timer', async () => {
    const sink = new GatedSink();
    sink.open();
    const row = (i: number) => [{ i, pad: 'p'.repeat(150) }];
    // Every line has the same length: measure one, and set the batch size so the 4th line crosses it.
    const probe = makeRuntime({ sink: new MemorySink() });
    new Collector({ name: 'model_inputs', runtime: probe }).collect(row(0));
    await probe.shutdown();
    const lineBytes = probe.stats().collections.model_inputs!.bytesWritten;
    const rt = makeRuntime({ sink, maxBatchBytes: lineBytes * 4 - 1, flushIntervalMs: 2_000_000_000 });
    const c = new Collector({ name: 'model_inputs', runtime: rt });
    for (let i = 0; i < 3; i++) c.collect(row(i));
    assert.equal(sink.appends.length, 0);
    c.collect(row(3));
    await waitFor(() => readEvents(sink.root).length === 4, 'the size-triggered batch on disk');
    assert.equal(sink.appends.length, 1);
    assert.equal(sink.appends[0]!.length, 4);
    c.collect(row(4));
    await rt.shutdown();
    assert.deepEqual(
      sink.appends.map((a) => a.length),
      [4, 1],
    );
  });

  it('writes what is queued after flushIntervalMs, without flush(), in one batch', async () => {
    const sink = new GatedSink();
    sink.open();
    const rt = makeRuntime({ sink, flushIntervalMs: 30 });
    const c = new Collector({ name: 'model_inputs', runtime: rt });
    for (let i = 0; i < 3; i++) c.collect([{ i }]);
    assert.equal(sink.appends.length, 0);
    // The bytes land before the write's promise settles the counters: wait for both.
    await waitFor(
      () => c.stats().written === 3 && readEvents(sink.root).length === 3,
      'the timer batch on disk',
    );
    assert.deepEqual(
      sink.appends.map((a) => a.length),
      [3],
    );
    // And again for events collected after that write.
    for (let i = 3; i < 5; i++) c.collect([{ i }]);
    await waitFor(() => readEvents(sink.root).length === 5, 'the second timer batch on disk');
    assert.deepEqual(ids(sink.root), [0, 1, 2, 3, 4]);
    await rt.shutdown();
  });

  it('encodes the lines of one turn at its end, with the ids the context had at collect()', async () => {
    const sink = new GatedSink();
    sink.open();
    const rt = makeRuntime({ sink, flushIntervalMs: 2_000_000_000 });
    const inputs = new Collector({ name: 'model_inputs', runtime: rt });
    const outputs = new Collector({ name: 'model_outputs', runtime: rt });
    const ctx = { id: 'first', xRequestId: 'x-first', getId: () => ctx.id };
    inputs.collect([{ i: 0 }], ctx);
    outputs.collect([{ i: 1 }], ctx);
    // The caller reuses its context object before the turn ends: the events keep the ids they were given.
    ctx.id = 'second';
    ctx.xRequestId = 'x-second';
    inputs.collect([{ i: 2 }], ctx);
    // Queued and counted at once, although not encoded yet.
    assert.equal(rt.stats().queue.events, 3);
    assert.equal(inputs.stats().collected, 2);
    await tick();
    assert.ok(rt.stats().queue.bytes > 0);
    await rt.flush();
    const events = readEvents(sink.root).map((l) => l.event);
    const seen = events.map((e) => [
      e.type,
      e.correlationid,
      e.xrequestid,
      (e.data as { i: number }[])[0]!.i,
    ]);
    assert.deepEqual(
      seen.sort((a, b) => (a[3] as number) - (b[3] as number)),
      [
        ['azureml.inference.model_inputs', 'first', 'x-first', 0],
        ['azureml.inference.model_outputs', 'first', 'x-first', 1],
        ['azureml.inference.model_inputs', 'second', 'x-second', 2],
      ],
    );
    // A flush in the same turn as the collect() writes it too (the pending lines are encoded first).
    outputs.collect([{ i: 3 }], ctx);
    await rt.flush();
    assert.equal(readEvents(sink.root).length, 4);
    await rt.shutdown();
  });

  it('starts a full batch inside a burst of collect() calls in one turn, without waiting for its end', async () => {
    const sink = new GatedSink();
    const rt = makeRuntime({ sink, maxBatchBytes: 16 * 1024, flushIntervalMs: 2_000_000_000 });
    const c = new Collector({ name: 'model_inputs', runtime: rt });
    let i = 0;
    while (sink.appends.length === 0 && i < 1000) c.collect([{ i: i++, pad: 'p'.repeat(1000) }]);
    // Lines of ~1.5 KB: the write began within the loop, after about 16 KiB, with every line collected so far.
    assert.equal(sink.appends.length, 1);
    assert.ok(i >= 8 && i <= 12, `a 16 KiB batch of ~1.5 KB lines started after ${i} lines`);
    assert.equal(sink.appends[0]!.length, i);
    sink.open();
    await rt.shutdown();
    assert.equal(readEvents(sink.root).length, i);
  });

  it('counts a line that fails to encode as failed, without throwing into the caller', async () => {
    const errors: Error[] = [];
    const queue = new BatchQueue({
      maxQueueEvents: 100,
      maxQueueBytes: 1 << 20,
      maxBatchBytes: 1 << 20,
      flushIntervalMs: 2_000_000_000,
      maxTries: 1,
      retryDelayMs: 1,
      maxRetryDelayMs: 1,
      writeTimeoutMs: 30_000,
      onBackgroundError: (err) => errors.push(err),
    });
    const broken = new EventEncoder('/s', 'model_inputs', '1');
    broken.write = () => {
      throw new Error('encoder broke');
    };
    const good = new EventEncoder('/s', 'model_inputs', '1');
    const correlation = new BasicCorrelationContext('c');
    const fields: EventFields = {
      time: '2024-03-05T18:16:25Z',
      dataJson: '[{"a":1}]',
      dataBytes: -1,
      contentType: 'application/json',
      correlation,
      correlationId: 'c',
      xRequestId: 'c',
    };
    const sink = new MemorySink();
    const stats = emptyStats();
    const line = { sink, path: 'x.jsonl', periodEnd: 0, fields, stats, collection: 'model_inputs' };
    queue.push({ ...line, encoder: broken });
    queue.push({ ...line, encoder: good });
    assert.equal(queue.depth.events, 1);
    assert.equal(stats.failed, 1);
    assert.equal((errors[0] as MdcError).code, 'MDC_WRITE_FAILED');
    await queue.flush();
    assert.equal(stats.written, 1);
    const text = sink.files.get('x.jsonl') ?? '';
    assert.equal(text.split('\n').length, 2, 'one line, ending in a newline');
    assert.match(text, /"correlationid":"c"/);
  });
});

describe('the queue-to-datastore contract', () => {
  it('a hung datastore cannot make flush() wait forever: MDC_WRITE_TIMEOUT, counted, for its collection only', async () => {
    // A real hung write holds a socket or a file operation that keeps the process alive; so does this interval.
    const alive = setInterval(() => {}, 1000);
    after(() => clearInterval(alive));
    const hung: Sink = {
      description: 'hung',
      write: () => new Promise<FileResult>(() => {}),
      close: async () => {},
    };
    const rt = makeRuntime({ sink: hung, writeTimeoutMs: 200, maxTries: 5 });
    const errors: MdcError[] = [];
    const c = new Collector({
      name: 'model_inputs',
      runtime: rt,
      onError: (e) => errors.push(e as MdcError),
    });
    for (let i = 0; i < 3; i++) c.collect([{ i }]);
    const started = Date.now();
    await rt.flush();
    assert.ok(Date.now() - started < 10_000, 'flush() returned');
    assert.equal(c.stats().failed, 3);
    assert.equal(c.stats().written, 0);
    assert.equal(rt.stats().queue.timeouts, 1);
    assert.equal(rt.stats().queue.retries, 0, 'a timed-out write is not retried (it may still land)');
    assert.deepEqual(
      errors.map((e) => e.code),
      ['MDC_WRITE_TIMEOUT'],
    );
    assert.match(errors[0]!.message, /hung: a write of 3 event\(s\) did not finish within 200 ms/);
  });

  it('takes the write timeout from MDC_WRITE_TIMEOUT_MS and refuses a bad one', () => {
    const env = { MDC_WRITE_TIMEOUT_MS: '1234' };
    const rt = new DataCollectorRuntime({ workspace: tempDir(), handleProcessExit: false }, env);
    assert.equal(rt.queue.options.writeTimeoutMs, 1234);
    const err = catchMdc(
      () =>
        new DataCollectorRuntime(
          { workspace: tempDir(), handleProcessExit: false },
          { MDC_WRITE_TIMEOUT_MS: '0' },
        ),
    );
    assert.equal(err.code, 'MDC_INVALID_ENV');
  });

  it("hands each file's batch with what the queue knows, and counts a datastore's drops for the owning collection", async () => {
    const seen: { path: string; events: number; collection: string; periodEnd: number; bytes: number }[] = [];
    const inner = new MemorySink();
    const sink: Sink = {
      description: 'partial',
      async write(batch) {
        const bytes = batch.chunks.reduce((n, c) => n + c.byteLength, 0);
        seen.push({ ...batch, bytes });
        assert.equal(bytes, batch.bytes, 'bytes is the sum of the chunks');
        await inner.write(batch);
        // The outputs' datastore keeps one event of its batch and drops the rest, as a full spool would.
        if (batch.collection === 'model_outputs')
          return { dropped: batch.events - 1, error: new QueueFullError('model_outputs', 1, 'test') };
        return { dropped: 0 };
      },
      close: async () => {},
    };
    const rt = makeRuntime({ sink });
    const inErrors: Error[] = [];
    const outErrors: Error[] = [];
    const inputs = new Collector({ name: 'model_inputs', runtime: rt, onError: (e) => inErrors.push(e) });
    const outputs = new Collector({ name: 'model_outputs', runtime: rt, onError: (e) => outErrors.push(e) });
    for (let i = 0; i < 4; i++) outputs.collect([{ p: i }], inputs.collect([{ i }, { i: i + 1 }]));
    await rt.flush();
    const byCollection = Object.fromEntries(seen.map((s) => [s.collection, s]));
    assert.equal(byCollection.model_inputs!.events, 4);
    assert.equal(byCollection.model_outputs!.events, 4);
    assert.equal(
      byCollection.model_inputs!.periodEnd,
      Date.UTC(2024, 2, 5, 19),
      'the hour folder ends at 19:00',
    );
    assert.match(byCollection.model_inputs!.path, /model_inputs\/2024\/03\/05\/18\/inst\.jsonl$/);
    assert.equal(inputs.stats().written, 4);
    assert.equal(outputs.stats().written, 1);
    assert.equal(outputs.stats().failed, 3);
    assert.equal(inErrors.length, 0, 'the inputs lost nothing and hear of nothing');
    assert.equal(outErrors.length, 1, 'the error reaches the collection that owns the events');
  });
});

describe('draining at disk speed', () => {
  /** A burst paced like a busy server: `perTurn` calls of a 10-row table, then a yield to the event loop. */
  const ROWS = Array.from({ length: 10 }, (_, i) =>
    Object.fromEntries(Array.from({ length: 23 }, (_, c) => [`COLUMN_${c}`, 100_000 + i * 31 + c])),
  );
  const TURNS = 25;
  const PER_TURN = 250;
  const BOUND = 8 * 1024 * 1024;

  it('a burst that a plain buffered append survives within the same memory bound drops nothing', async () => {
    // The baseline: JSON.stringify + one async append per turn, refusing lines past the same byte bound.
    const dir = tempDir();
    const fh = await (await import('node:fs/promises')).open(`${dir}/plain.jsonl`, 'a');
    let held = 0;
    let plainDropped = 0;
    let writing: Promise<unknown> = Promise.resolve();
    for (let t = 0; t < TURNS; t++) {
      const lines: string[] = [];
      for (let j = 0; j < PER_TURN; j++) {
        const line = `${JSON.stringify({ data: ROWS, id: `${t}-${j}` })}\n`;
        if (held + line.length > BOUND) plainDropped++;
        else {
          held += line.length;
          lines.push(line);
        }
      }
      const text = lines.join('');
      writing = writing
        .then(() => fh.write(text))
        .then(() => {
          held -= text.length;
        });
      await tick();
    }
    await writing;
    await fh.close();
    assert.equal(plainDropped, 0, 'the burst fits the bound for a plain appender');

    // The same burst through collect(), into a fresh datastore folder (the first write of a period creates it).
    const rt = makeRuntime({ maxQueueBytes: BOUND });
    const c = new Collector({ name: 'model_inputs', runtime: rt, onError: () => {} });
    let maxQueued = 0;
    for (let t = 0; t < TURNS; t++) {
      for (let j = 0; j < PER_TURN; j++) c.collect(ROWS);
      maxQueued = Math.max(maxQueued, rt.stats().queue.bytes);
      await tick();
    }
    await rt.shutdown();
    assert.deepEqual(
      { dropped: c.stats().dropped, written: c.stats().written },
      { dropped: 0, written: TURNS * PER_TURN },
      `queue peaked at ${(maxQueued / 1048576).toFixed(1)} MiB of ${BOUND / 1048576}`,
    );
  });
});

describe('a local file replaced under a running collector', () => {
  it('appends to the file now at the path, not to the replaced one (mdc forget renames a rewrite over it)', async () => {
    const rt = makeRuntime();
    const c = new Collector({ name: 'model_inputs', runtime: rt });
    c.collect([{ i: 0 }]);
    await rt.flush();
    const [file] = readEvents(`${rt.ws}/datastores/workspaceblobstore`).map((l) => l.file);
    const abs = `${rt.ws}/datastores/workspaceblobstore/${file}`;
    const { renameSync, readFileSync, rmSync, writeFileSync } = await import('node:fs');
    // A rewrite without the first event, renamed over the file while its handle is open.
    writeFileSync(`${abs}.tmp`, '');
    renameSync(`${abs}.tmp`, abs);
    c.collect([{ i: 1 }]);
    await rt.flush();
    assert.deepEqual(
      readFileSync(abs, 'utf8')
        .trim()
        .split('\n')
        .map((l) => (JSON.parse(l).data as { i: number }[])[0]!.i),
      [1],
    );
    // Retention removed the whole folder: it comes back with the next event.
    rmSync(`${rt.ws}/datastores/workspaceblobstore/modelDataCollector`, { recursive: true });
    c.collect([{ i: 2 }]);
    await rt.shutdown();
    assert.equal(c.stats().failed, 0);
    assert.match(readFileSync(abs, 'utf8'), /"data":\[\{"i":2\}\]/);
  });
});
