// data_collector.redact through mdc serve, as the example: an email sent in a request never reaches
// any stored byte (request, response, model_inputs), hashed columns still join inputs with outputs, and
// /metrics counts the redactions per rule.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { readEvents, runCli, startCli, tempDir } from './helpers/cli.js';

const SCORE_JS = `
import { Collector } from 'model-data-collector';
let inputs, outputs;
export function init() {
  inputs = new Collector({ name: 'model_inputs' });
  outputs = new Collector({ name: 'model_outputs' });
}
export function run(data) {
  inputs.collect(data.rows);
  outputs.collect(data.rows.map((r) => ({ EMAIL: r.EMAIL, score: 0.5 })));
  return data.rows.map((r) => ({ EMAIL: r.EMAIL, score: 0.5, echo: 'scored ' + r.EMAIL }));
}
`;

const DEPLOYMENT = `
name: blue
endpoint_name: redact-ep
code_configuration:
  code: ./code
  scoring_script: score.js
data_collector:
  collections:
    model_inputs: { enabled: true }
    model_outputs: { enabled: true }
    request: { enabled: true }
    response: { enabled: true }
  redact:
    - columns: [EMAIL, PHONE]
      action: hash
    - name: pii
      patterns: [email, credit_card, iban, phone, ipv4, "ACC-[0-9]{8}"]
      action: mask
      collections: [request, response, model_inputs]
`;

const EMAIL = 'ann.lee@example.com';
const SECRETS = [
  EMAIL,
  'ann.lee%40example.com',
  '4111 1111 1111 1111',
  'ACC-12345678',
  'DE89370400440532013000',
];

function allBytes(dir: string): { file: string; text: string }[] {
  const out: { file: string; text: string }[] = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...allBytes(p));
    else out.push({ file: p, text: readFileSync(p, 'latin1') });
  }
  return out;
}

test("the issue's redact example through mdc serve: nothing secret is stored, hashes join, metrics count", async (t) => {
  const dir = await tempDir(t);
  const ws = join(dir, 'ws');
  await mkdir(join(dir, 'code'));
  await writeFile(join(dir, 'code/score.js'), SCORE_JS);
  await writeFile(join(dir, 'deployment.yml'), DEPLOYMENT);
  const cli = await startCli(t, [
    'serve',
    '-f',
    join(dir, 'deployment.yml'),
    '--port',
    '0',
    '--workspace',
    ws,
  ]);
  const body = JSON.stringify({
    rows: [
      {
        EMAIL,
        PHONE: '+49 30 1234567',
        AGE: 41,
        NOTE: 'card 4111 1111 1111 1111, iban DE89370400440532013000, account ACC-12345678',
      },
    ],
    contact: `write to ${EMAIL}`,
  });
  const res = await fetch(`${cli.url}/score`, {
    method: 'POST',
    body,
    headers: { 'content-type': 'application/json', 'x-request-id': 'r-1' },
  });
  assert.equal(res.status, 200);
  // The client still gets the model's answer unredacted: redaction is about what is stored.
  assert.ok((await res.text()).includes(EMAIL));
  const text = await fetch(`${cli.url}/score`, {
    method: 'POST',
    body: `mail ${EMAIL}`,
    headers: { 'content-type': 'text/plain', 'x-request-id': 'r-2' },
  });
  assert.equal(text.status, 500); // run() cannot take text; the request is still collected
  const metrics = await (await fetch(`${cli.url}/metrics`)).text();
  assert.match(metrics, /^mdc_redactions_total\{collection="request",rule="pii"\} 5$/m);
  assert.match(metrics, /^mdc_redactions_total\{collection="model_inputs",rule="redact\[0\]"\} 2$/m);
  assert.match(metrics, /^mdc_redactions_total\{collection="model_outputs",rule="redact\[0\]"\} 1$/m);
  assert.equal(await cli.stop(), 0);

  const leaks = allBytes(ws).filter((f) => SECRETS.some((s) => f.text.includes(s)));
  assert.deepEqual(
    leaks.map((f) => f.file),
    [],
    'no stored byte holds the email, card, IBAN or account number',
  );
  const events = (c: string) => readEvents(ws, 'redact-ep', 'blue', c);
  const input = (events('model_inputs')[0]!.data as Record<string, unknown>[])[0]!;
  const output = (events('model_outputs')[0]!.data as Record<string, unknown>[])[0]!;
  assert.match(String(input.EMAIL), /^[0-9a-f]{64}$/);
  assert.equal(input.EMAIL, output.EMAIL);
  assert.equal(input.AGE, 41);
  assert.equal(input.NOTE, 'card [REDACTED:credit_card], iban [REDACTED:iban], account [REDACTED]');
  const response = events('response').find((e) => e.correlationid === 'r-1')!;
  assert.deepEqual(response.data, [{ EMAIL: input.EMAIL, score: 0.5, echo: 'scored [REDACTED:email]' }]);
  const request = events('request').find((e) => e.correlationid === 'r-1')!;
  assert.equal((request.data as { contact: string }).contact, 'write to [REDACTED:email]');
  const textRequest = events('request').find((e) => e.correlationid === 'r-2')!;
  assert.equal(textRequest.data, 'mail [REDACTED:email]');
  // The join a data scientist runs still pairs them.
  const q = runCli([
    'query',
    '--workspace',
    ws,
    'SELECT count(*) AS n FROM model_inputs i JOIN model_outputs o ON i.EMAIL = o.EMAIL',
    '--format',
    'csv',
  ]);
  assert.equal(q.stdout, 'n\n1\n', q.stderr);
});
