// data_collector.redact on what a Python scoring script's azureml-ai-monitoring Collector posts to mdc sidecar:
// a DataFrame as JSON records (columns and patterns apply) and the compact format, DataFrame.to_string() sent as
// application/octet-stream (patterns apply to its text).
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { readEvents, startCli, tempDir } from './helpers/cli.js';

const DEPLOYMENT = `name: blue
endpoint_name: side-ep
data_collector:
  collections:
    model_inputs: { enabled: true }
  redact:
    - columns: [EMAIL]
      action: hash
    - patterns: [email, iban]
      action: mask
`;

function storedText(dir: string): string {
  let out = '';
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    out += statSync(p).isDirectory() ? storedText(p) : readFileSync(p, 'latin1');
  }
  return out;
}

test('mdc sidecar stores JSON and compact-format posts redacted', async (t) => {
  const dir = await tempDir(t);
  const ws = join(dir, 'ws');
  const file = join(dir, 'deployment.yml');
  await writeFile(file, DEPLOYMENT);
  const cli = await startCli(t, ['sidecar', '-f', file, '--port', '0', '--workspace', ws]);
  const post = (body: string, contentType: string, id: string) =>
    fetch(`${cli.url}/modeldata/log`, {
      method: 'POST',
      body,
      headers: {
        'content-type': contentType,
        'ce-type': 'azureml.inference.model_inputs',
        'ce-x-request-id': id,
        'ce-id': id,
        'ce-source': 'test',
        'ce-specversion': '1.0',
      },
    });
  const json = await post(
    JSON.stringify([{ EMAIL: 'ann@example.com', NOTE: 'pay to DE89370400440532013000', AGE: 41 }]),
    'application/json',
    'j-1',
  );
  assert.ok(json.status < 300, `json: ${json.status} ${await json.text()}`);
  const compact = await post(
    '             EMAIL  AGE\n0  bob@example.com   35\n',
    'application/octet-stream',
    'c-1',
  );
  assert.ok(compact.status < 300, `compact: ${compact.status} ${await compact.text()}`);
  assert.equal(await cli.stop(), 0);

  const stored = storedText(ws);
  for (const secret of ['ann@example.com', 'bob@example.com', 'DE89370400440532013000'])
    assert.ok(!stored.includes(secret), secret);
  const events = new Map(readEvents(ws, 'side-ep', 'blue', 'model_inputs').map((e) => [e.correlationid, e]));
  const [row] = events.get('j-1')!.data as Record<string, unknown>[];
  assert.match(String(row!.EMAIL), /^[0-9a-f]{64}$/);
  assert.equal(row!.NOTE, 'pay to [REDACTED:iban]');
  assert.equal(events.get('c-1')!.datainblob, 'true');
  assert.ok(stored.includes('[REDACTED:email]   35'), 'the compact text is stored with the email masked');
});
