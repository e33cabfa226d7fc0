// Redaction end to end in the SDK: the rules on collect() and on payload events; what lands on disk
// never holds the email, card or account number, and hashed columns still join across collections.
import assert from 'node:assert/strict';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { BasicCorrelationContext, Collector } from '../../src/index.js';
import { REDACTION_KEY_FILE } from '../../src/redact/index.js';
import { blobstore, listFiles, makeRuntime, readEvents } from '../helpers.js';

const RULES = [
  { columns: ['EMAIL', 'PHONE'], action: 'hash' },
  {
    patterns: ['email', 'credit_card', 'iban', 'phone', 'ipv4', 'ACC-[0-9]{8}'],
    action: 'mask',
    collections: ['request', 'response', 'model_inputs'],
  },
];
const yaml = {
  endpoint_name: 'ep',
  name: 'blue',
  data_collector: {
    collections: {
      model_inputs: { enabled: true },
      model_outputs: { enabled: true },
      request: { enabled: true },
    },
    redact: RULES,
  },
};
const SECRETS = ['ann@example.com', '4111 1111 1111 1111', 'ACC-12345678', '415 555 2671', '10.1.2.3'];

/** Every byte the runtime left in the workspace, as text. */
function everything(ws: string): string {
  return listFiles(ws)
    .map((f) => readFileSync(join(ws, f), 'latin1'))
    .join('\n');
}

describe('redaction of collected events', () => {
  it("the issue's example: nothing secret is stored, hashed columns join, counts per rule", async () => {
    const rt = makeRuntime({ yaml });
    const inputs = new Collector({ name: 'model_inputs', runtime: rt });
    const outputs = new Collector({ name: 'model_outputs', runtime: rt });
    const ctx = inputs.collect(
      [
        {
          EMAIL: 'ann@example.com',
          PHONE: '+1 415 555 2671',
          AGE: 41,
          NOTE: 'card 4111 1111 1111 1111, account ACC-12345678, from 10.1.2.3',
        },
      ],
      new BasicCorrelationContext('req-1'),
    );
    outputs.collect([{ EMAIL: 'ann@example.com', score: 0.25 }], ctx);
    rt.collection('request').emit({
      correlation: ctx,
      json: JSON.stringify({ text: 'Hi, I am ann@example.com, call +1 415 555 2671' }),
      path: '/score',
      method: 'POST',
    });
    await rt.shutdown();

    const stored = everything(rt.ws);
    for (const s of SECRETS) assert.ok(!stored.includes(s), `${s} is stored`);
    const events = readEvents(blobstore(rt.ws));
    const byType = new Map(events.map((e) => [String(e.event.type).split('.').at(-1), e.event]));
    const [input] = byType.get('model_inputs')!.data as Record<string, unknown>[];
    const [output] = byType.get('model_outputs')!.data as Record<string, unknown>[];
    assert.match(String(input!.EMAIL), /^[0-9a-f]{64}$/);
    assert.equal(input!.EMAIL, output!.EMAIL, 'the hashed email joins inputs with outputs');
    assert.equal(input!.AGE, 41);
    assert.equal(input!.NOTE, 'card [REDACTED:credit_card], account [REDACTED], from [REDACTED:ipv4]');
    assert.deepEqual(byType.get('request')!.data, {
      text: 'Hi, I am [REDACTED:email], call [REDACTED:phone]',
    });
    const counts = (name: string) => Object.fromEntries(rt.collection(name).redactor?.counts ?? []);
    assert.deepEqual(counts('model_inputs'), { 'redact[0]': 2, 'redact[1]': 3 });
    assert.deepEqual(counts('model_outputs'), { 'redact[0]': 1 });
    assert.deepEqual(counts('request'), { 'redact[0]': 0, 'redact[1]': 2 });
    // The key stays in the workspace, readable by its owner only, and is the same for the next runtime.
    const keyFile = join(rt.ws, REDACTION_KEY_FILE);
    assert.equal(statSync(keyFile).mode & 0o777, 0o600);
    const again = makeRuntime({ yaml, workspace: rt.ws, instanceId: 'second' });
    new Collector({ name: 'model_outputs', runtime: again }).collect([{ EMAIL: 'ann@example.com' }]);
    await again.shutdown();
    const second = readEvents(blobstore(rt.ws)).find((e) => e.file.includes('second'))!;
    assert.equal((second.event.data as Record<string, unknown>[])[0]!.EMAIL, output!.EMAIL);
  });

  it('merged events (mergeWindowMs) are redacted too', async () => {
    const rt = makeRuntime({ yaml, mergeWindowMs: 60_000 });
    const inputs = new Collector({ name: 'model_inputs', runtime: rt });
    for (let i = 0; i < 3; i++) inputs.collect([{ EMAIL: `u${i}@example.com`, NOTE: `u${i}@example.com` }]);
    await rt.shutdown();
    const stored = everything(rt.ws);
    assert.ok(!stored.includes('@example.com'));
    const events = readEvents(blobstore(rt.ws));
    assert.equal(events.length, 1);
    assert.equal((events[0]!.event.data as unknown[]).length, 3);
  });

  it('a collection no rule names pays nothing: it has no redactor', () => {
    const rt = makeRuntime({
      yaml: {
        ...yaml,
        data_collector: {
          ...yaml.data_collector,
          redact: [{ patterns: ['email'], action: 'drop', collections: ['request'] }],
        },
      },
    });
    assert.equal(rt.collection('model_inputs').redactor, undefined);
    assert.ok(rt.collection('request').redactor);
  });
});
