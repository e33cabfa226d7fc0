// `mdc demo` (what `npm start` runs) run more than once on one workspace, as a new user does.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { mdc, tempDir } from './helpers.js';

interface Event {
  type: string;
  correlationid: string;
  data: unknown[];
}

function events(ws: string, collection: string): Event[] {
  const dir = join(ws, 'datastores/workspaceblobstore/modelDataCollector/credit-default/blue', collection);
  const files: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      if (e.isDirectory()) walk(join(d, e.name));
      else if (e.name.endsWith('.jsonl')) files.push(join(d, e.name));
    }
  };
  walk(dir);
  return files.flatMap((f) =>
    readFileSync(f, 'utf8')
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l) as Event),
  );
}

/** The run id, the request it printed and the JSON lines printed under "The four events of request …". */
function printed(stdout: string): { run: string; id: string; events: Event[] } {
  const run =
    /^Run ([0-9a-f]+): requests demo-\1-0 … demo-\1-\d+, rows drawn from .*train\.csv with AGE \+ 10 years \(drift on purpose\)$/m.exec(
      stdout,
    );
  assert.ok(run, stdout);
  const head = /^The four events of request (\S+) \(run ([0-9a-f]+)\), joined on correlationid:$/m.exec(
    stdout,
  );
  assert.ok(head, stdout);
  assert.equal(head[2], run[1]);
  const after = stdout
    .slice(head.index + head[0].length)
    .split('\n')
    .slice(1);
  const json = after.slice(
    0,
    after.findIndex((l) => !l.startsWith('{')),
  );
  return { run: run[1]!, id: head[1]!, events: json.map((l) => JSON.parse(l) as Event) };
}

describe('mdc demo run again on the same workspace', () => {
  it('gives every run its own correlation ids: joins stay one row per input row, one request shows four events', () => {
    const ws = tempDir('mdc-demo-');
    const runs = [1, 2].map(() => {
      const r = mdc(['demo', '--requests', '40', '--workspace', ws]);
      assert.equal(r.code, 0, r.stderr);
      return printed(r.stdout);
    });
    assert.equal(new Set(runs.map((r) => r.run)).size, 2, 'a new run id each run');
    for (const r of runs) {
      assert.equal(r.id, `demo-${r.run}-39`);
      assert.deepEqual(
        r.events.map((e) => e.type),
        ['request', 'model_inputs', 'model_outputs', 'response'].map((c) => `azureml.inference.${c}`),
      );
      assert.ok(r.events.every((e) => e.correlationid === r.id));
    }

    const inputs = events(ws, 'model_inputs');
    assert.equal(inputs.length, 80);
    assert.equal(new Set(inputs.map((e) => e.correlationid)).size, 80, 'no correlation id repeats');
    const rows = inputs.reduce((n, e) => n + e.data.length, 0);
    const join = mdc(['join', '--format', 'jsonl', '--workspace', ws]);
    assert.equal(join.code, 0, join.stderr);
    assert.equal(join.stdout.trimEnd().split('\n').length, rows, 'one joined row per input row');
    assert.match(
      join.stderr,
      new RegExp(`join: ${rows} rows matched; 0 input rows without output; 0 output rows without input`),
    );

    // the ground truth the demo logs: one row per scored row, under the request's correlation id
    const truth = events(ws, 'ground_truth');
    assert.equal(truth.length, 80);
    const byId = new Map(inputs.map((e) => [e.correlationid, e.data.length]));
    for (const t of truth) assert.equal(t.data.length, byId.get(t.correlationid), t.correlationid);
  });
});
