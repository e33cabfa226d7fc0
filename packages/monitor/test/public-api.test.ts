import { test } from 'node:test';
import { assertPublicApi } from '@model-data-collector/test-support/public-api';
import * as main from '../src/index.js';
import * as internal from '../src/internal.js';

test('the main export is what the library section of docs/monitoring.md uses; metric tables, windows, history and parsing are under /internal', () => {
  assertPublicApi('@model-data-collector/monitor', main, internal, [
    'loadMonitorFile',
    'resolveMonitor',
    'runMonitor',
    'ReaderSource',
    'MemorySource',
    'computeDrift',
    'computeQuality',
    'computePerformance',
    'renderHtml',
    'renderText',
    'stats',
    'tableFromRows',
  ]);
});
