// The fault suite's SIGKILL part: mdc serve with a cloud datastore (Azurite) under load is killed with SIGKILL at a
// random moment, and started again on the same workspace and instance id, MDC_KILL_ROUNDS times (5 in npm test,
// 20 in npm run bench -- faults). What must hold: a reader never sees a torn line in the datastore, every event the
// spool had on disk at a kill is delivered, nothing is stored twice, and nothing is stored that was not sent.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { startAzurite } from '@model-data-collector/test-support/emulators';
import { azureLines } from '@model-data-collector/test-support/stored-lines';
import { makeWorkspace } from '@model-data-collector/test-support/workspace';
import { filesUnder, startCli, tempDir } from './helpers/cli.js';
import { fuzzSeed, Prng } from './helpers/fuzz.js';

const ROUNDS = Number(process.env.MDC_KILL_ROUNDS || 5);
const SEED = fuzzSeed();

/** Correlation ids of the whole event lines in the spool's .jsonl files (what the spool had accepted). */
function spooled(dir: string): string[] {
  const ids: string[] = [];
  for (const p of filesUnder(dir)) {
    if (!p.includes('.jsonl')) continue;
    const text = readFileSync(p, 'utf8');
    for (const line of text.slice(0, text.lastIndexOf('\n') + 1).split('\n')) {
      if (line !== '') ids.push((JSON.parse(line) as { correlationid: string }).correlationid);
    }
  }
  return ids;
}

test(`SIGKILL under load ${ROUNDS} times: no torn line, the spool delivers what it held, nothing twice`, async (t) => {
  const az = await startAzurite();
  t.after(() => az.stop());
  await az.createContainer('data');
  const ws = makeWorkspace({
    workspaceblobstore: {
      type: 'azure_blob',
      container: 'data',
      connection_string: az.connectionString,
      upload_interval_ms: 200,
    },
  });
  const dir = await tempDir(t, 'mdc-sigkill-');
  await mkdir(join(dir, 'src'));
  await writeFile(
    join(dir, 'src/score.mjs'),
    `import { Collector } from 'model-data-collector';
const inputs = new Collector({ name: 'model_inputs' });
export function init() {}
export function run(data) { inputs.collect(data.rows); return { n: data.rows.length }; }
`,
  );
  await writeFile(
    join(dir, 'd.yml'),
    "name: blue\nendpoint_name: killed\ncode_configuration: {code: src, scoring_script: score.mjs}\ndata_collector:\n  collections:\n    model_inputs: {enabled: 'True'}\n",
  );
  const args = ['serve', '-f', join(dir, 'd.yml'), '--port', '0', '--workspace', ws, '--log-level', 'error'];
  const env = { MDC_INSTANCE_ID: 'killed-1' };
  const r = new Prng(SEED);
  const answered = new Set<string>();
  const mustArrive = new Set<string>();
  let sent = 0;
  for (let round = 0; round < ROUNDS; round++) {
    const cli = await startCli(t, args, { env });
    let stop = false;
    const loop = async (w: number) => {
      for (let n = 0; !stop; n++) {
        const id = `r${round}-w${w}-${n}`;
        sent++;
        try {
          const res = await fetch(`${cli.url}/score`, {
            method: 'POST',
            body: JSON.stringify({ rows: [{ id, pad: 'x'.repeat(200 + ((n * 37) % 800)) }] }),
            headers: { 'content-type': 'application/json', 'x-request-id': id },
          });
          await res.arrayBuffer();
          if (res.status === 200) answered.add(id);
        } catch {
          return; // killed
        }
      }
    };
    const loops = [0, 1, 2, 3].map(loop);
    await new Promise((res) => setTimeout(res, 300 + r.int(1500)));
    cli.child.kill('SIGKILL');
    await cli.exited;
    stop = true;
    await Promise.all(loops);
    for (const id of spooled(join(ws, 'spool'))) mustArrive.add(id);
    // A reader of the datastore right after a kill sees whole lines only.
    for (const [name, lines] of await azureLines(az.service, 'data')) {
      for (const line of lines)
        assert.doesNotThrow(() => JSON.parse(line), `round ${round}: torn line in ${name}`);
    }
  }
  // A last, clean run delivers what the spool holds, then stops with SIGTERM.
  const last = await startCli(t, args, { env });
  await new Promise((res) => setTimeout(res, 1500));
  assert.equal(await last.stop(), 0, last.stderr());
  const stored: string[] = [];
  const eventIds = new Set<string>();
  let lines = 0;
  for (const [name, blobLines] of await azureLines(az.service, 'data')) {
    for (const line of blobLines) {
      lines++;
      const e = JSON.parse(line) as { id: string; correlationid: string };
      assert.ok(!eventIds.has(e.id), `event ${e.id} stored twice (${name})`);
      eventIds.add(e.id);
      stored.push(e.correlationid);
    }
  }
  const storedSet = new Set(stored);
  assert.equal(storedSet.size, stored.length, 'no request stored twice');
  const phantom = stored.filter((id) => !id.startsWith('r'));
  assert.deepEqual(phantom, [], 'nothing stored that was not sent');
  const missing = [...mustArrive].filter((id) => !storedSet.has(id));
  assert.deepEqual(missing, [], `seed ${SEED}: events the spool held at a kill were not delivered`);
  const answeredLost = [...answered].filter((id) => !storedSet.has(id)).length;
  t.diagnostic(
    `SIGKILL × ${ROUNDS} (seed ${SEED}): ${sent} requests sent, ${answered.size} answered 200, ${mustArrive.size} found in the spool at kills, ${storedSet.size} stored (${lines} lines, all whole), ${missing.length} of the spooled ones missing, ${answeredLost} answered but not yet spooled when killed`,
  );
});
