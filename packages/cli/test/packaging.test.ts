// The packages as a user gets them from a registry: `npm pack` of every workspace, installed into an empty
// project from the tarballs alone. `npx mdc` works there, `mdc serve` serves a model, a script imports the SDK,
// and the SDK's own install pulls no server, DuckDB, ONNX Runtime or cloud SDK.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ROOT, tempDir } from './helpers.js';

const PACKAGES = ['sdk', 'azure-blob', 's3', 'nats', 'reader', 'monitor', 'server', 'studio', 'cli'];
/** What a scoring script's install must never bring (DESIGN.md: the SDK stays light). */
const HEAVY =
  /^(fastify|@duckdb|onnxruntime-node|@azure|@aws-sdk|apache-arrow|prom-client|undici|commander)$/;

const work = tempDir('mdc-pack-');
after(() => rmSync(work, { recursive: true, force: true }));
const packs = join(work, 'packs');

function run(cmd: string, args: string[], cwd: string, timeout = 300_000) {
  const r = spawnSync(cmd, args, {
    cwd,
    encoding: 'utf8',
    timeout,
    // onnxruntime-node's postinstall downloads GPU add-ons from outside the npm registry (see the README).
    env: { ...process.env, ONNXRUNTIME_NODE_INSTALL: 'skip', npm_config_yes: 'true' },
  });
  assert.equal(r.status, 0, `${cmd} ${args.join(' ')} in ${cwd}:\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

/** A new project with the given tarballs installed (the npm cache serves their dependencies when it can). */
function project(name: string, tarballs: string[]): string {
  const dir = join(work, name);
  run('mkdir', ['-p', dir], work);
  writeFileSync(join(dir, 'package.json'), `${JSON.stringify({ name, private: true, type: 'module' })}\n`);
  run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', ...tarballs], dir);
  return dir;
}

/** Every package folder under node_modules (scoped ones as `@scope/name`). */
function installed(dir: string): string[] {
  const names: string[] = [];
  const walk = (nm: string) => {
    let entries: string[];
    try {
      entries = readdirSync(nm);
    } catch {
      return;
    }
    for (const e of entries) {
      if (e.startsWith('.')) continue;
      if (e.startsWith('@')) {
        for (const s of readdirSync(join(nm, e))) {
          names.push(`${e}/${s}`);
          walk(join(nm, e, s, 'node_modules'));
        }
      } else {
        names.push(e);
        walk(join(nm, e, 'node_modules'));
      }
    }
  };
  walk(join(dir, 'node_modules'));
  return names;
}

describe('npm pack of every package', () => {
  const tarball: Record<string, string> = {};
  before(() => {
    run('mkdir', ['-p', packs], work);
    for (const p of PACKAGES) {
      const out = run('npm', ['pack', '--json', '--pack-destination', packs], join(ROOT, 'packages', p));
      const [info] = JSON.parse(out) as { filename: string }[];
      tarball[p] = join(packs, info!.filename);
    }
  });

  it('the SDK alone installs with no server, DuckDB, ONNX Runtime or cloud SDK, and a script collects with it', () => {
    const dir = project('sdk-only', [tarball.sdk!]);
    const heavy = installed(dir).filter((n) => HEAVY.test(n));
    assert.deepEqual(heavy, [], 'packages a scoring script does not need');
    writeFileSync(
      join(dir, 'score.mjs'),
      `import { Collector } from 'model-data-collector';
const inputs = new Collector({ name: 'model_inputs' });
inputs.collect([{ AGE: 54 }, { AGE: 35 }]);
await inputs.flush();
console.log(JSON.stringify(inputs.stats()));
`,
    );
    const r = spawnSync(process.execPath, ['score.mjs'], {
      cwd: dir,
      encoding: 'utf8',
      env: { ...process.env, MDC_WORKSPACE: join(dir, 'ws'), MDC_INSTANCE_ID: 'pack' },
    });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(JSON.parse(r.stdout).written, 1);
    const file = join(
      dir,
      'ws/datastores/workspaceblobstore/modelDataCollector/local-endpoint/local/model_inputs',
    );
    const found = spawnSync('find', [file, '-name', 'pack.jsonl'], { encoding: 'utf8' }).stdout.trim();
    assert.ok(found, `no pack.jsonl under ${file}`);
    assert.deepEqual(JSON.parse(readFileSync(found, 'utf8')).data, [{ AGE: 54 }, { AGE: 35 }]);
  });

  it('all tarballs install into an empty project: npx mdc --help, and mdc serve answers and collects', async () => {
    const dir = project(
      'all',
      PACKAGES.map((p) => tarball[p]!),
    );
    const help = spawnSync('npx', ['--no-install', 'mdc', '--help'], { cwd: dir, encoding: 'utf8' });
    assert.equal(help.status, 0, help.stderr);
    assert.match(help.stdout, /serve \[options\]/);
    writeFileSync(
      join(dir, 'deployment.yml'),
      `name: blue\nendpoint_name: packed\nmodel:\n  path: ${join(ROOT, 'models/credit-default/model.onnx')}\n` +
        "data_collector:\n  collections:\n    model_inputs: {enabled: 'True'}\n    response: {enabled: 'True'}\n",
    );
    // The installed bin itself (npx would not pass SIGTERM on to it).
    const child = spawn(
      join(dir, 'node_modules/.bin/mdc'),
      ['serve', '-f', 'deployment.yml', '--port', '0', '--workspace', 'ws'],
      { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const exited = new Promise((r) => child.once('exit', r));
    try {
      let out = '';
      const url = await new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`not ready:\n${out}`)), 60_000);
        child.stdout!.setEncoding('utf8').on('data', (d: string) => {
          out += d;
          const m = /ready at (http:\/\/[^\s/]+)/.exec(out);
          if (m) {
            clearTimeout(timer);
            resolve(m[1]!);
          }
        });
      });
      const sample = JSON.parse(
        readFileSync(join(ROOT, 'models/credit-default/sample-requests.json'), 'utf8'),
      );
      const body = JSON.stringify({ dataframe_split: sample.dataframe_split });
      const res = await fetch(`${url}/score`, {
        method: 'POST',
        body,
        headers: { 'content-type': 'application/json', 'x-request-id': 'packed-1' },
      });
      assert.equal(res.status, 200, await res.text());
    } finally {
      child.kill('SIGTERM');
      await exited;
    }
    const read = spawnSync(
      'npx',
      ['--no-install', 'mdc', 'read', 'model_inputs', '--workspace', 'ws', '--format', 'jsonl'],
      {
        cwd: dir,
        encoding: 'utf8',
      },
    );
    assert.equal(read.status, 0, read.stderr);
    assert.match(read.stdout, /"correlationid":"packed-1"/);
  });
});
