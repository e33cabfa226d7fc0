import { test } from 'node:test';
import { assertPublicApi } from '@model-data-collector/test-support/public-api';
import * as main from '../src/index.js';
import * as internal from '../src/internal.js';

test('the main export starts the studio (docs/studio.md); its parts are under /internal', () => {
  assertPublicApi('@model-data-collector/studio', main, internal, ['startStudio', 'createStudio']);
});
