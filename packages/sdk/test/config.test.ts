// Deployment YAML and options: the reference's examples load, bad values fail fast with a code and a key path.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import {
  Collector,
  DataCollectorRuntime,
  ERROR_CODES,
  InvalidConfigError,
  loadDeploymentFile,
  MAX_CUSTOM_COLLECTIONS,
  type MdcError,
  type RuntimeOptions,
  resolveDeployment,
} from '../src/internal.js';
import {
  blobstore,
  catchMdc,
  FIXED_MS,
  listFiles,
  makeRuntime,
  readEvents,
  tempDir,
  writeText,
} from './helpers.js';

// The reference's three deployment YAML examples, byte for byte (trailing space included).
const MANAGED_ONLINE = `$schema: https://azuremlschemas.azureedge.net/latest/managedOnlineDeployment.schema.json
name: blue
endpoint_name: my_endpoint
model: azureml:iris_mlflow_model@latest
environment:
  image: mcr.microsoft.com/azureml/openmpi4.1.0-ubuntu20.04
  conda_file: model/conda.yaml
code_configuration:
  code: scripts
  scoring_script: score.py
instance_type: Standard_F2s_v2
instance_count: 1
data_collector:
  collections:
    model_inputs:
      enabled: 'True'
    model_outputs:
      enabled: 'True'
`;
const PAYLOAD_LOGGING = `$schema: http://azureml/sdk-2-0/OnlineDeployment.json

endpoint_name: my_endpoint 
name: blue 
model: azureml:my-model-m1:1 
environment: azureml:env-m1:1 
data_collector:
   collections:
       request:
           enabled: 'True'
       response:
           enabled: 'True'
`;
const DATA_FRAGMENT = `data_collector:
  collections:
    model_inputs:
      enabled: 'True'
      data: 
        name: my_model_inputs_data_asset
        path: azureml://datastores/workspaceblobstore/paths/modelDataCollector/my_endpoint/blue/model_inputs
        version: 1
    model_outputs:
      enabled: 'True'
      data: 
        name: my_model_outputs_data_asset
        path: azureml://datastores/workspaceblobstore/paths/modelDataCollector/my_endpoint/blue/model_outputs 
        version: 1
`;

function yamlFile(text: string | string[]): string {
  return writeText(join(tempDir(), 'deployment.yml'), text);
}

/** A runtime reading `file`, in a fresh workspace, with the fixed clock. */
function runtimeFor(deployment: string, extra: RuntimeOptions = {}) {
  return makeRuntime({ deployment, ...extra });
}

