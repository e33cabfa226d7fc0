// mdc forget and mdc retention apply reach the copies destinations made: a local copy's files are rewritten
// without the forgotten events and its expired partitions deleted like data.path's; a NATS stream's messages of
// the forgotten events are deleted by sequence, and retention says a stream keeps what its max_age keeps.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type NatsServer, startNatsServer } from '@model-data-collector/test-support/nats-server';
import { makeWorkspace } from '@model-data-collector/test-support/workspace';
import { BasicCorrelationContext, Collector } from 'model-data-collector/internal';
import { creditRuntime, mdc, tempDir } from './helpers.js';

const ENV = { MDC_UPLOAD_INTERVAL_MS: '100', MDC_SPOOL_FSYNC: '0' };
Object.assign(process.env, ENV);

const DAY = 86_400_000;
const FORGET = 'forget-copy-5b1e';

/** Every `.jsonl` line under a folder, by path relative to it. */
function linesUnder(dir: string, base = dir, out = new Map<string, string[]>()): Map<string, string[]> {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) linesUnder(p, base, out);
    else if (name.endsWith('.jsonl'))
      out.set(p.slice(base.length + 1), readFileSync(p, 'utf8').split('\n').filter(Boolean));
  }
  return out;
}

async function collectAt(ws: string, ms: number, instanceId: string, ids: string[]): Promise<void> {
  const runtime = creditRuntime(
    ws,
    {
      destinations: ['azureml://datastores/copies/paths/fleet', 'azureml://datastores/events/paths/'],
      collections: { model_inputs: { enabled: 'True' } },
    },
    { clock: () => ms, instanceId },
  );
  const inputs = new Collector({ name: 'model_inputs', runtime });
  for (const id of ids) inputs.collect([{ who: id }], new BasicCorrelationContext(id));
  await runtime.shutdown();
}

describe('forget and retention on destination copies', () => {
  let nats: NatsServer;
  before(async () => {
    nats = await startNatsServer();
  });
  after(async () => {
    await nats?.stop();
  });

  it('forget rewrites a local copy and deletes the stream messages; retention deletes the copy partitions and names the stream limit', async () => {
    const copyDir = tempDir('mdc-copies-');
    const ws = makeWorkspace({ copies: { type: 'local', path: copyDir } });
    const create = mdc(
      ['datastore', 'create', 'events', '--type', 'nats', '--url', nats.url, '--stream', 'COPIES'],
      { env: { MDC_WORKSPACE: ws } },
    );
    assert.equal(create.code, 0, create.stderr);
    const now = Date.now();
    await collectAt(ws, now - 40 * DAY, 'old', ['keep-1', FORGET]);
    await collectAt(ws, now, 'new', [FORGET, 'keep-2', 'keep-3']);
    const stream = () => {
      const r = mdc([
        '--workspace',
        ws,
        'tail',
        'model_inputs',
        '--datastore',
        'events',
        '-n',
        '100',
        '--format',
        'jsonl',
      ]);
      assert.equal(r.code, 0, r.stderr);
      return r.stdout
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l).correlationid as string);
    };
    assert.deepEqual(stream().sort(), ['keep-1', FORGET, FORGET, 'keep-2', 'keep-3'].sort());
    const copyIds = () => [...linesUnder(copyDir).values()].flat().map((l) => JSON.parse(l).correlationid);
    assert.equal(copyIds().filter((id) => id === FORGET).length, 2);

    const forget = mdc(['--workspace', ws, 'forget', '--correlation-id', FORGET]);
    assert.equal(forget.code, 0, forget.stderr + forget.stdout);
    assert.match(
      forget.stdout,
      /azureml:\/\/datastores\/copies\/paths\/fleet\/credit\/blue\/model_inputs\/.*: 1 event\(s\) removed/,
    );
    assert.match(forget.stdout, /\/COPIES \(NATS stream, datastore events\): 2 message\(s\) deleted of 5/);
    // Gone from data.path, the local copy and the stream; everything else kept.
    assert.deepEqual(copyIds().sort(), ['keep-1', 'keep-2', 'keep-3']);
    assert.deepEqual(stream().sort(), ['keep-1', 'keep-2', 'keep-3']);
    const read = mdc(['--workspace', ws, 'read', 'model_inputs', '--format', 'jsonl']);
    assert.doesNotMatch(read.stdout, new RegExp(FORGET));
    const audit = readFileSync(join(ws, 'audit.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    assert.ok(
      audit.at(-1).files.some((f: string) => f.includes('/COPIES: 2 message(s)')),
      JSON.stringify(audit.at(-1)),
    );

    const retention = mdc(['--workspace', ws, 'retention', 'apply', '--days', '30']);
    assert.equal(retention.code, 0, retention.stderr);
    const old = new Date(now - 40 * DAY).toISOString();
    const oldDay = `${old.slice(0, 4)}/${old.slice(5, 7)}/${old.slice(8, 10)}`;
    assert.match(
      retention.stdout,
      new RegExp(`datastores/copies/paths/fleet/credit/blue/model_inputs/${oldDay.slice(0, 4)}`),
    );
    assert.match(
      retention.stdout,
      /not deleted: a NATS JetStream stream keeps messages for its max_age.*nats stream edit COPIES --max-age/,
    );
    // The copy's old partition is gone, the new one kept (as in data.path).
    assert.deepEqual(copyIds().sort(), ['keep-2', 'keep-3']);
    assert.ok([...linesUnder(copyDir).keys()].every((p) => !p.includes(oldDay)));
    const readAfter = mdc(['--workspace', ws, 'read', 'model_inputs', '--format', 'jsonl']);
    assert.doesNotMatch(readAfter.stdout, /keep-1/);
  });
});
