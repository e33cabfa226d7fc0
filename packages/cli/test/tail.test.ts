// The user path: `mdc datastore create events --type nats …`, one line of YAML, `mdc serve`, and
// `mdc tail model_inputs -f --datastore events` shows requests live while the files keep filling; `mdc tail` of the
// files follows the newest file; `mdc ls`/`mdc read` of a stream say it is a stream.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type NatsServer, startNatsServer } from '@model-data-collector/test-support/nats-server';
import { makeWorkspace } from '@model-data-collector/test-support/workspace';
import { BasicCorrelationContext, Collector } from 'model-data-collector/internal';
import { creditRuntime, mdc, ROOT, scoreCredit, startMdc, tempDir } from './helpers.js';

const ENV = { MDC_UPLOAD_INTERVAL_MS: '100', MDC_SPOOL_FSYNC: '0', MDC_FLUSH_INTERVAL_MS: '100' };

function run(args: string[], cwd: string) {
  return startMdc(args, cwd, ENV);
}

describe('mdc tail', () => {
  let nats: NatsServer;
  before(async () => {
    nats = await startNatsServer();
  });
  after(async () => {
    await nats?.stop();
  });

  it('datastore create --type nats, one line of YAML, mdc serve: mdc tail -f shows requests live from the stream and the files', async () => {
    const dir = tempDir();
    const ws = join(dir, 'ws');
    const create = mdc([
      '--workspace',
      ws,
      'datastore',
      'create',
      'events',
      '--type',
      'nats',
      '--url',
      nats.url,
      '--stream',
      'EVENTS',
    ]);
    assert.equal(create.code, 0, create.stderr);
    assert.match(create.stdout, /created stream EVENTS/);
    const show = mdc(['--workspace', ws, 'datastore', 'show', 'events', '--check']);
    assert.equal(show.code, 0, show.stderr + show.stdout);
    assert.match(show.stdout, /check: ok/);
    writeFileSync(
      join(dir, 'deployment.yml'),
      `name: blue\nendpoint_name: credit\nmodel:\n  path: ${join(ROOT, 'models/credit-default/model.onnx')}\n` +
        'data_collector:\n  destinations: [azureml://datastores/events/paths/]\n' +
        "  collections:\n    model_inputs: {enabled: 'True'}\n",
    );
    const serve = run(['serve', '-f', 'deployment.yml', '--port', '0', '--workspace', ws], dir);
    const stream = run(
      ['tail', 'model_inputs', '-f', '--datastore', 'events', '--format', 'jsonl', '--workspace', ws],
      dir,
    );
    let files: ReturnType<typeof run> | undefined;
    try {
      const url = (await serve.waitFor(/ready at (http:\/\/[^\s/]+)/, 60_000))[1]!;
      await scoreCredit(url, 'live-1');
      await stream.waitFor(/"correlationid":"live-1"/);
      files = run(['tail', 'model_inputs', '-f', '--workspace', ws], dir);
      await files.waitFor(/live-1/);
      await scoreCredit(url, 'live-2');
      await stream.waitFor(/"correlationid":"live-2"/);
      await files.waitFor(/live-2/);
      const lines = stream.out.split('\n').filter(Boolean);
      assert.equal(lines.length, 2, stream.out);
      assert.equal(JSON.parse(lines[0]!).type, 'azureml.inference.model_inputs');
      assert.match(files.out, /^TIME\s+CORRELATIONID\s+DATA/);
      // /metrics: the destination's counters and its spool, by datastore.
      const metrics = await (await fetch(`${url}/metrics`)).text();
      assert.match(
        metrics,
        /mdc_destination_events_written_total\{collection="model_inputs",destination="azureml:\/\/datastores\/events\/paths\/credit\/blue\/model_inputs",datastore="events"\} 2/,
      );
      assert.match(metrics, /mdc_datastore_events_delivered_total\{datastore="events"\} 2/);
      assert.match(metrics, /mdc_datastore_up\{datastore="events"\} 1/);
      for (const series of ['events_dropped_total', 'lag_events', 'lag_bytes', 'write_retries_total'])
        assert.match(
          metrics,
          new RegExp(`mdc_destination_${series}\\{collection="model_inputs",[^}]*datastore="events"\\} 0\n`),
        );
      assert.match(
        metrics,
        /mdc_destination_spool_bytes\{collection="model_inputs",[^}]*datastore="events"\} \d+/,
      );
    } finally {
      stream.child.kill('SIGINT');
      files?.child.kill('SIGINT');
      serve.child.kill('SIGTERM');
      assert.equal(await stream.exited, 0);
      await serve.exited;
    }
    // Without -f: what the stream holds, then the command ends; --lines 1 keeps the last.
    const last = mdc(['--workspace', ws, 'tail', 'model_inputs', '--datastore', 'events', '-n', '1']);
    assert.equal(last.code, 0, last.stderr);
    assert.match(last.stdout, /live-2/);
    assert.doesNotMatch(last.stdout, /live-1/);
    const read = mdc(['--workspace', ws, 'read', 'model_inputs', '--format', 'jsonl']);
    assert.equal(read.code, 0, read.stderr);
    assert.match(read.stdout, /"correlationid":"live-1"/);
    assert.match(read.stdout, /"correlationid":"live-2"/);
    const ls = mdc(['--workspace', ws, 'ls', 'azureml://datastores/events/paths/']);
    assert.notEqual(ls.code, 0);
    assert.match(ls.stderr, /is a NATS JetStream stream.*mdc tail/);
  });

  it('follows a collection whose data.path is a folder of its own (found through its data asset)', async () => {
    const ws = makeWorkspace({});
    const runtime = creditRuntime(ws, {
      collections: {
        model_inputs: {
          enabled: 'True',
          data: { name: 'inputs-asset', path: 'azureml://datastores/workspaceblobstore/paths/custom/inputs' },
        },
      },
    });
    const inputs = new Collector({ name: 'model_inputs', runtime });
    for (const id of ['c-1', 'c-2', 'c-3']) inputs.collect([{ id }], new BasicCorrelationContext(id));
    await runtime.shutdown();
    const r = mdc(['--workspace', ws, 'tail', 'model_inputs', '-n', '2', '--format', 'jsonl']);
    assert.equal(r.code, 0, r.stderr);
    const ids = r.stdout
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l).correlationid);
    assert.deepEqual(ids, ['c-2', 'c-3']);
    // A collection nothing was collected for says so.
    const none = mdc(['--workspace', ws, 'tail', 'model_outputs']);
    assert.notEqual(none.code, 0);
    assert.match(none.stderr, /MDC_PATH_NOT_FOUND|MDC_UNKNOWN/);
  });

  it('refuses a NATS datastore as data.path, naming what to do', () => {
    const dir = tempDir();
    const ws = join(dir, 'ws');
    writeFileSync(
      join(dir, 'deployment.yml'),
      'name: blue\nendpoint_name: credit\ncode_configuration: {code: ., scoring_script: score.mjs}\ndata_collector:\n  collections:\n    model_inputs:\n      enabled: true\n      data: {path: azureml://datastores/events/paths/x}\n',
    );
    writeFileSync(
      join(dir, 'score.mjs'),
      'export function init() {}\nexport function run(d) { return d; }\n',
    );
    const create = mdc([
      '--workspace',
      ws,
      'datastore',
      'create',
      'events',
      '--type',
      'nats',
      '--url',
      nats.url,
      '--stream',
      'REFUSE',
      '--subject-prefix',
      'refuse',
    ]);
    assert.equal(create.code, 0, create.stderr);
    const s = mdc(['--workspace', ws, 'serve', '-f', join(dir, 'deployment.yml'), '--port', '0']);
    assert.notEqual(s.code, 0, s.stdout);
    assert.match(s.stderr, /NATS stream: list it under destinations/);
  });
});