describe("the reference's deployment YAML examples", () => {
  it('loads the full managed online deployment unchanged and collects where it says', async () => {
    const file = yamlFile(MANAGED_ONLINE);
    const dep = loadDeploymentFile(file);
    assert.equal(dep.endpoint, 'my_endpoint');
    assert.equal(dep.deployment, 'blue');
    assert.equal(dep.modelVersion, 'default');
    assert.deepEqual(
      [...dep.collections!.entries()].map(([n, c]) => [n, c.enabled]),
      [
        ['model_inputs', true],
        ['model_outputs', true],
      ],
    );
    assert.equal(dep.yaml.instance_type, 'Standard_F2s_v2');
    assert.deepEqual(dep.notUsedLocally, ['$schema', 'environment', 'instance_type']);
    assert.deepEqual(dep.notInAzureSchema, []);
    const rt = runtimeFor(file);
    const ctx = new Collector({ name: 'model_inputs', runtime: rt }).collect([{ sepal_length: 5.1 }]);
    new Collector({ name: 'model_outputs', runtime: rt }).collect([{ species: 'setosa' }], ctx);
    await rt.shutdown();
    assert.deepEqual(listFiles(blobstore(rt.ws)), [
      'modelDataCollector/my_endpoint/blue/model_inputs/2024/03/05/18/inst.jsonl',
      'modelDataCollector/my_endpoint/blue/model_outputs/2024/03/05/18/inst.jsonl',
    ]);
    for (const { event } of readEvents(blobstore(rt.ws))) assert.equal(event.modelversion, 'default');
  });

  it('loads the payload-logging deployment unchanged: request and response on, model version 1', async () => {
    const file = yamlFile(PAYLOAD_LOGGING);
    const dep = loadDeploymentFile(file);
    assert.equal(dep.endpoint, 'my_endpoint');
    assert.equal(dep.deployment, 'blue');
    assert.equal(dep.modelVersion, '1');
    assert.deepEqual([...dep.collections!.keys()], ['request', 'response']);
    assert.deepEqual(dep.notUsedLocally, ['$schema', 'environment']);
    const rt = runtimeFor(file);
    rt.collection('request').emit({
      correlation: { id: 'r1', getId: () => 'r1' },
      json: '{"data":[[1,2,3]]}',
      path: '/score',
      method: 'POST',
    });
    await rt.shutdown();
    const [line] = readEvents(blobstore(rt.ws));
    assert.equal(line!.file, 'modelDataCollector/my_endpoint/blue/request/2024/03/05/18/inst.jsonl');
    assert.equal(line!.event.type, 'azureml.inference.request');
    assert.equal(line!.event.modelversion, '1');
    assert.equal(line!.event.path, '/score');
    assert.equal(line!.event.method, 'POST');
  });

  it('loads the data_collector fragment with data: {name, path, version} unchanged', async () => {
    const file = yamlFile(DATA_FRAGMENT);
    const dep = loadDeploymentFile(file);
    assert.deepEqual(dep.collections!.get('model_inputs'), {
      enabled: true,
      dataName: 'my_model_inputs_data_asset',
      dataPath:
        'azureml://datastores/workspaceblobstore/paths/modelDataCollector/my_endpoint/blue/model_inputs',
      dataVersion: '1',
    });
    assert.deepEqual(dep.notUsedLocally, []);
    assert.equal(
      dep.collections!.get('model_outputs')!.dataPath,
      'azureml://datastores/workspaceblobstore/paths/modelDataCollector/my_endpoint/blue/model_outputs',
    );
    const rt = runtimeFor(file);
    new Collector({ name: 'model_outputs', runtime: rt }).collect([{ y: 1 }]);
    await rt.shutdown();
    assert.deepEqual(listFiles(blobstore(rt.ws)), [
      'modelDataCollector/my_endpoint/blue/model_outputs/2024/03/05/18/inst.jsonl',
    ]);
  });

  it('loads the repository example examples/credit-default/deployment.yml', () => {
    const file = fileURLToPath(new URL('../../../examples/credit-default/deployment.yml', import.meta.url));
    const dep = loadDeploymentFile(file);
    assert.equal(dep.endpoint, 'credit-default');
    assert.deepEqual([...dep.collections!.keys()], ['model_inputs', 'model_outputs', 'request', 'response']);
    assert.deepEqual(dep.notUsedLocally, ['$schema', 'environment', 'instance_type']);
  });
});

// Every key of Azure's managed online deployment schema, as a user could write it (values shortened).
const EVERY_AZURE_KEY = `$schema: https://azuremlschemas.azureedge.net/latest/managedOnlineDeployment.schema.json
name: blue
endpoint_name: my_endpoint
description: all the keys
tags: {team: ml}
properties: {p: v}
id: /subscriptions/s/deployments/blue
type: managed
model:
  name: iris
  version: 3
  path: ./model
  type: mlflow_model
  description: the model
  tags: {a: b}
  properties: {c: d}
  flavors: {}
  stage: Production
  job_name: train-1
  datastore: workspaceblobstore
model_mount_path: /var/azureml-app/model
code_configuration:
  code: ./src
  scoring_script: score.js
environment:
  image: mcr.microsoft.com/azureml/openmpi4.1.0-ubuntu20.04
  conda_file: conda.yml
environment_variables: {LOG_LEVEL: debug}
instance_type: Standard_DS3_v2
instance_count: 2
app_insights_enabled: true
scale_settings: {type: default}
request_settings:
  request_timeout_ms: 3000
  max_concurrent_requests_per_instance: 2
  max_queue_wait_ms: 500
liveness_probe: {period: 10, initial_delay: 10, timeout: 2, success_threshold: 1, failure_threshold: 30}
readiness_probe: {period: 10, initial_delay: 10, timeout: 2, success_threshold: 1, failure_threshold: 3}
egress_public_network_access: disabled
private_network_connection: false
resources: {requests: {cpu: '1'}}
provisioning_state: Succeeded
auth_mode: key
data_collector:
  rolling_rate: Hour
  sampling_rate: 0.5
  request_logging:
    capture_headers: [x-team]
  collections:
    model_inputs:
      enabled: 'True'
      client_id: 00000000-0000-0000-0000-000000000000
      data:
        name: inputs
        path: azureml://datastores/workspaceblobstore/paths/inputs
        version: 2
        data_id: azureml:inputs:2
`;

