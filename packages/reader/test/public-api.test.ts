import { test } from 'node:test';
import { assertPublicApi } from '@model-data-collector/test-support/public-api';
import * as main from '../src/index.js';
import * as internal from '../src/internal.js';

test('the main export is what a program reading collected data uses (the library section of its README); the rest is under /internal', () => {
  assertPublicApi('@model-data-collector/reader', main, internal, [
    'Reader',
    'describeCollection',
    'planJoin',
    'writeResult',
    'LocalStorage',
    'Staging',
    'datastoreStorage',
    'resolveLocation',
  ]);
});
