import { test } from 'node:test';
import { assertPublicApi } from '@model-data-collector/test-support/public-api';
import * as main from '../src/index.js';
import * as internal from '../src/internal.js';

test('the main export runs mdc serve, proxy and sidecar as functions and serves a deployment in-process; the parts of the servers are under /internal', () => {
  assertPublicApi('@model-data-collector/server', main, internal, [
    'runServe',
    'runProxy',
    'runSidecar',
    'prepareDeployment',
    'startInstance',
    'urlOf',
    'DEFAULT_HOST',
    'DEFAULT_PORT',
    'createSidecar',
    'DEFAULT_SIDECAR_PORT',
    'SIDECAR_PATH',
    'ModelLoadError',
    'OnnxScorerError',
    'ScoringFailedError',
    'ScoringInputError',
    'ONNX_ERROR_CODES',
  ]);
});