describe('unknown keys (MDC_UNKNOWN_KEY) and keys not used locally', () => {
  it("accepts every key of Azure's deployment schema and lists, in file order, the ones mdc does not use", () => {
    const dep = loadDeploymentFile(yamlFile(EVERY_AZURE_KEY));
    assert.equal(dep.deployment, 'blue');
    assert.equal(dep.modelVersion, '3');
    assert.equal(dep.samplingRate, 0.5);
    assert.deepEqual(dep.notUsedLocally, [
      '$schema',
      'description',
      'tags',
      'properties',
      'id',
      'type',
      'model.type',
      'model.description',
      'model.tags',
      'model.properties',
      'model.flavors',
      'model.stage',
      'model.job_name',
      'model.datastore',
      'model_mount_path',
      'environment',
      'environment_variables',
      'instance_type',
      'app_insights_enabled',
      'scale_settings',
      'request_settings.max_queue_wait_ms',
      'liveness_probe',
      'readiness_probe',
      'egress_public_network_access',
      'private_network_connection',
      'resources',
      'provisioning_state',
      'data_collector.request_logging',
      'data_collector.collections.model_inputs.client_id',
      'data_collector.collections.model_inputs.data.data_id',
    ]);
    assert.deepEqual(dep.notInAzureSchema, []);
  });

  const typos: [string, string[], string, string][] = [
    [
      'a misspelled data_collector',
      ['data_colector:', '  collections: {}'],
      'data_colector',
      'data_collector',
    ],
    ['endpointname', ['endpointname: my_endpoint'], 'endpointname', 'endpoint_name'],
    ['a misspelled instance_count', ['instance_cont: 2'], 'instance_cont', 'instance_count'],
    [
      'collections misspelled',
      ['data_collector:', '  colections:', '    model_inputs: {enabled: true}'],
      'data_collector.colections',
      'collections',
    ],
    [
      'rolling_rate misspelled',
      ['data_collector:', '  roling_rate: Day'],
      'data_collector.roling_rate',
      'rolling_rate',
    ],
    [
      "enabeld: 'True'",
      ['data_collector:', '  collections:', '    model_inputs:', "      enabeld: 'True'"],
      'data_collector.collections.model_inputs.enabeld',
      'enabled',
    ],
    [
      'data.nmae',
      [
        'data_collector:',
        '  collections:',
        '    m:',
        '      enabled: true',
        '      data: {nmae: x, path: ./out}',
      ],
      'data_collector.collections.m.data.nmae',
      'name',
    ],
    [
      'request_logging.capture_header',
      ['data_collector:', '  request_logging:', '    capture_header: [x-a]'],
      'data_collector.request_logging.capture_header',
      'capture_headers',
    ],
    [
      'request_settings.request_timout_ms',
      ['request_settings:', '  request_timout_ms: 100'],
      'request_settings.request_timout_ms',
      'request_timeout_ms',
    ],
    ['model.pth', ['model:', '  pth: ./model.onnx'], 'model.pth', 'path'],
    [
      'code_configuration.scoring_scrip',
      ['code_configuration:', '  code: .', '  scoring_script: score.js', '  scoring_scrip: other.js'],
      'code_configuration.scoring_scrip',
      'scoring_script',
    ],
  ];
  for (const [what, lines, path, suggestion] of typos) {
    it(`${what} → MDC_UNKNOWN_KEY at ${path}, did you mean ${suggestion}?`, () => {
      const file = yamlFile(lines);
      const err = catchMdc(() => loadDeploymentFile(file)) as MdcError & {
        issues: { path: string; message: string; code?: string }[];
      };
      assert.equal(err.code, 'MDC_UNKNOWN_KEY');
      assert.ok(err.message.includes(file), 'the file is named');
      assert.ok(
        err.message.includes(`${path}: unknown key; did you mean ${suggestion}?`),
        `"${path}" and "${suggestion}" in: ${err.message}`,
      );
      assert.deepEqual(err.issues[0], {
        path,
        message: `unknown key; did you mean ${suggestion}?`,
        code: 'MDC_UNKNOWN_KEY',
      });
      assert.ok(err instanceof InvalidConfigError, 'still an InvalidConfigError, with its issues');
    });
  }

  it("a typo'd enabled no longer turns a collection off: the runtime refuses to start", () => {
    const file = yamlFile([
      'data_collector:',
      '  collections:',
      '    model_inputs:',
      "      enabeld: 'True'",
    ]);
    assert.equal(catchMdc(() => runtimeFor(file)).code, 'MDC_UNKNOWN_KEY');
  });

  it('an unknown nested key far from every known one is refused, listing the keys that exist there', () => {
    const file = yamlFile(['data_collector:', '  collections:', '    model_inputs:', '      colour: red']);
    const err = catchMdc(() => loadDeploymentFile(file));
    assert.equal(err.code, 'MDC_UNKNOWN_KEY');
    assert.match(
      err.message,
      /data_collector\.collections\.model_inputs\.colour: unknown key; expected one of enabled, data, client_id/,
    );
  });

  it('lists the unknown keys first, then the value problems a typo causes', () => {
    const file = yamlFile(['code_configuration:', '  scoring_scrpit: score.js', 'instance_count: 0']);
    const err = catchMdc(() => loadDeploymentFile(file)) as MdcError & {
      issues: { path: string; code?: string }[];
    };
    assert.equal(err.code, 'MDC_UNKNOWN_KEY');
    assert.deepEqual(
      err.issues.map((i) => [i.path, i.code]),
      [
        ['code_configuration.scoring_scrpit', 'MDC_UNKNOWN_KEY'],
        ['code_configuration.scoring_script', undefined],
        ['instance_count', undefined],
      ],
    );
  });

  it('reports top-level keys far from every known key as not used locally instead of refusing them', () => {
    const dep = loadDeploymentFile(
      yamlFile([
        'name: blue',
        'x: 1',
        'team_notes: owned by ml-platform',
        'kind: Managed',
        'instance_type: F2',
      ]),
    );
    assert.equal(dep.deployment, 'blue');
    assert.deepEqual(dep.notUsedLocally, ['x', 'team_notes', 'kind', 'instance_type']);
    assert.deepEqual(dep.notInAzureSchema, ['x', 'team_notes', 'kind']);
  });

  it('refuses a top-level key within edit distance 2 of a known one, a transposition counting 1', () => {
    for (const [key, near] of [
      ['nmae', 'name'],
      ['tag', 'tags'],
      ['Instance_Type', 'instance_type'],
      ['enviroment', 'environment'],
      ['data-collector', 'data_collector'],
    ]) {
      const err = catchMdc(() => loadDeploymentFile(yamlFile([`${key}: v`])));
      assert.equal(err.code, 'MDC_UNKNOWN_KEY', key);
      assert.ok(err.message.includes(`${key}: unknown key; did you mean ${near}?`), err.message);
    }
  });
});

