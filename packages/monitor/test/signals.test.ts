import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  computeDrift,
  computePerformance,
  computeQuality,
  type FeatureResult,
  MemorySource,
  renderHtml,
  resolveMonitor,
  runMonitor,
  tableFromRows,
} from '../src/index.js';
import { parseCsv } from '../src/table.js';

const DEFAULTS = {
  binning: { method: 'sturges' } as const,
  thresholds: {
    numerical: {
      normalized_wasserstein_distance: 0.1,
      two_sample_kolmogorov_smirnov_test: 0.05,
      jensen_shannon_distance: 0.1,
      population_stability_index: 0.2,
    },
    categorical: {
      jensen_shannon_distance: 0.1,
      pearsons_chi_squared_test: 0.05,
      chebyshev_distance: 0.2,
      population_stability_index: 0.2,
    },
  },
};

function noNaN(value: unknown): void {
  JSON.stringify(value, (_k, v) => {
    if (typeof v === 'number') assert.ok(Number.isFinite(v), 'a non-finite number in the result');
    return v;
  });
}

const byName = (fs: FeatureResult[], name: string) => fs.find((f) => f.feature === name)!;

describe('drift on awkward data', () => {
  const reference = tableFromRows(
    Array.from({ length: 200 }, (_, i) => ({
      age: 20 + (i % 40),
      constant: 5,
      allNull: null,
      withNulls: i % 3 === 0 ? null : i,
      color: ['red', 'green', 'blue'][i % 3],
      mixed: i % 2 ? 'x' : 1,
      onlyRef: i,
    })),
  );
  const production = tableFromRows(
    Array.from({ length: 150 }, (_, i) => ({
      age: 45 + (i % 30),
      constant: 5,
      allNull: null,
      withNulls: i % 2 ? null : i * 2,
      color: ['red', 'purple'][i % 2],
      mixed: 'x',
      onlyProd: 1,
    })),
  );
  const { features, findings } = computeDrift(reference, production, DEFAULTS);

  it('flags the shifted numeric feature and passes the constant one', () => {
    assert.equal(byName(features, 'age').status, 'fail');
    const c = byName(features, 'constant');
    assert.equal(c.status, 'pass');
    assert.equal(c.metrics.find((m) => m.metric === 'normalized_wasserstein_distance')!.value, 0);
  });
  it('reports all-null columns as no data, never NaN', () => {
    const f = byName(features, 'allNull');
    assert.equal(f.status, 'no_data');
    assert.ok(f.metrics.every((m) => m.value === null && m.status === 'no_data'));
    noNaN(features);
  });
  it('handles categories seen in one window only', () => {
    const f = byName(features, 'color');
    assert.equal(f.featureType, 'categorical');
    assert.equal(f.status, 'fail');
    assert.ok(findings.some((x) => x.feature === 'color' && /only in production/.test(x.message)));
    assert.ok(findings.some((x) => x.feature === 'color' && /only in the reference/.test(x.message)));
  });
  it('treats a mixed reference column as categorical, with a finding', () => {
    assert.equal(byName(features, 'mixed').featureType, 'categorical');
    assert.ok(findings.some((x) => x.feature === 'mixed' && /mixes/.test(x.message)));
  });
  it('reports a feature missing from production, and ignores one only production has', () => {
    assert.equal(byName(features, 'onlyRef').status, 'no_data');
    assert.ok(findings.some((x) => x.feature === 'onlyRef' && /production data/.test(x.message)));
    assert.equal(
      features.find((f) => f.feature === 'onlyProd'),
      undefined,
    );
    assert.ok(findings.some((x) => x.feature === 'onlyProd'));
  });
  it('gives an empty production window no-data metrics', () => {
    const r = computeDrift(reference, { rowCount: 0, columns: new Map() }, DEFAULTS);
    assert.ok(r.features.every((f) => f.status === 'no_data'));
    noNaN(r);
  });
});

