import { test } from 'node:test';
import { assertPublicApi } from '@model-data-collector/test-support/public-api';
import * as main from '../src/index.js';
import * as internal from '../src/internal.js';

test('the main export is the datastore contract the SDK and the reader load this package by, plus the stream helpers', () => {
  assertPublicApi('@model-data-collector/nats', main, internal, [
    'createUploader',
    'createStorage',
    'ensureStream',
    'tailStream',
    'eraseFromStream',
  ]);
});