describe('enabled', () => {
  for (const [value, on] of [
    ["'True'", true],
    ["'False'", false],
    ["'true'", true],
    ["'FALSE'", false],
    ['true', true],
    ['false', false],
    ['True', true],
  ] as const) {
    it(`enabled: ${value} turns the collection ${on ? 'on' : 'off'}`, async () => {
      const file = yamlFile([
        'data_collector:',
        '  collections:',
        '    model_inputs:',
        `      enabled: ${value}`,
      ]);
      const rt = runtimeFor(file);
      const c = new Collector({ name: 'model_inputs', runtime: rt });
      c.collect([{ a: 1 }]);
      await rt.shutdown();
      assert.equal(readEvents(blobstore(rt.ws)).length, on ? 1 : 0);
      assert.equal(c.stats().disabled, on ? 0 : 1);
      if (!on) assert.deepEqual(listFiles(rt.ws), [], 'a disabled collection creates no file or folder');
    });
  }

  it('writes nothing for a collection the YAML does not list (others still collect)', async () => {
    const file = yamlFile([
      'data_collector:',
      '  collections:',
      '    model_inputs:',
      "      enabled: 'True'",
    ]);
    const rt = runtimeFor(file);
    new Collector({ name: 'model_inputs', runtime: rt }).collect([{ a: 1 }]);
    const unlisted = new Collector({ name: 'model_outputs', runtime: rt });
    unlisted.collect([{ a: 1 }]);
    await rt.shutdown();
    assert.deepEqual(
      readEvents(blobstore(rt.ws)).map((l) => l.event.type),
      ['azureml.inference.model_inputs'],
    );
    assert.equal(unlisted.stats().disabled, 1);
  });

  it('collects every collection when the YAML has no data_collector', async () => {
    const rt = runtimeFor(yamlFile(['endpoint_name: ep', 'name: blue']));
    new Collector({ name: 'anything', runtime: rt }).collect([{ a: 1 }]);
    await rt.shutdown();
    assert.equal(readEvents(blobstore(rt.ws)).length, 1);
  });
});

