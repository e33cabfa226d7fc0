// The fault suite's fuzz part for the deployment-YAML loader (as mdc serve, proxy and sidecar load it): malformed
// and hostile files either load or are refused with a coded MdcError naming the problem; nothing else is thrown,
// nothing hangs, and a name that becomes a path never escapes its folder. MDC_FUZZ_COUNT / MDC_FUZZ_SEED as in
// fuzz-http.test.ts.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { loadDeploymentFile, MdcError, openWorkspace } from 'model-data-collector/internal';
import { planDeployment } from '../src/deployment-plan.js';
import { tempDir } from './helpers/cli.js';
import { fuzzCount, fuzzSeed, Prng, TRAVERSAL_NAMES } from './helpers/fuzz.js';

const COUNT = fuzzCount(1000);
const SEED = fuzzSeed();

const VALID = `$schema: https://azuremlschemas.azureedge.net/latest/managedOnlineDeployment.schema.json
name: blue
endpoint_name: credit
model: azureml:credit:2
code_configuration:
  code: src
  scoring_script: score.js
instance_type: Standard_DS3_v2
instance_count: 1
request_settings:
  request_timeout_ms: 3000
  max_concurrent_requests_per_instance: 4
data_collector:
  rolling_rate: Hour
  sampling_rate: 0.5
  collections:
    model_inputs:
      enabled: 'True'
      data: {name: credit-inputs, path: azureml://datastores/workspaceblobstore/paths/x, version: 2}
    model_outputs: {enabled: 'true'}
    request: {enabled: False}
`;

const KEYS = [
  'name',
  'endpoint_name',
  'model',
  'instance_count',
  'auth_mode',
  'data_collector',
  'data_collector.collections',
  'data_collector.rolling_rate',
  'data_collector.sampling_rate',
  'code_configuration',
  'request_settings',
];
const VALUES = [
  '~',
  '""',
  "'..'",
  '"../../etc"',
  '1e999',
  '-1',
  '0',
  '9007199254740993',
  '[]',
  '{}',
  '[[[[[[[[[[1]]]]]]]]]]',
  '!!binary aGVsbG8=',
  '!!js/function "function(){}"',
  '!!python/object:os.system ls',
  '&a [*a]',
  'True',
  'NaN',
  '.inf',
  '"\\u0000"',
  `"${'x'.repeat(5000)}"`,
  '{__proto__: {polluted: 1}}',
  '{constructor: {prototype: {x: 1}}}',
  '2024-01-01',
  '0x1F',
  '"Minute"',
  '{model_inputs: {enabled: "True"}, "..": {enabled: "True"}}',
];

/** A hostile or broken deployment file. */
function fuzzYaml(r: Prng): { kind: string; text: Buffer } {
  switch (r.int(9)) {
    case 0:
      return { kind: 'random-bytes', text: r.bytes(r.int(1024)) };
    case 1:
      return { kind: 'truncated', text: Buffer.from(VALID.slice(0, r.int(VALID.length))) };
    case 2: {
      const b = Buffer.from(VALID);
      for (let k = 0; k < 1 + r.int(4); k++) b[r.int(b.length)] = r.int(256);
      return { kind: 'byte-flips', text: b };
    }
    case 3: {
      // billion laughs: aliases that expand exponentially
      let s = 'a: &a ["x","x","x","x","x","x","x","x","x","x"]\n';
      for (let k = 1; k < 12; k++)
        s += `${String.fromCharCode(97 + k)}: &${String.fromCharCode(97 + k)} [${Array(10)
          .fill(`*${String.fromCharCode(96 + k)}`)
          .join(',')}]\n`;
      return { kind: 'alias-bomb', text: Buffer.from(s) };
    }
    case 4: {
      const depth = r.pick([50, 200, 400]);
      const text = r.chance(0.5)
        ? `name: ${'['.repeat(depth)}${']'.repeat(depth)}\n`
        : `${'a:\n'.replace('a', 'k')}${Array.from({ length: depth }, (_, d) => `${' '.repeat(d + 1)}k:`).join('\n')} 1\n`;
      return { kind: 'deep', text: Buffer.from(text) };
    }
    case 5: {
      // a known key set to a hostile value
      const key = r.pick(KEYS);
      const value = r.pick(VALUES);
      const parts = key.split('.');
      const yaml = parts
        .map((p, d) => `${'  '.repeat(d)}${p}:${d === parts.length - 1 ? ` ${value}` : ''}`)
        .join('\n');
      return { kind: `value:${key}`, text: Buffer.from(`${yaml}\n`) };
    }
    case 6: {
      // names that become paths
      const name = r.pick(TRAVERSAL_NAMES);
      const key = r.pick(['name', 'endpoint_name', 'collection']);
      const q = JSON.stringify(name);
      const text =
        key === 'collection'
          ? `data_collector:\n  collections:\n    ${q}: {enabled: 'True'}\n`
          : `${key}: ${q}\ndata_collector: {collections: {model_inputs: {enabled: 'True'}}}\n`;
      return { kind: `path-name:${key}`, text: Buffer.from(text) };
    }
    case 7: {
      const lines = VALID.split('\n');
      lines.splice(
        r.int(lines.length),
        0,
        r.pick([
          '\t- x',
          'name: dup',
          '---',
          '...',
          '%YAML 9.9',
          ': :',
          '? [a]',
          '"unterminated',
          '- - -',
          '\ufeff',
        ]),
      );
      return { kind: 'inserted-line', text: Buffer.from(lines.join('\n')) };
    }
    default:
      return {
        kind: 'many-collections',
        text: Buffer.from(
          `data_collector:\n  collections:\n${Array.from({ length: 1 + r.int(40) }, (_, k) => `    c${k}: {enabled: 'True'}`).join('\n')}\n`,
        ),
      };
  }
}

