import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { InvalidConfigError } from 'model-data-collector/internal';
import { loadMonitorFile, parseDurationMs, resolveMonitor } from '../src/internal.js';

function issues(value: unknown): string[] {
  try {
    resolveMonitor(value, '/x/monitor.yml');
  } catch (err) {
    assert.ok(err instanceof InvalidConfigError, String(err));
    assert.equal(err.code, 'MDC_INVALID_CONFIG');
    return err.issues.map((i) => `${i.path}: ${i.message}`);
  }
  assert.fail('expected MDC_INVALID_CONFIG');
}

const prod = { collection: 'model_inputs', data_window: { lookback_window_size: 'P7D' } };

describe('monitor YAML validation', () => {
  it('accepts a full definition and fills defaults', () => {
    const c = resolveMonitor(
      {
        name: 'credit',
        monitoring_target: { endpoint: 'credit-default', deployment: 'blue' },
        schedule: 'PT1H',
        alert_notification: { webhook: 'http://127.0.0.1:9/hook' },
        monitoring_signals: {
          drift: {
            type: 'data_drift',
            production_data: prod,
            reference_data: { path: 'train.csv', target_column_name: 'DEFAULT' },
          },
          self: { type: 'prediction_drift', production_data: prod },
          quality: { type: 'data_quality', production_data: prod, reference_data: { path: 'train.csv' } },
        },
      },
      '/x/monitor.yml',
    );
    assert.equal(c.everyMs, 3_600_000);
    const [drift, self, quality] = c.signals;
    assert.deepEqual(drift!.reference, { kind: 'file', path: '/x/train.csv' });
    assert.deepEqual(drift!.thresholds.numerical, { normalized_wasserstein_distance: 0.1 });
    assert.deepEqual(drift!.thresholds.categorical, { jensen_shannon_distance: 0.1 });
    assert.equal(drift!.targetColumn, 'DEFAULT');
    // reference defaults to the same collection, offset by twice the production window
    assert.ok(self!.reference.kind === 'collection' && self!.reference.window?.offsetMs === 14 * 86_400_000);
    assert.ok(self!.production.kind === 'collection' && self!.production.endpoint === 'credit-default');
    assert.deepEqual(quality!.thresholds.numerical, {
      null_value_rate: 0,
      data_type_error_rate: 0,
      out_of_bounds_rate: 0,
    });
  });

  it('names the key path of every problem', () => {
    const got = issues({
      schedule: 'every hour',
      monitoring_signals: {
        a: { type: 'data_drfit', production_data: prod },
        b: {
          type: 'data_drift',
          production_data: { collection: 'x', data_window: { lookback_window_size: 'P1M' } },
          metric_thresholds: {
            numerical: { jensen_shannon: 0.1 },
            categorical: { jensen_shannon_distance: 'high' },
          },
        },
        c: { type: 'data_quality', production_data: { path: 'a.txt' } },
        d: { type: 'model_performance', production_data: prod },
        e: {
          type: 'data_drift',
          production_data: { collection: 'x' },
          features: { top_n_feature_importance: 3 },
        },
      },
    });
    const has = (re: RegExp) =>
      assert.ok(
        got.some((g) => re.test(g)),
        `no issue matching ${re} in\n${got.join('\n')}`,
      );
    has(/^schedule: /);
    has(/^monitoring_signals\.a\.type: expected one of data_drift/);
    has(/^monitoring_signals\.b\.production_data\.data_window\.lookback_window_size: .*P1M/);
    has(/^monitoring_signals\.b\.metric_thresholds\.categorical\.jensen_shannon_distance: expected a number/);
    has(/^monitoring_signals\.c\.production_data\.path: path must end/);
    has(/^monitoring_signals\.d\.reference_data: /);
    has(/^monitoring_signals\.e\.feature_importance: /);
    has(/^monitoring_signals\.e\.production_data\.data_window: /);
  });

  it('reports unknown metric names with the allowed ones', () => {
    const got = issues({
      monitoring_signals: {
        b: {
          type: 'data_drift',
          production_data: prod,
          metric_thresholds: { numerical: { jensen_shannon: 0.1 } },
        },
      },
    });
    assert.match(
      got.join('\n'),
      /monitoring_signals\.b\.metric_thresholds\.numerical\.jensen_shannon: not a numerical metric of data_drift; expected one of/,
    );
  });

  it('checks metric names by signal type even when another threshold is not a number', () => {
    const got = issues({
      monitoring_signals: {
        q: {
          type: 'data_quality',
          production_data: prod,
          metric_thresholds: {
            numerical: { jensen_shannon_distance: 0.1 },
            categorical: { null_value_rate: 'x' },
          },
        },
        p: {
          type: 'model_performance',
          production_data: { ...prod, data_column_names: { prediction: 'p' } },
          reference_data: { path: 'gt.csv', target_column_name: 'y' },
          metric_thresholds: { numerical: { accuracy: 1 } },
        },
      },
    });
    assert.deepEqual(got.sort(), [
      'monitoring_signals.p.metric_thresholds.numerical: model_performance takes classification or regression thresholds, not numerical',
      'monitoring_signals.q.metric_thresholds.categorical.null_value_rate: expected a number',
      'monitoring_signals.q.metric_thresholds.numerical.jensen_shannon_distance: not a numerical metric of data_quality; expected one of null_value_rate, data_type_error_rate, out_of_bounds_rate',
    ]);
  });

  it('reports unknown keys and an empty signal map', () => {
    assert.match(issues({ monitoring_signals: {}, colour: 1 }).join('\n'), /colour/);
    assert.match(
      issues({ monitoring_signals: {} }).join('\n'),
      /monitoring_signals: define at least one signal/,
    );
  });

  it('loads a file: bad YAML and a missing file have their own codes', () => {
    const dir = mkdtempSync(join(tmpdir(), 'mdc-monitor-config-'));
    writeFileSync(join(dir, 'bad.yml'), 'monitoring_signals: [\n');
    assert.throws(() => loadMonitorFile(join(dir, 'bad.yml')), { code: 'MDC_INVALID_YAML' });
    assert.throws(() => loadMonitorFile(join(dir, 'none.yml')), { code: 'MDC_CONFIG_NOT_FOUND' });
  });

  it('parses ISO 8601 durations', () => {
    assert.equal(parseDurationMs('P7D'), 7 * 86_400_000);
    assert.equal(parseDurationMs('PT1H30M'), 5_400_000);
    assert.equal(parseDurationMs('P1DT12H'), 36 * 3_600_000);
    assert.equal(parseDurationMs('P2W'), 14 * 86_400_000);
    assert.equal(parseDurationMs('P1M'), undefined);
    assert.equal(parseDurationMs('PT'), undefined);
    assert.equal(parseDurationMs('7d'), undefined);
  });
});
