// sampling_rate: decided per correlation id, so a request's inputs and outputs are kept or dropped together.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BasicCorrelationContext, Collector, isSampled } from '../src/internal.js';
import { blobstore, makeRuntime, readEvents } from './helpers.js';

const N = 20_000;

/** A small seeded PRNG (mulberry32), so the "random" ids are the same on every run: no flaky bound. */
function prng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function uuidLike(rand: () => number): string {
  const hex = (n: number) => Array.from({ length: n }, () => Math.floor(rand() * 16).toString(16)).join('');
  return `${hex(8)}-${hex(4)}-4${hex(3)}-${'89ab'[Math.floor(rand() * 4)]}${hex(3)}-${hex(12)}`;
}

const yamlAt = (rate: number) => ({
  endpoint_name: 'ep',
  name: 'blue',
  data_collector: {
    sampling_rate: rate,
    collections: { model_inputs: { enabled: 'True' }, model_outputs: { enabled: 'True' } },
  },
});

/** Collects inputs and outputs for each id; returns what is on disk and the stats. */
async function run(rate: number, ids: string[]) {
  const rt = makeRuntime({ yaml: yamlAt(rate) });
  const inputs = new Collector({ name: 'model_inputs', runtime: rt });
  const outputs = new Collector({ name: 'model_outputs', runtime: rt });
  for (const id of ids) {
    const ctx = inputs.collect([{ id }], new BasicCorrelationContext(id));
    outputs.collect([{ id }], ctx);
  }
  await rt.shutdown();
  const kept: Record<string, Set<string>> = { model_inputs: new Set(), model_outputs: new Set() };
  for (const { event } of readEvents(blobstore(rt.ws))) {
    kept[(event.type as string).replace('azureml.inference.', '')]!.add(event.correlationid as string);
  }
  return { kept, stats: rt.stats().collections };
}

describe('sampling', () => {
  const idSets: [string, string[]][] = [
    ['sequential ids', Array.from({ length: N }, (_, i) => `request-${i}`)],
    [
      'UUIDs',
      (() => {
        const rand = prng(42);
        return Array.from({ length: N }, () => uuidLike(rand));
      })(),
    ],
  ];
  for (const [what, ids] of idSets) {
    it(`keeps 0.3 ± 0.015 of ${N} ${what}, inputs and outputs of one id together`, async () => {
      const { kept, stats } = await run(0.3, ids);
      const fraction = kept.model_inputs!.size / N;
      assert.ok(Math.abs(fraction - 0.3) <= 0.015, `kept fraction ${fraction}`);
      assert.deepEqual([...kept.model_outputs!].sort(), [...kept.model_inputs!].sort(), 'paired');
      for (const name of ['model_inputs', 'model_outputs']) {
        assert.equal(stats[name]!.collected, kept.model_inputs!.size);
        assert.equal(stats[name]!.sampledOut, N - kept.model_inputs!.size, `${name} sampledOut`);
        assert.equal(stats[name]!.written, kept.model_inputs!.size);
      }
      // The decision is a function of the id alone: the same in every process and every collection.
      for (const id of ids.slice(0, 500)) assert.equal(kept.model_inputs!.has(id), isSampled(id, 0.3));
    });
  }

  it('spreads over the whole range: each tenth of [0, 1) gets its share', () => {
    const rand = prng(7);
    const ids = Array.from({ length: N }, () => uuidLike(rand));
    for (const rate of [0.1, 0.5, 0.9]) {
      const fraction = ids.filter((id) => isSampled(id, rate)).length / N;
      assert.ok(Math.abs(fraction - rate) <= 0.015, `rate ${rate}: kept ${fraction}`);
    }
  });

  it('keeps nothing at 0 and everything at 1, exactly', async () => {
    const ids = Array.from({ length: 2000 }, (_, i) => `id-${i}`);
    const none = await run(0, ids);
    assert.equal(none.kept.model_inputs!.size, 0);
    assert.equal(none.kept.model_outputs!.size, 0);
    assert.equal(none.stats.model_inputs!.sampledOut, 2000);
    const all = await run(1, ids);
    assert.equal(all.kept.model_inputs!.size, 2000);
    assert.equal(all.kept.model_outputs!.size, 2000);
    assert.equal(all.stats.model_inputs!.sampledOut, 0);
  });

  it('takes the rate from the samplingRate option over the YAML', async () => {
    const rt = makeRuntime({ yaml: yamlAt(1), samplingRate: 0 });
    const c = new Collector({ name: 'model_inputs', runtime: rt });
    for (let i = 0; i < 100; i++) c.collect([{ i }]);
    await rt.shutdown();
    assert.equal(readEvents(blobstore(rt.ws)).length, 0);
    assert.equal(c.stats().sampledOut, 100);
  });
});
