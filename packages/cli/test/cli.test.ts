import assert from 'node:assert/strict';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { mdc, tempDir } from './helpers.js';

describe('mdc', () => {
  it('prints help and version with exit 0', () => {
    const help = mdc(['--help']);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /Usage: mdc/);
    assert.match(help.stdout, /--workspace <dir>/);
    const version = mdc(['--version']);
    assert.equal(version.code, 0);
    const pkg = JSON.parse(readFileSync(new URL('../../sdk/package.json', import.meta.url), 'utf8'));
    assert.equal(version.stdout.trim(), pkg.version);
  });

  it('refuses an unknown command and a missing option with MDC_USAGE and exit 2', () => {
    const unknown = mdc(['frobnicate']);
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /^error MDC_USAGE: unknown command 'frobnicate'/);
    assert.equal(unknown.stderr.trim().split('\n').length, 1, 'the error is printed once');
    const missing = mdc(['validate']);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /^error MDC_USAGE: required option '-f, --file/);
  });
});

describe('mdc validate', () => {
  it('reports where each enabled collection is written', () => {
    const dir = tempDir();
    const file = join(dir, 'deployment.yml');
    writeFileSync(
      file,
      [
        'name: blue',
        'endpoint_name: my_endpoint',
        'model: azureml:credit:7',
        'data_collector:',
        '  rolling_rate: minute',
        '  collections:',
        "    model_inputs: {enabled: 'True'}",
        "    model_outputs: {enabled: 'False'}",
      ].join('\n'),
    );
    const res = mdc(['validate', '-f', file, '--json', '--workspace', join(dir, 'ws')]);
    assert.equal(res.code, 0, res.stderr);
    const out = JSON.parse(res.stdout);
    assert.equal(out.endpoint, 'my_endpoint');
    assert.equal(out.deployment, 'blue');
    assert.equal(out.modelVersion, '7');
    assert.equal(out.rollingRate, 'Minute');
    assert.deepEqual(out.collections, [
      {
        name: 'model_inputs',
        enabled: true,
        folder: 'modelDataCollector/my_endpoint/blue/model_inputs',
        destination:
          'azureml://datastores/workspaceblobstore/paths/modelDataCollector/my_endpoint/blue/model_inputs',
        localFolder: join(
          dir,
          'ws/datastores/workspaceblobstore/modelDataCollector/my_endpoint/blue/model_inputs',
        ),
      },
      { name: 'model_outputs', enabled: false },
    ]);
    assert.deepEqual(out.notUsedLocally, []);
  });

  it('prints the destination of a local-folder data.path and of another datastore, and the keys not used locally', () => {
    const dir = tempDir();
    const ws = join(dir, 'ws');
    const created = mdc([
      'datastore',
      'create',
      'archive',
      '--type',
      'local',
      '--path',
      join(dir, 'archive'),
      '--workspace',
      ws,
    ]);
    assert.equal(created.code, 0, created.stderr);
    const file = join(dir, 'deployment.yml');
    writeFileSync(
      file,
      [
        '$schema: https://azuremlschemas.azureedge.net/latest/managedOnlineDeployment.schema.json',
        'name: blue',
        'endpoint_name: my_endpoint',
        'instance_type: Standard_F2s_v2',
        'team_notes: owned by ml-platform',
        'data_collector:',
        '  collections:',
        '    model_inputs:',
        "      enabled: 'True'",
        '      data: {name: inputs, path: ./collected/inputs}',
        '    model_outputs:',
        "      enabled: 'True'",
        '      data: {name: outputs, path: azureml://datastores/archive/paths/credit/outputs}',
        '    request:',
        "      enabled: 'True'",
      ].join('\n'),
    );
    const res = mdc(['validate', '-f', file, '--workspace', ws]);
    assert.equal(res.code, 0, res.stderr);
    const lines = res.stdout.split('\n');
    assert.ok(lines.includes(`  model_inputs: enabled -> ${join(dir, 'collected/inputs')}`), res.stdout);
    assert.ok(
      lines.includes(
        `  model_outputs: enabled -> azureml://datastores/archive/paths/credit/outputs (${join(dir, 'archive/credit/outputs')})`,
      ),
      res.stdout,
    );
    assert.ok(
      lines.includes(
        `  request: enabled -> azureml://datastores/workspaceblobstore/paths/modelDataCollector/my_endpoint/blue/request (${join(ws, 'datastores/workspaceblobstore/modelDataCollector/my_endpoint/blue/request')})`,
      ),
      res.stdout,
    );
    assert.ok(
      lines.includes(
        "  not used locally: $schema, instance_type, team_notes (not in Azure's deployment schema either: team_notes)",
      ),
      res.stdout,
    );
    const json = JSON.parse(mdc(['validate', '-f', file, '--workspace', ws, '--json']).stdout);
    assert.equal(json.collections[0].destination, join(dir, 'collected/inputs'));
    assert.deepEqual(json.notUsedLocally, ['$schema', 'instance_type', 'team_notes']);
    assert.deepEqual(json.notInAzureSchema, ['team_notes']);
  });

  it('refuses a misspelled key with MDC_UNKNOWN_KEY, its key path and a did-you-mean, exit 2', () => {
    const dir = tempDir();
    const file = join(dir, 'deployment.yml');
    writeFileSync(file, "data_collector:\n  collections:\n    model_inputs:\n      enabeld: 'True'\n");
    const res = mdc(['validate', '-f', file, '--workspace', join(dir, 'ws')]);
    assert.equal(res.code, 2);
    assert.equal(res.stdout, '', 'no "ok" for a file with a typo');
    assert.equal(
      res.stderr.trim(),
      `error MDC_UNKNOWN_KEY: ${file}: invalid configuration: data_collector.collections.model_inputs.enabeld: unknown key; did you mean enabled?`,
    );
    writeFileSync(file, 'data_colector:\n  collections:\n    model_inputs: {enabled: true}\n');
    const top = mdc(['validate', '-f', file, '--workspace', join(dir, 'ws')]);
    assert.equal(top.code, 2);
    assert.match(
      top.stderr,
      /^error MDC_UNKNOWN_KEY: .*data_colector: unknown key; did you mean data_collector\?/,
    );
  });

  it('fails fast with the key path and code on a bad file', () => {
    const dir = tempDir();
    const file = join(dir, 'bad.yml');
    writeFileSync(
      file,
      'data_collector:\n  sampling_rate: 2\n  collections:\n    model_inputs:\n      enabled: maybe\n',
    );
    const res = mdc(['validate', '-f', file]);
    assert.equal(res.code, 2);
    assert.match(res.stderr, /^error MDC_INVALID_CONFIG: /);
    assert.match(res.stderr, /data_collector\.sampling_rate/);
    assert.match(res.stderr, /data_collector\.collections\.model_inputs\.enabled/);
    const missing = mdc(['validate', '-f', join(dir, 'nope.yml')]);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /^error MDC_CONFIG_NOT_FOUND: /);
    writeFileSync(file, 'data_collector: [unclosed\n');
    const yaml = mdc(['validate', '-f', file]);
    assert.equal(yaml.code, 2);
    assert.match(yaml.stderr, /^error MDC_INVALID_YAML: /);
  });

  it('names an unknown datastore at start-up', () => {
    const dir = tempDir();
    const file = join(dir, 'deployment.yml');
    writeFileSync(
      file,
      "data_collector:\n  collections:\n    model_inputs:\n      enabled: 'True'\n      data:\n        name: x\n        path: azureml://datastores/nosuchstore/paths/a/b\n",
    );
    const res = mdc(['validate', '-f', file, '--workspace', join(dir, 'ws')]);
    assert.equal(res.code, 2);
    assert.match(res.stderr, /^error MDC_UNKNOWN_DATASTORE: datastore "nosuchstore"/);
  });
});

