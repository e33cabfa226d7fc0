import { test } from 'node:test';
import { assertPublicApi } from '@model-data-collector/test-support/public-api';
import * as main from '../src/index.js';
import * as internal from '../src/internal.js';

test('the main export runs mdc from a program; the helpers its commands share are under /internal', () => {
  assertPublicApi('@model-data-collector/cli', main, internal, ['main', 'buildProgram']);
});