describe('data quality', () => {
  const reference = tableFromRows([
    { a: 1, c: 'x' },
    { a: 10, c: 'y' },
  ]);
  const production = tableFromRows([
    { a: 5, c: 'x' },
    { a: 11, c: 'z' },
    { a: 'oops', c: null },
    { a: null, c: { o: 1 } },
  ]);
  const t = {
    numerical: { null_value_rate: 0, data_type_error_rate: 0, out_of_bounds_rate: 0 },
    categorical: { null_value_rate: 0, data_type_error_rate: 0, out_of_bounds_rate: 0.5 },
  };
  const { features } = computeQuality(reference, production, { thresholds: t });
  const value = (f: string, m: string) => byName(features, f).metrics.find((x) => x.metric === m)!.value;
  it('counts nulls, type errors and out-of-bounds values as shares of production rows', () => {
    assert.equal(value('a', 'null_value_rate'), 0.25);
    assert.equal(value('a', 'data_type_error_rate'), 0.25);
    assert.equal(value('a', 'out_of_bounds_rate'), 0.25);
    assert.equal(value('c', 'null_value_rate'), 0.25);
    assert.equal(value('c', 'data_type_error_rate'), 0.25);
    assert.equal(value('c', 'out_of_bounds_rate'), 0.25);
    assert.equal(byName(features, 'a').status, 'fail');
  });
});

describe('model performance', () => {
  const production = tableFromRows([
    { id: 'a', p: 1 },
    { id: 'b_0', p: 0 },
    { id: 'b_1', p: 1 },
    { id: 'c', p: 1 },
  ]);
  const truth = parseCsv('correlationid,label\na,1\nb_0,1\nb_1,1\n');
  it('joins on the id and scores what found ground truth', () => {
    const r = computePerformance(production, truth, {
      mlTask: 'classification',
      predictionColumn: 'p',
      actualColumn: 'label',
      thresholds: { accuracy: 0.9 },
    });
    assert.equal(r.matched, 3);
    const acc = r.metrics.find((m) => m.metric === 'accuracy')!;
    assert.equal(acc.value, 2 / 3);
    assert.equal(acc.status, 'fail');
    assert.equal(r.metrics.find((m) => m.metric === 'recall')!.value, 2 / 3);
    assert.equal(r.metrics.find((m) => m.metric === 'precision')!.status, 'info');
    assert.ok(r.findings.some((f) => /1 of 4 production rows/.test(f.message)));
  });
  it('regression metrics', () => {
    const r = computePerformance(
      tableFromRows([
        { id: 'a', p: 2 },
        { id: 'b', p: 5 },
      ]),
      tableFromRows([
        { correlationid: 'a', y: 1 },
        { correlationid: 'b', y: 5 },
      ]),
      {
        mlTask: 'regression',
        predictionColumn: 'p',
        actualColumn: 'y',
        thresholds: { rmse: 0.5 },
      },
    );
    assert.deepEqual(
      r.metrics.map((m) => [m.metric, m.value, m.status]),
      [
        ['mae', 0.5, 'info'],
        ['mse', 0.5, 'info'],
        ['rmse', Math.sqrt(0.5), 'fail'],
      ],
    );
  });
});

describe('monitor run and report', () => {
  it('runs a config over in-memory data, and the HTML stays small and self-contained', async () => {
    const rows = (shift: number, n: number) =>
      Array.from({ length: n }, (_, i) =>
        Object.fromEntries(
          Array.from({ length: 25 }, (_, c) => [
            `f${c}`,
            c % 5 === 0 ? `cat${(i + c) % 7}` : ((i * 7919) % 1000) / 10 + shift,
          ]),
        ),
      );
    const source = new MemorySource(
      { model_inputs: tableFromRows(rows(3, 5000)) },
      { '/train.csv': tableFromRows(rows(0, 5000)) },
    );
    const config = resolveMonitor(
      {
        monitoring_signals: {
          drift: {
            type: 'data_drift',
            production_data: { collection: 'model_inputs', data_window: { lookback_window_size: 'P1D' } },
            reference_data: { path: '/train.csv' },
          },
        },
      },
      '/m.yml',
    );
    const result = await runMonitor(config, source, { nowMs: Date.UTC(2024, 0, 2) });
    assert.equal(result.status, 'fail');
    assert.equal(result.signals[0]!.features.length, 25);
    noNaN(result);
    const html = renderHtml(result);
    assert.ok(html.length < 200_000, `HTML is ${html.length} bytes`);
    assert.ok(!/<script|https?:\/\/(?!www\.w3)/.test(html));
    assert.match(html, /<svg/);
  });
});
