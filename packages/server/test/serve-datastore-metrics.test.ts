// mdc serve writing to an Azure Blob datastore (Azurite): a storage that refuses the credentials must not stop
// scoring, and /metrics must show it; with good credentials the same series count what was delivered.
import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { type Azurite, startAzurite } from '@model-data-collector/test-support/emulators';
import { stringify } from 'yaml';
import { startCli, tempDir } from './helpers/cli.js';

const SCORE_JS = `
import { Collector } from 'model-data-collector';
let inputs;
export function init() { inputs = new Collector({ name: 'model_inputs' }); }
export function run(data) { inputs.collect(data.rows); return { n: data.rows.length }; }
`;

let az: Azurite;
before(async () => {
  az = await startAzurite();
});
after(async () => {
  await az.stop();
});

async function serveAgainst(t: Parameters<typeof tempDir>[0], connectionString: string, container: string) {
  await az.createContainer(container);
  const dir = await tempDir(t);
  const ws = join(dir, 'ws');
  await mkdir(ws);
  await mkdir(join(dir, 'code'));
  await writeFile(join(dir, 'code/score.mjs'), SCORE_JS);
  await writeFile(
    join(ws, 'workspace.yml'),
    stringify({
      datastores: {
        workspaceblobstore: {
          type: 'azure_blob',
          container,
          connection_string: connectionString,
          upload_interval_ms: 200,
        },
      },
    }),
  );
  await writeFile(
    join(dir, 'deployment.yml'),
    stringify({
      name: 'blue',
      endpoint_name: 'cloud-ep',
      code_configuration: { code: './code', scoring_script: 'score.mjs' },
      data_collector: { collections: { model_inputs: { enabled: 'True' } } },
    }),
  );
  const cli = await startCli(t, [
    'serve',
    '-f',
    join(dir, 'deployment.yml'),
    '--port',
    '0',
    '--workspace',
    ws,
  ]);
  return cli;
}

async function score(url: string, n: number) {
  for (let i = 0; i < n; i++) {
    const res = await fetch(`${url}/score`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ rows: [{ x: i }] }),
    });
    assert.equal(res.status, 200, 'scoring continues whatever the datastore does');
    await res.arrayBuffer();
  }
}

/** The value of one series on /metrics, polled until `ok` holds or the deadline passes. */
async function metricUntil(url: string, series: string, ok: (v: number) => boolean, deadlineMs = 30_000) {
  const end = Date.now() + deadlineMs;
  let last = Number.NaN;
  while (Date.now() < end) {
    const text = await (await fetch(`${url}/metrics`)).text();
    const line = text.split('\n').find((l) => l.startsWith(`${series} `));
    last = line ? Number(line.slice(series.length + 1)) : Number.NaN;
    if (ok(last)) return last;
    await new Promise((r) => setTimeout(r, 200));
  }
  assert.fail(`${series} stayed at ${last}`);
}

test('wrong credentials: scoring goes on, /metrics shows the datastore down with failures counted', async (t) => {
  const bad = az.connectionString.replace(/AccountKey=[^;]+/, 'AccountKey=d3Jvbmc=');
  const cli = await serveAgainst(t, bad, 'badcreds');
  await score(cli.url, 5);
  const ds = '{datastore="workspaceblobstore"}';
  await metricUntil(cli.url, `mdc_datastore_up${ds}`, (v) => v === 0);
  await metricUntil(cli.url, `mdc_datastore_upload_failures_total${ds}`, (v) => v > 0);
  assert.equal(await metricUntil(cli.url, `mdc_datastore_events_delivered_total${ds}`, (v) => v === 0), 0);
  await metricUntil(cli.url, `mdc_datastore_pending_bytes${ds}`, (v) => v > 0);
  assert.doesNotMatch(cli.stdout() + cli.stderr(), /AccountKey=d3Jvbmc=/, 'the secret is never printed');
  assert.equal(await cli.stop('SIGKILL'), null);
});

test('good credentials: /metrics counts the delivered events and the datastore is up', async (t) => {
  const cli = await serveAgainst(t, az.connectionString, 'goodcreds');
  await score(cli.url, 7);
  const ds = '{datastore="workspaceblobstore"}';
  assert.equal(await metricUntil(cli.url, `mdc_datastore_events_delivered_total${ds}`, (v) => v === 7), 7);
  assert.equal(await metricUntil(cli.url, `mdc_datastore_up${ds}`, (v) => v === 1), 1);
  assert.equal(await cli.stop(), 0);
});