describe('bad configuration fails fast', () => {
  const bad: [string, string[], string, RegExp][] = [
    [
      'sampling_rate above 1',
      ['data_collector:', '  sampling_rate: 1.5'],
      'data_collector.sampling_rate',
      /<=1/,
    ],
    [
      'sampling_rate below 0',
      ['data_collector:', '  sampling_rate: -0.1'],
      'data_collector.sampling_rate',
      />=0/,
    ],
    [
      'sampling_rate not a number',
      ['data_collector:', '  sampling_rate: lots'],
      'data_collector.sampling_rate',
      /"lots"/,
    ],
    [
      'an unknown rolling_rate',
      ['data_collector:', '  rolling_rate: Weekly'],
      'data_collector.rolling_rate',
      /Minute, Hour, Day, Month, Year; got "Weekly"/,
    ],
    [
      'a numeric rolling_rate',
      ['data_collector:', '  rolling_rate: 5'],
      'data_collector.rolling_rate',
      /Minute, Hour/,
    ],
    [
      'enabled: yes',
      ['data_collector:', '  collections:', '    model_inputs:', "      enabled: 'yes'"],
      'data_collector.collections.model_inputs.enabled',
      /'True', 'False' or a boolean; got "yes"/,
    ],
    [
      'an empty data.path',
      [
        'data_collector:',
        '  collections:',
        '    model_inputs:',
        '      enabled: true',
        '      data:',
        "        path: ''",
      ],
      'data_collector.collections.model_inputs.data.path',
      /./,
    ],
    [
      'collections as a list',
      ['data_collector:', '  collections: [a, b]'],
      'data_collector.collections',
      /record/,
    ],
    ['instance_count 0', ['instance_count: 0'], 'instance_count', /1/],
    ['a numeric endpoint_name', ['endpoint_name: 5'], 'endpoint_name', /string/],
  ];
  for (const [what, lines, path, message] of bad) {
    it(`${what} → MDC_INVALID_CONFIG naming ${path}`, () => {
      const file = yamlFile(lines);
      const err = catchMdc(() => runtimeFor(file));
      assert.equal(err.code, 'MDC_INVALID_CONFIG');
      assert.ok(err.message.includes(`${path}: `), `"${path}" in: ${err.message}`);
      assert.ok(err.message.includes(file), 'the file is named');
      assert.match(err.message, message);
      assert.deepEqual(
        (err as MdcError & { issues: { path: string }[] }).issues.map((i) => i.path),
        [path],
      );
    });
  }

  it('invalid YAML → MDC_INVALID_YAML naming the file', () => {
    const file = yamlFile('data_collector:\n  collections: [model_inputs\n  rolling_rate: Hour\n');
    const err = catchMdc(() => runtimeFor(file));
    assert.equal(err.code, 'MDC_INVALID_YAML');
    assert.ok(err.message.includes(file));
  });

  it('a missing deployment file → MDC_CONFIG_NOT_FOUND, from the option or MDC_DEPLOYMENT_FILE', () => {
    const missing = join(tempDir(), 'nope.yml');
    const err = catchMdc(() => runtimeFor(missing));
    assert.equal(err.code, 'MDC_CONFIG_NOT_FOUND');
    assert.ok(err.message.includes(missing));
    const fromEnv = catchMdc(
      () =>
        new DataCollectorRuntime(
          { workspace: tempDir(), handleProcessExit: false },
          { MDC_DEPLOYMENT_FILE: missing },
        ),
    );
    assert.equal(fromEnv.code, 'MDC_CONFIG_NOT_FOUND');
    assert.match(fromEnv.message, /MDC_DEPLOYMENT_FILE/);
  });

  it('an invalid workspace.yml → MDC_INVALID_CONFIG with its key path', () => {
    const ws = tempDir();
    writeText(join(ws, 'workspace.yml'), ['datastores:', '  other:', '    type: ftp']);
    const err = catchMdc(() => makeRuntime({ workspace: ws }));
    assert.equal(err.code, 'MDC_INVALID_CONFIG');
    assert.match(err.message, /datastores\.other\.type/);
  });
});