/** A name that became a path must stay one plain segment (no separator, not `.`/`..`). */
function assertSafeSegment(what: string, name: string, i: number, kind: string): void {
  assert.ok(
    name !== '' && name !== '.' && name !== '..' && !/[/\\\0]/.test(name),
    `seed ${SEED} input ${i} (${kind}): ${what} ${JSON.stringify(name)} was accepted`,
  );
}

test(`fuzz: ${COUNT} malformed deployment YAML files`, async (t) => {
  const dir = await tempDir(t, 'mdc-fuzz-yaml-');
  const ws = openWorkspace(join(dir, 'ws'));
  const file = join(dir, 'deployment.yml');
  const outcomes = new Map<string, number>();
  const slowest = { ms: 0, what: '' };
  const msByKind = new Map<string, number>();
  for (let i = 0; i < COUNT; i++) {
    const r = new Prng((SEED ^ Math.imul(i + 1, 0x9e3779b1)) >>> 0);
    const { kind, text } = fuzzYaml(r);
    writeFileSync(file, text);
    const started = Date.now();
    let outcome: string;
    try {
      const d = loadDeploymentFile(file, '--file');
      assertSafeSegment('endpoint_name', d.endpoint, i, kind);
      assertSafeSegment('name', d.deployment, i, kind);
      for (const c of d.collections?.keys() ?? []) assertSafeSegment('collection', c, i, kind);
      try {
        planDeployment(d, ws);
        outcome = 'loaded';
      } catch (err) {
        if (!(err instanceof MdcError))
          assert.fail(
            `seed ${SEED} input ${i} (${kind}): planDeployment threw ${(err as Error)?.stack ?? err}`,
          );
        outcome = err.code;
      }
    } catch (err) {
      if (err instanceof assert.AssertionError) throw err;
      if (!(err instanceof MdcError))
        assert.fail(`seed ${SEED} input ${i} (${kind}): threw a non-coded ${(err as Error)?.stack ?? err}`);
      outcome = err.code;
    }
    const ms = Date.now() - started;
    assert.ok(ms < 2000, `seed ${SEED} input ${i} (${kind}): took ${ms} ms`);
    outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
    msByKind.set(kind.split(':')[0]!, (msByKind.get(kind.split(':')[0]!) ?? 0) + ms);
    if (ms > slowest.ms) Object.assign(slowest, { ms, what: `input ${i} (${kind})` });
  }
  t.diagnostic(
    `deployment YAML: ${COUNT} files (seed ${SEED}) → ${[...outcomes].map(([k, n]) => `${k}: ${n}`).join(', ')}; slowest ${slowest.ms} ms (${slowest.what}); ms by kind ${JSON.stringify(Object.fromEntries(msByKind))}`,
  );
});
