// Error codes: one table in errors.ts, every code documented in the README, every error carrying its code.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import * as sdk from '../src/internal.js';

const README = new URL('../../../README.md', import.meta.url);

describe('error codes', () => {
  it('documents every code of ERROR_CODES in the README', () => {
    const readme = readFileSync(README, 'utf8');
    const missing = Object.keys(sdk.ERROR_CODES).filter((code) => !readme.includes(`\`${code}\``));
    assert.deepEqual(missing, [], `codes not in README.md: ${missing.join(', ')}`);
  });

  it('gives every code the MDC_ prefix and a description', () => {
    for (const [code, text] of Object.entries(sdk.ERROR_CODES)) {
      assert.match(code, /^MDC_[A-Z_]+$/);
      assert.ok(text.length > 10, code);
    }
  });

  it('makes each SDK error class an MdcError with its own code, name and cause', () => {
    const cause = new Error('EIO');
    const cases: [sdk.MdcError, sdk.ErrorCode][] = [
      [new sdk.NotTabularError('x'), 'MDC_NOT_TABULAR'],
      [new sdk.InvalidOptionError('x'), 'MDC_INVALID_OPTION'],
      [new sdk.InvalidConfigError('f.yml', [{ path: 'a.b', message: 'bad' }]), 'MDC_INVALID_CONFIG'],
      [new sdk.InvalidYamlError('f.yml', 'bad'), 'MDC_INVALID_YAML'],
      [new sdk.ConfigNotFoundError('f.yml', 'MDC_DEPLOYMENT_FILE'), 'MDC_CONFIG_NOT_FOUND'],
      [new sdk.InvalidEnvError('MDC_X', 'bad'), 'MDC_INVALID_ENV'],
      [new sdk.TooManyCollectionsError(['a', 'b'], 1), 'MDC_TOO_MANY_COLLECTIONS'],
      [new sdk.QueueFullError('c', 1, '3 events'), 'MDC_QUEUE_FULL'],
      [new sdk.CollectorClosedError('c'), 'MDC_COLLECTOR_CLOSED'],
      [new sdk.WriteFailedError('local:/x', 2, 5, cause), 'MDC_WRITE_FAILED'],
      [new sdk.InvalidPathError('p', 'bad'), 'MDC_INVALID_PATH'],
      [new sdk.UnknownDatastoreError('d', ['workspaceblobstore']), 'MDC_UNKNOWN_DATASTORE'],
      [new sdk.UsageError('x'), 'MDC_USAGE'],
    ];
    for (const [err, code] of cases) {
      assert.ok(err instanceof sdk.MdcError);
      assert.ok(err instanceof Error);
      assert.equal(err.code, code);
      assert.ok(code in sdk.ERROR_CODES, code);
      assert.equal(err.name, err.constructor.name);
    }
    assert.equal(new sdk.WriteFailedError('local:/x', 2, 5, cause).cause, cause);
    assert.match(
      new sdk.InvalidConfigError('f.yml', [{ path: 'a.b', message: 'bad' }]).message,
      /f\.yml: .*a\.b: bad/,
    );
  });
});