describe('at most 5 custom collections', () => {
  const collections = (names: string[]) => [
    'data_collector:',
    '  collections:',
    ...names.flatMap((n) => [`    ${n}:`, "      enabled: 'True'"]),
  ];

  it('6 custom collections in the YAML → MDC_TOO_MANY_COLLECTIONS', () => {
    const file = yamlFile(collections(['c1', 'c2', 'c3', 'c4', 'c5', 'c6']));
    const err = catchMdc(() => runtimeFor(file));
    assert.equal(err.code, 'MDC_TOO_MANY_COLLECTIONS');
    assert.match(err.message, /at most 5/);
    assert.match(err.message, /c6/);
  });

  it('5 custom collections plus request and response load', () => {
    const file = yamlFile(collections(['c1', 'c2', 'c3', 'c4', 'c5', 'request', 'response']));
    assert.equal(runtimeFor(file).collectionNames.length, 7);
  });

  it('a 6th new Collector with no YAML → MDC_TOO_MANY_COLLECTIONS; request, response and repeats do not count', () => {
    const rt = makeRuntime({ deployment: undefined });
    for (let i = 1; i <= MAX_CUSTOM_COLLECTIONS; i++) new Collector({ name: `c${i}`, runtime: rt });
    new Collector({ name: 'c1', runtime: rt });
    new Collector({ name: 'request', runtime: rt });
    new Collector({ name: 'response', runtime: rt });
    const err = catchMdc(() => new Collector({ name: 'c6', runtime: rt }));
    assert.equal(err.code, 'MDC_TOO_MANY_COLLECTIONS');
    // A failed constructor takes no slot: still refused, still 5.
    assert.equal(catchMdc(() => new Collector({ name: 'c7', runtime: rt })).code, 'MDC_TOO_MANY_COLLECTIONS');
  });
});

