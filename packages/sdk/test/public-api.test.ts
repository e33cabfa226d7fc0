import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as sdk from '../src/index.js';
import * as internal from '../src/internal.js';

test('the main export is what a scoring script uses; the rest is under model-data-collector/internal', () => {
  const errors = Object.keys(sdk).filter((k) => k.endsWith('Error') || k === 'ERROR_CODES');
  const rest = Object.keys(sdk)
    .filter((k) => !errors.includes(k))
    .sort();
  assert.deepEqual(rest, [
    'AGENT',
    'BasicCorrelationContext',
    'Collector',
    'DataCollectorRuntime',
    'MemorySink',
    'VERSION',
    'currentCorrelationContext',
    'getDefaultRuntime',
    'runWithRequestContext',
    'setDefaultRuntime',
  ]);
  // Every error a script may catch is public, with its code table.
  assert.ok(errors.includes('MdcError') && errors.includes('ERROR_CODES'));
  // The internal entry is a superset: the same objects, so a script's Collector and a server's runtime meet.
  for (const k of Object.keys(sdk))
    assert.equal((internal as Record<string, unknown>)[k], (sdk as Record<string, unknown>)[k], k);
  assert.ok(Object.keys(internal).length > Object.keys(sdk).length + 40);
});