describe('mdc demo', () => {
  it('collects inputs and outputs with shared correlation ids and shows them', () => {
    const ws = tempDir();
    const res = mdc(['demo', '--requests', '25', '--workspace', ws]);
    assert.equal(res.code, 0, res.stderr);
    assert.match(res.stdout, /Scored 25 requests/);
    assert.match(res.stdout, /model_inputs: 25 written, 0 dropped, 0 failed/);
    const root = join(ws, 'datastores/workspaceblobstore/modelDataCollector/credit-default/blue');
    const read = (collection: string) => {
      const files: string[] = [];
      const walk = (d: string) => {
        for (const e of readdirSync(d, { withFileTypes: true })) {
          if (e.isDirectory()) walk(join(d, e.name));
          else files.push(join(d, e.name));
        }
      };
      walk(join(root, collection));
      return files.flatMap((f) =>
        readFileSync(f, 'utf8')
          .trimEnd()
          .split('\n')
          .map((l) => JSON.parse(l)),
      );
    };
    const inputs = read('model_inputs');
    const outputs = read('model_outputs');
    assert.equal(inputs.length, 25);
    assert.equal(outputs.length, 25);
    assert.deepEqual(
      inputs.map((e) => e.correlationid),
      outputs.map((e) => e.correlationid),
    );
    for (const [i, e] of inputs.entries()) {
      assert.equal(e.type, 'azureml.inference.model_inputs');
      assert.equal(Object.keys(e.data[0]).length, 23);
      assert.equal(outputs[i].data.length, e.data.length);
    }
  });
});
