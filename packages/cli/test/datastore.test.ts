// `mdc datastore list|show|create|delete`: what a user sees, secrets masked, coded errors, --check against Azurite.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type Azurite, startAzurite } from '@model-data-collector/test-support/emulators';
import { mdc, tempDir } from './helpers.js';

const KEY = 'c2VjcmV0LWtleS1uZXZlci1wcmludGVk';

describe('mdc datastore', () => {
  let az: Azurite;
  before(async () => {
    az = await startAzurite();
    await az.createContainer('checked');
  });
  after(() => az.stop());

  it('creates, lists, shows with secrets masked, and deletes', () => {
    const ws = tempDir();
    const env = { MDC_WORKSPACE: ws };
    const cs = `DefaultEndpointsProtocol=https;AccountName=acct;AccountKey=${KEY};EndpointSuffix=core.windows.net`;
    let r = mdc(
      ['datastore', 'create', 'blobs', '--type', 'azure-blob', '--container', 'c', '--connection-string', cs],
      { env },
    );
    assert.equal(r.code, 0, r.stderr);
    r = mdc(
      [
        'datastore',
        'create',
        'lake',
        '--type',
        's3',
        '--bucket',
        'b',
        '--prefix',
        'mdc',
        '--region',
        'eu-west-1',
        '--force-path-style',
      ],
      { env },
    );
    assert.equal(r.code, 0, r.stderr);
    r = mdc(['datastore', 'list', '--json'], { env });
    assert.equal(r.code, 0, r.stderr);
    const rows = JSON.parse(r.stdout) as { name: string; type: string; location: string }[];
    assert.deepEqual(
      rows.map((x) => [x.name, x.type, x.location]),
      [
        ['blobs', 'azure_blob', 'acct container c'],
        ['lake', 's3', 's3://b/mdc'],
        ['workspaceblobstore', 'local', join(ws, 'datastores/workspaceblobstore')],
      ],
    );
    r = mdc(['datastore', 'show', 'blobs'], { env });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /AccountKey=\*\*\*/);
    assert.doesNotMatch(r.stdout + r.stderr, new RegExp(KEY));
    const lake = JSON.parse(mdc(['datastore', 'show', 'lake', '--json'], { env }).stdout);
    assert.deepEqual(
      { bucket: lake.bucket, prefix: lake.prefix, region: lake.region, style: lake.force_path_style },
      { bucket: 'b', prefix: 'mdc', region: 'eu-west-1', style: true },
    );
    r = mdc(['datastore', 'delete', 'lake'], { env });
    assert.equal(r.code, 0, r.stderr);
    assert.doesNotMatch(readFileSync(join(ws, 'workspace.yml'), 'utf8'), /lake/);
  });

  it('answers bad input with coded errors and exit code 2', () => {
    const env = { MDC_WORKSPACE: tempDir() };
    const cases: [string[], string][] = [
      [['datastore', 'create', 'x', '--type', 'ftp'], 'MDC_USAGE'],
      [['datastore', 'create', 'x', '--type', 's3'], 'MDC_USAGE'],
      [['datastore', 'create', 'x', '--type', 's3', '--bucket', 'b', '--container', 'c'], 'MDC_USAGE'],
      [['datastore', 'create', 'bad/name', '--type', 's3', '--bucket', 'b'], 'MDC_INVALID_OPTION'],
      [['datastore', 'show', 'nope'], 'MDC_UNKNOWN_DATASTORE'],
      [['datastore', 'delete', 'nope'], 'MDC_UNKNOWN_DATASTORE'],
    ];
    for (const [args, code] of cases) {
      const r = mdc(args, { env });
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, new RegExp(`^error ${code}: `), args.join(' '));
    }
    assert.equal(mdc(['datastore', 'create', 'd', '--type', 's3', '--bucket', 'b'], { env }).code, 0);
    const again = mdc(['datastore', 'create', 'd', '--type', 's3', '--bucket', 'b'], { env });
    assert.match(again.stderr, /^error MDC_DATASTORE_EXISTS: /);
  });

  it('checks a datastore against the store: a good container, then a missing one', () => {
    const env = { MDC_WORKSPACE: tempDir() };
    let r = mdc(['datastore', 'create', 'ok', '--type', 'azure-blob', '--container', 'checked', '--check'], {
      env: { ...env, AZURE_STORAGE_CONNECTION_STRING: az.connectionString },
    });
    assert.equal(r.code, 0, r.stderr);
    r = mdc(['datastore', 'show', 'ok', '--check', '--json'], {
      env: { ...env, AZURE_STORAGE_CONNECTION_STRING: az.connectionString },
    });
    assert.equal(JSON.parse(r.stdout).check, 'ok');
    r = mdc(['datastore', 'create', 'gone', '--type', 'azure-blob', '--container', 'missing', '--check'], {
      env: { ...env, AZURE_STORAGE_CONNECTION_STRING: az.connectionString },
    });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /container "missing" does not exist/);
    assert.doesNotMatch(r.stderr, /AccountKey/);
  });

  it('creates a local datastore relative to the current folder, and --check writes in it or fails coded', () => {
    const ws = tempDir();
    const cwd = tempDir();
    const env = { MDC_WORKSPACE: ws };
    let r = mdc(['datastore', 'create', 'here', '--type', 'local', '--path', './x', '--check'], { cwd, env });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, `created datastore here: local ${join(cwd, 'x')}\n`);
    assert.match(readFileSync(join(ws, 'workspace.yml'), 'utf8'), new RegExp(`path: ${join(cwd, 'x')}\n`));
    assert.deepEqual(readdirSync(join(cwd, 'x')), [], 'the probe file is removed');
    r = mdc(['datastore', 'show', 'here', '--check', '--json'], { cwd: tempDir(), env });
    assert.deepEqual(
      [JSON.parse(r.stdout).location, JSON.parse(r.stdout).check],
      [join(cwd, 'x'), 'ok'],
      'stored absolute: the same folder from anywhere',
    );

    const failing: [string, RegExp][] = [
      ['/nonexistent/zzz', /^error MDC_PATH_NOT_FOUND: \/nonexistent\/zzz: does not exist, nor its parent/],
      ['/proc/zzz', /^error MDC_DATASTORE_CHECK_FAILED: local folder \/proc\/zzz: cannot be created/],
      [
        '/proc/self/status',
        /^error MDC_DATASTORE_CHECK_FAILED: local folder \/proc\/self\/status: cannot be written/,
      ],
    ];
    for (const [path, error] of failing) {
      r = mdc(['datastore', 'create', 'bad', '--type', 'local', '--path', path, '--check'], { env });
      assert.equal(r.code, 2, `${path}: ${r.stdout}${r.stderr}`);
      assert.match(r.stderr, error, path);
      assert.doesNotMatch(readFileSync(join(ws, 'workspace.yml'), 'utf8'), /bad:/, `${path} was not saved`);
    }
    assert.equal(existsSync('/nonexistent'), false);

    r = mdc(['datastore', 'create', 'here', '--type', 'local', '--path', './y'], { cwd, env });
    assert.match(r.stderr, /^error MDC_DATASTORE_EXISTS: datastore "here" already exists \(pass --replace/);
    r = mdc(['datastore', 'create', 'here', '--type', 'local', '--path', './y', '--replace'], { cwd, env });
    assert.equal(r.code, 0, r.stderr);
  });

  it('refuses to delete a datastore whose spool still holds undelivered data', () => {
    const ws = tempDir();
    const env = { MDC_WORKSPACE: ws };
    assert.equal(mdc(['datastore', 'create', 'lake', '--type', 's3', '--bucket', 'b'], { env }).code, 0);
    const dir = join(ws, 'spool/lake/dead-instance/files/a');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'x.jsonl'), '{"id":"1"}\n');
    const r = mdc(['datastore', 'delete', 'lake'], { env });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /^error MDC_USAGE: datastore lake has 11 bytes in 1 spool file/);
    assert.equal(mdc(['datastore', 'delete', 'lake', '--force'], { env }).code, 0);
  });
});
