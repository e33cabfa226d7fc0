// Commands that only read a workspace: a typo in --workspace fails and names the folder instead of making it;
// what they say about an empty workspace names it too.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { mdc, tempDir } from './helpers.js';

describe('reading commands', () => {
  it('never create a workspace: a missing one fails with MDC_PATH_NOT_FOUND naming the folder', () => {
    const typo = join(tempDir(), 'mdc-worksapce');
    const commands = [
      ['keys', 'show'],
      ['keys', 'regenerate', '--key-type', 'secondary'],
      ['ls'],
      ['read', 'model_inputs'],
      ['join'],
      ['query', 'SELECT 1'],
      ['data', 'list'],
      ['data', 'show', 'model_inputs'],
      ['datastore', 'list'],
      ['datastore', 'show', 'workspaceblobstore'],
      ['studio', '--port', '0'],
    ];
    for (const args of commands) {
      for (const how of ['option', 'env'] as const) {
        const r =
          how === 'option'
            ? mdc(['--workspace', typo, ...args])
            : mdc(args, { env: { MDC_WORKSPACE: typo } });
        const what = `mdc ${args.join(' ')} (workspace by ${how})`;
        assert.equal(r.code, 2, `${what}: ${r.stderr}`);
        assert.equal(r.stdout, '', what);
        assert.match(
          r.stderr,
          new RegExp(`^error MDC_PATH_NOT_FOUND: workspace ${typo}: does not exist \\(check --workspace`),
          what,
        );
        assert.equal(existsSync(typo), false, `${what} made the folder`);
      }
    }
  });

  it('name the workspace when nothing has been collected in it', () => {
    const ws = tempDir();
    let r = mdc(['data', 'list', '--workspace', ws]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, `no data assets: nothing has been collected in workspace ${ws} yet\n`);
    r = mdc(['read', 'model_inputs', '--workspace', ws]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, new RegExp(`known: none; nothing has been collected in workspace ${ws} yet\\)`));
  });

  it('keys regenerate needs --key-type and says which key it replaced', () => {
    const ws = tempDir();
    const keys = () => JSON.parse(mdc(['keys', 'show', '--json', '--workspace', ws]).stdout);
    const before = keys();
    let r = mdc(['keys', 'regenerate', '--workspace', ws]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /^error MDC_USAGE: required option '--key-type <type>' not specified/);
    assert.deepEqual(keys(), before, 'nothing replaced without --key-type');
    r = mdc(['keys', 'regenerate', '--key-type', 'secondary', '--workspace', ws]);
    assert.equal(r.code, 0, r.stderr);
    const after = keys();
    assert.equal(after.primaryKey, before.primaryKey);
    assert.notEqual(after.secondaryKey, before.secondaryKey);
    assert.equal(r.stdout, `${after.secondaryKey}\n`);
    assert.match(r.stderr, /^regenerated the secondary key \(the old one no longer works/);
  });
});
