// correlationid: shared by a request's inputs and outputs, custom ids, the request context, and errors.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setImmediate as tick } from 'node:timers/promises';
import {
  BasicCorrelationContext,
  Collector,
  currentCorrelationContext,
  type MdcError,
  runWithRequestContext,
} from '../src/internal.js';
import { blobstore, catchMdc, makeRuntime, readEvents } from './helpers.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

/** The correlation ids on disk, per collection, in write order. */
function idsByCollection(ws: string): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const { event } of readEvents(blobstore(ws))) {
    const name = (event.type as string).replace('azureml.inference.', '');
    out[name] = [...(out[name] ?? []), event.correlationid as string];
  }
  return out;
}

describe('correlation', () => {
  it('gives inputs and outputs of one call the same id through the returned context, and each call its own', async () => {
    const rt = makeRuntime();
    const inputs = new Collector({ name: 'model_inputs', runtime: rt });
    const outputs = new Collector({ name: 'model_outputs', runtime: rt });
    const returned: string[] = [];
    for (let i = 0; i < 10; i++) {
      const ctx = inputs.collect([{ x: i }]);
      assert.match(ctx.id, UUID);
      assert.equal(ctx.getId(), ctx.id);
      const same = outputs.collect([{ y: i }], ctx);
      assert.equal(same.id, ctx.id, 'collect() with a context returns that context');
      returned.push(ctx.id);
    }
    await rt.shutdown();
    const ids = idsByCollection(rt.ws);
    assert.deepEqual(ids.model_inputs, returned);
    assert.deepEqual(ids.model_outputs, returned);
    assert.equal(new Set(returned).size, 10);
  });

  it("uses a BasicCorrelationContext's id, and a new UUID for BasicCorrelationContext()", async () => {
    const rt = makeRuntime();
    const inputs = new Collector({ name: 'model_inputs', runtime: rt });
    const outputs = new Collector({ name: 'model_outputs', runtime: rt });
    const ctx = inputs.collect([{ x: 1 }], new BasicCorrelationContext('my-id'));
    assert.equal(ctx.id, 'my-id');
    outputs.collect([{ y: 1 }], ctx);
    const fresh = new BasicCorrelationContext();
    assert.match(fresh.id, UUID);
    inputs.collect([{ x: 2 }], fresh);
    await rt.shutdown();
    assert.deepEqual(idsByCollection(rt.ws), { model_inputs: ['my-id', fresh.id], model_outputs: ['my-id'] });
    assert.throws(() => new BasicCorrelationContext(''), TypeError);
  });

  it('uses the request id inside runWithRequestContext, across awaits and timers', async () => {
    const rt = makeRuntime();
    const inputs = new Collector({ name: 'model_inputs', runtime: rt });
    const outputs = new Collector({ name: 'model_outputs', runtime: rt });
    const handle = (id: string) =>
      runWithRequestContext(new BasicCorrelationContext(id, `x-${id}`), async () => {
        assert.equal(currentCorrelationContext()?.id, id);
        inputs.collect([{ req: id }]);
        await tick();
        await new Promise((r) => setTimeout(r, 5));
        outputs.collect([{ req: id }]);
      });
    // Interleaved requests keep their own ids.
    await Promise.all([handle('req-a'), handle('req-b'), handle('req-c')]);
    assert.equal(currentCorrelationContext(), undefined, 'no context outside the request');
    const outside = inputs.collect([{ req: 'none' }]);
    assert.match(outside.id, UUID);
    await rt.shutdown();
    const events = readEvents(blobstore(rt.ws)).map((l) => l.event);
    for (const e of events) {
      const req = (e.data as { req: string }[])[0]!.req;
      if (req === 'none') {
        assert.equal(e.correlationid, outside.id);
      } else {
        assert.equal(e.correlationid, req);
        assert.equal(e.xrequestid, `x-${req}`);
      }
    }
    assert.equal(events.length, 7);
  });

  it('prefers an explicit context over the request context', async () => {
    const rt = makeRuntime();
    const c = new Collector({ name: 'model_inputs', runtime: rt });
    runWithRequestContext(new BasicCorrelationContext('request-id'), () => {
      assert.equal(c.collect([{ a: 1 }], new BasicCorrelationContext('explicit')).id, 'explicit');
      assert.equal(c.collect([{ a: 2 }]).id, 'request-id');
    });
    await rt.shutdown();
    assert.deepEqual(idsByCollection(rt.ws).model_inputs, ['explicit', 'request-id']);
  });

  it('with onError, returns the context after a failure so the outputs still correlate', async () => {
    const rt = makeRuntime();
    const errors: MdcError[] = [];
    const inputs = new Collector({
      name: 'model_inputs',
      runtime: rt,
      onError: (e) => errors.push(e as MdcError),
    });
    const outputs = new Collector({ name: 'model_outputs', runtime: rt });
    const ctx = inputs.collect('not a table');
    assert.match(ctx.id, UUID);
    outputs.collect([{ y: 1 }], ctx);
    const custom = inputs.collect(42, new BasicCorrelationContext('kept-id'));
    assert.equal(custom.id, 'kept-id');
    assert.deepEqual(
      errors.map((e) => e.code),
      ['MDC_NOT_TABULAR', 'MDC_NOT_TABULAR'],
    );
    await rt.shutdown();
    assert.deepEqual(idsByCollection(rt.ws), { model_outputs: [ctx.id] });
  });

  it('without onError, collect throws the failure', () => {
    const rt = makeRuntime();
    const inputs = new Collector({ name: 'model_inputs', runtime: rt });
    const err = catchMdc(() => inputs.collect('not a table'));
    assert.equal(err.code, 'MDC_NOT_TABULAR');
  });

  it('accepts an id string or any object with getId() as the context', async () => {
    const rt = makeRuntime();
    const c = new Collector({ name: 'model_inputs', runtime: rt });
    assert.equal(c.collect([{ a: 1 }], 'plain-string' as never).id, 'plain-string');
    assert.equal(c.collect([{ a: 2 }], { getId: () => 'from-getid' } as never).id, 'from-getid');
    assert.equal(catchMdc(() => c.collect([{ a: 3 }], 5 as never)).code, 'MDC_INVALID_OPTION');
    await rt.shutdown();
    assert.deepEqual(idsByCollection(rt.ws).model_inputs, ['plain-string', 'from-getid']);
  });
});