describe('options and environment variables', () => {
  const badOptions: [keyof RuntimeOptions, unknown][] = [
    ['maxQueueEvents', 0],
    ['maxQueueEvents', 1.5],
    ['maxQueueEvents', '100'],
    ['maxQueueBytes', 10],
    ['maxBatchBytes', -1],
    ['flushIntervalMs', Number.NaN],
    ['flushIntervalMs', 3_000_000_000],
    ['mergeWindowMs', -5],
    ['samplingRate', 2],
    ['samplingRate', Number.POSITIVE_INFINITY],
    ['largePayloadBytes', 0],
    ['maxTries', 0],
    ['retryDelayMs', -1],
    ['maxRetryDelayMs', 1e12],
    ['rollingRate', 'Weekly'],
    ['rollingRate', 60],
    ['endpoint', 'has/slash'],
    ['deploymentName', ''],
  ];
  for (const [name, value] of badOptions) {
    it(`option ${name}: ${JSON.stringify(value)} → MDC_INVALID_OPTION naming it`, () => {
      const err = catchMdc(() => makeRuntime({ [name]: value } as RuntimeOptions));
      assert.equal(err.code, 'MDC_INVALID_OPTION');
      assert.ok(err.message.includes(name), `"${name}" in: ${err.message}`);
    });
  }

  it('accepts rollingRate in any letter case, as the YAML does', async () => {
    const rt = makeRuntime({ rollingRate: 'day' as never });
    new Collector({ name: 'model_inputs', runtime: rt }).collect([{ a: 1 }]);
    await rt.shutdown();
    assert.deepEqual(listFiles(blobstore(rt.ws)), [
      'modelDataCollector/ep/blue/model_inputs/2024/03/05/inst.jsonl',
    ]);
  });

  const badEnv: [string, string][] = [
    ['MDC_MAX_QUEUE_EVENTS', 'lots'],
    ['MDC_MAX_QUEUE_BYTES', '-1'],
    ['MDC_MAX_BATCH_BYTES', '0'],
    ['MDC_FLUSH_INTERVAL_MS', 'soon'],
    ['MDC_SAMPLING_RATE', '1.5'],
    ['MDC_LARGE_PAYLOAD_BYTES', '4MB'],
    ['MDC_MERGE_WINDOW_MS', '-1'],
    ['MDC_MAX_TRIES', '2.5'],
  ];
  for (const [name, value] of badEnv) {
    it(`env ${name}=${value} → MDC_INVALID_ENV naming it`, () => {
      const err = catchMdc(
        () =>
          new DataCollectorRuntime(
            { workspace: tempDir(), clock: () => FIXED_MS, handleProcessExit: false },
            { [name]: value },
          ),
      );
      assert.equal(err.code, 'MDC_INVALID_ENV');
      assert.ok(err.message.includes(name), `"${name}" in: ${err.message}`);
      assert.ok(err.message.includes(value), 'the bad value is shown');
    });
  }

  it('takes numeric settings from the environment, and an explicit option over it', () => {
    const env = { MDC_MAX_QUEUE_EVENTS: '7', MDC_SAMPLING_RATE: '0.25' };
    const fromEnv = new DataCollectorRuntime({ workspace: tempDir(), handleProcessExit: false }, env);
    assert.equal(fromEnv.queue.options.maxQueueEvents, 7);
    assert.equal(fromEnv.samplingRate, 0.25);
    const explicit = new DataCollectorRuntime(
      { workspace: tempDir(), handleProcessExit: false, maxQueueEvents: 9, samplingRate: 1 },
      env,
    );
    assert.equal(explicit.queue.options.maxQueueEvents, 9);
    assert.equal(explicit.samplingRate, 1);
  });

  it('Collector options are checked: a name is required, onError must be a function', () => {
    const rt = makeRuntime();
    for (const options of [{ name: '' }, { name: 5 }, { name: 'x', onError: 'log' }, { name: 'a/b' }]) {
      const err = catchMdc(() => new Collector({ ...(options as { name: string }), runtime: rt }));
      assert.equal(err.code, 'MDC_INVALID_OPTION', JSON.stringify(options));
    }
  });

  it('every code used here is in ERROR_CODES', () => {
    for (const code of [
      'MDC_INVALID_CONFIG',
      'MDC_UNKNOWN_KEY',
      'MDC_INVALID_YAML',
      'MDC_CONFIG_NOT_FOUND',
      'MDC_INVALID_OPTION',
      'MDC_INVALID_ENV',
      'MDC_TOO_MANY_COLLECTIONS',
    ]) {
      assert.ok(code in ERROR_CODES, code);
    }
    assert.equal(resolveDeployment({}).endpoint, 'local-endpoint');
  });
});
