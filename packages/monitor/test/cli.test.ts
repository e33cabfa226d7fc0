// End to end: data collected by the SDK, then `node packages/cli/dist/bin.js monitor …` (build first).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { Collector, DataCollectorRuntime, resolveDeployment } from 'model-data-collector/internal';
import { parseCsv } from '../src/table.js';

const ROOT = new URL('../../../', import.meta.url).pathname;
const BIN = join(ROOT, 'packages/cli/dist/bin.js');
const TRAIN = join(ROOT, 'models/credit-default/train.csv');
const NOW = Date.UTC(2024, 2, 5, 12, 0, 0);
const HOUR = 3_600_000;

/** Runs the built CLI; a run still going after `timeoutMs` is killed and reported with code -1. */
function mdc(
  args: string[],
  cwd: string,
  timeoutMs = 120_000,
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((done) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      cwd,
      env: { ...process.env, MDC_WORKSPACE: '' },
    });
    let stdout = '';
    let stderr = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) => {
      clearTimeout(timer);
      done({ code: code ?? -1, stdout, stderr });
    });
  });
}

/** The training rows, as row objects. */
function trainingRows(): Record<string, unknown>[] {
  const t = parseCsv(readFileSync(TRAIN, 'utf8'));
  return Array.from({ length: t.rowCount }, (_, i) =>
    Object.fromEntries([...t.columns].map(([k, v]) => [k, v[i]])),
  );
}

/** Collects `rows` as model_inputs (and predictions as model_outputs) at times inside the last day before NOW. */
async function collect(ws: string, rows: Record<string, unknown>[]): Promise<void> {
  let t = NOW - 20 * HOUR;
  const runtime = new DataCollectorRuntime({
    workspace: ws,
    deployment: resolveDeployment({
      endpoint_name: 'credit-default',
      name: 'blue',
      data_collector: {
        collections: { model_inputs: { enabled: 'True' }, model_outputs: { enabled: 'True' } },
      },
    }),
    clock: () => t,
    handleProcessExit: false,
  });
  const inputs = new Collector({ name: 'model_inputs', runtime });
  const outputs = new Collector({ name: 'model_outputs', runtime });
  for (let i = 0; i < rows.length; i += 10) {
    const batch = rows.slice(i, i + 10);
    const features = batch.map(({ DEFAULT: _label, ...f }) => f);
    const ctx = inputs.collect(features);
    outputs.collect(
      batch.map((r) => ({ DEFAULT: r.DEFAULT })),
      ctx,
    );
    t += 60_000;
  }
  await runtime.shutdown();
}

describe('mdc monitor end to end', () => {
  let ws = '';
  let dir = '';
  before(async () => {
    assert.ok(
      statSync(BIN).isFile(),
      'build first: npx tsc -b packages/sdk packages/reader packages/monitor packages/cli',
    );
    dir = mkdtempSync(join(tmpdir(), 'mdc-monitor-e2e-'));
    ws = join(dir, 'ws');
    const rows = trainingRows().slice(0, 600);
    // Production is older and richer than the training sample: AGE +15, LIMIT_BAL ×3, EDUCATION 9 never seen.
    await collect(
      ws,
      rows.map((r, i) => ({
        ...r,
        AGE: Number(r.AGE) + 15,
        LIMIT_BAL: Number(r.LIMIT_BAL) * 3,
        EDUCATION: i % 4 === 0 ? 9 : r.EDUCATION,
      })),
    );
  });

  it('drift from flags: breaches on the shifted columns, exit 3, JSON and HTML', async () => {
    const html = join(dir, 'drift.html');
    const r = await mdc(
      [
        '--workspace',
        ws,
        'monitor',
        'drift',
        '--production',
        'model_inputs',
        '--window',
        'P1D',
        '--reference',
        TRAIN,
        '--target',
        'DEFAULT',
        '--categorical',
        'SEX,EDUCATION,MARRIAGE',
        '--now',
        new Date(NOW).toISOString(),
        '--format',
        'json',
        '--html',
        html,
      ],
      dir,
    );
    assert.equal(r.code, 3, r.stderr);
    const result = JSON.parse(r.stdout);
    const s = result.signals[0];
    assert.equal(s.production.rows, 600);
    assert.equal(s.features.length, 23);
    const f = (name: string) => s.features.find((x: { feature: string }) => x.feature === name);
    assert.equal(f('AGE').status, 'fail');
    assert.equal(f('AGE').metrics[0].metric, 'normalized_wasserstein_distance');
    assert.equal(f('LIMIT_BAL').status, 'fail');
    assert.equal(f('EDUCATION').featureType, 'categorical');
    assert.equal(f('EDUCATION').status, 'fail');
    assert.equal(f('SEX').status, 'pass');
    assert.ok(
      s.findings.some((x: { message: string }) =>
        /EDUCATION: 1 category only in production \("9"\)/.test(x.message),
      ),
    );
    const page = readFileSync(html, 'utf8');
    assert.ok(page.length < 1_000_000);
    assert.match(page, /<svg/);
    assert.doesNotMatch(page, /<script/);
    // value, threshold, alert direction and verdict each in its own cell; no "1.606 ≤ 0.1"-style comparison
    assert.doesNotMatch(page, /[≤≥]/);
    const age = f('AGE').metrics[0];
    const cells = (v: number) => String(Number(v.toPrecision(4)));
    assert.ok(
      page.includes(
        `<tr class="fail"><td>normalized_wasserstein_distance</td><td class="v">${cells(age.value)}</td><td class="v">0.1</td><td>value above it</td><td class="verdict">fail</td></tr>`,
      ),
      'the AGE metric row has value, threshold, direction and verdict apart',
    );
    assert.match(
      page,
      /<tr class="pass"><td>jensen_shannon_distance<\/td><td class="v">[0-9.e-]+<\/td><td class="v">0\.1<\/td><td>value above it<\/td><td class="verdict">pass<\/td><\/tr>/,
    );
  });

  it('passes with exit 0 when production is the training data itself', async () => {
    const ws2 = join(dir, 'ws2');
    await collect(ws2, trainingRows().slice(0, 300));
    const r = await mdc(
      [
        '--workspace',
        ws2,
        'monitor',
        'drift',
        '--production',
        'model_inputs',
        '--window',
        'P1D',
        '--reference',
        TRAIN,
        '--target',
        'DEFAULT',
        '--metrics',
        'normalized_wasserstein_distance,jensen_shannon_distance',
        '--threshold',
        'jensen_shannon_distance=0.3',
        '--now',
        new Date(NOW).toISOString(),
      ],
      dir,
    );
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /23 of 23 features pass/);
  });

  it('exit 4 when the production window is empty, with a finding', async () => {
    const r = await mdc(
      [
        '--workspace',
        ws,
        'monitor',
        'drift',
        '--production',
        'model_inputs',
        '--window',
        'PT1H',
        '--offset',
        'P30D',
        '--reference',
        TRAIN,
        '--now',
        new Date(NOW).toISOString(),
      ],
      dir,
    );
    assert.equal(r.code, 4, r.stdout + r.stderr);
    assert.match(r.stdout, /production window .* has no rows/);
  });

  it('run -f: every signal type, model performance joined with ground truth, history, webhook on breach', async () => {
    const hits: string[] = [];
    const server = createServer((req, res) => {
      let body = '';
      req.on('data', (d) => (body += d));
      req.on('end', () => {
        hits.push(body);
        res.end('ok');
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as AddressInfo).port;
    try {
      // Ground truth arrives later, keyed by each row's id (`<correlationid>_<row>`); half the rows have it.
      const ids = await mdc(['--workspace', ws, 'read', 'model_outputs', '--format', 'jsonl'], dir);
      assert.equal(ids.code, 0, ids.stderr);
      const outputs = ids.stdout
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l));
      const truth = outputs
        .filter((_, i) => i % 2 === 0)
        .map((o, i) => `${o.id},${i % 5 === 0 ? 1 - Number(o.DEFAULT) : o.DEFAULT}`);
      writeFileSync(join(dir, 'truth.csv'), `correlationid,actual\n${truth.join('\n')}\n`);
      writeFileSync(
        join(dir, 'monitor.yml'),
        `name: credit
monitoring_target: { endpoint: credit-default, deployment: blue }
alert_notification: { webhook: "http://127.0.0.1:${port}/hook" }
monitoring_signals:
  inputs:
    type: data_drift
    production_data: { collection: model_inputs, data_window: { lookback_window_size: P1D } }
    reference_data: { path: ${TRAIN}, target_column_name: DEFAULT }
    feature_types: { SEX: categorical, EDUCATION: categorical, MARRIAGE: categorical }
    metric_thresholds:
      numerical: { normalized_wasserstein_distance: 0.1, two_sample_kolmogorov_smirnov_test: 0.01 }
      categorical: { jensen_shannon_distance: 0.1, pearsons_chi_squared_test: 0.01 }
  outputs:
    type: prediction_drift
    production_data: { collection: model_outputs, data_window: { lookback_window_size: P1D } }
    reference_data: { path: ${TRAIN} }
    features: [DEFAULT]
    feature_types: { DEFAULT: categorical }
    metric_thresholds: { categorical: { chebyshev_distance: 0.2, jensen_shannon_distance: 0.1 } }
  quality:
    type: data_quality
    production_data: { collection: model_inputs, data_window: { lookback_window_size: P1D } }
    reference_data: { path: ${TRAIN}, target_column_name: DEFAULT }
    features: [AGE, PAY_0, EDUCATION]
    feature_types: { EDUCATION: categorical }
  performance:
    type: model_performance
    production_data:
      collection: model_outputs
      data_window: { lookback_window_size: P1D }
      data_column_names: { prediction: DEFAULT }
    reference_data: { path: truth.csv, data_column_names: { actual: actual } }
    metric_thresholds: { classification: { accuracy: 0.95, recall: 0.5 } }
`,
      );
      const v = await mdc(['--workspace', ws, 'monitor', 'validate', '-f', 'monitor.yml'], dir);
      assert.equal(v.code, 0, v.stderr);
      assert.match(v.stdout, /ok: .*monitor\.yml \(4 signals\)/);
      const r = await mdc(
        [
          '--workspace',
          ws,
          'monitor',
          'run',
          '-f',
          'monitor.yml',
          '--now',
          new Date(NOW).toISOString(),
          '--format',
          'json',
        ],
        dir,
      );
      assert.equal(r.code, 3, r.stderr);
      const result = JSON.parse(r.stdout);
      const sig = (n: string) => result.signals.find((s: { name: string }) => s.name === n);
      const perf = sig('performance');
      const acc = perf.metrics.find((m: { metric: string }) => m.metric === 'accuracy');
      assert.equal(acc.detail.pairs, 300);
      assert.equal(acc.value, 240 / 300);
      assert.equal(acc.status, 'fail');
      assert.ok(
        perf.findings.some((f: { message: string }) =>
          /300 of 600 production rows have no ground truth/.test(f.message),
        ),
      );
      const q = sig('quality');
      const oob = q.features
        .find((f: { feature: string }) => f.feature === 'EDUCATION')
        .metrics.find((m: { metric: string }) => m.metric === 'out_of_bounds_rate');
      assert.equal(oob.value, 150 / 600);
      assert.equal(sig('outputs').status, 'pass');
      assert.equal(hits.length, 1);
      assert.equal(JSON.parse(hits[0]!).monitor, 'credit');
      // the run is kept next to the collected data
      const hist = join(
        ws,
        'datastores/workspaceblobstore/modelDataCollector/credit-default/blue/model_inputs/monitoring/credit/2024/03/05',
      );
      assert.deepEqual(readdirSync(hist).sort(), ['120000Z.html', '120000Z.json']);
    } finally {
      server.close();
    }
  });

  it('bad configuration fails validate with key paths and exit 2', async () => {
    writeFileSync(
      join(dir, 'bad.yml'),
      'monitoring_signals:\n  a:\n    type: data_drift\n    production_data: { collection: model_inputs, data_window: { lookback_window_size: P1M } }\n    reference_data: { path: nope.csv }\n',
    );
    const r = await mdc(['monitor', 'validate', '-f', 'bad.yml'], dir);
    assert.equal(r.code, 2);
    assert.match(
      r.stderr,
      /error MDC_INVALID_CONFIG: .*monitoring_signals\.a\.production_data\.data_window\.lookback_window_size: /,
    );
    writeFileSync(
      join(dir, 'missing.yml'),
      'monitoring_signals:\n  a:\n    type: data_drift\n    production_data: { collection: model_inputs, data_window: { lookback_window_size: P1D } }\n    reference_data: { path: nope.csv }\n',
    );
    const m = await mdc(['monitor', 'validate', '-f', 'missing.yml'], dir);
    assert.equal(m.code, 2);
    assert.match(
      m.stderr,
      /error MDC_PATH_NOT_FOUND: .*nope\.csv.*monitoring_signals\.a\.reference_data\.path/,
    );
    const u = await mdc(['monitor', 'drift', '--production', 'x', '--window', 'soon'], dir);
    assert.equal(u.code, 2);
    assert.match(u.stderr, /MDC_INVALID_CONFIG: .*lookback_window_size/);
  });

  /**
   * A monitor YAML with `schedule: PT1H` whose production data is a file of training rows 15 years older, so
   * every run breaches on AGE (exit 3) whatever the clock says.
   */
  const scheduledYaml = () => {
    const rows = trainingRows().slice(0, 300);
    writeFileSync(
      join(dir, 'older.csv'),
      `AGE,SEX\n${rows.map((r) => `${Number(r.AGE) + 15},${r.SEX}`).join('\n')}\n`,
    );
    writeFileSync(
      join(dir, 'scheduled.yml'),
      `schedule: PT1H
monitoring_signals:
  inputs:
    type: data_drift
    production_data: { path: older.csv }
    reference_data: { path: ${TRAIN}, target_column_name: DEFAULT }
    features: [AGE, SEX]
`,
    );
    return 'scheduled.yml';
  };

  it('run -f with schedule: in the YAML runs once and exits with the documented code', async () => {
    const file = scheduledYaml();
    const started = Date.now();
    const r = await mdc(['--workspace', ws, 'monitor', 'run', '-f', file, '--no-history'], dir, 30_000);
    assert.equal(r.code, 3, `exit ${r.code} after ${Date.now() - started} ms\n${r.stdout}${r.stderr}`);
    assert.equal(r.stdout.match(/^\S+: fail \(/gm)?.length, 1, 'exactly one run');
    assert.match(r.stdout, /fail {4}AGE: normalized_wasserstein_distance/);
    assert.doesNotMatch(r.stdout + r.stderr, /next run/);
    assert.match(
      r.stderr,
      /note: ran once; scheduled\.yml has schedule PT1H: `mdc monitor schedule -f scheduled\.yml`/,
    );
    // run --every repeats; --runs bounds it (and is refused without --every)
    const twice = await mdc(
      [
        '--workspace',
        ws,
        'monitor',
        'run',
        '-f',
        file,
        '--no-history',
        '--now',
        new Date(NOW).toISOString(),
      ].concat(['--every', 'PT30M', '--runs', '2']),
      dir,
      30_000,
    );
    assert.equal(twice.code, 3, twice.stderr);
    assert.equal(twice.stdout.match(/^\S+: fail \(/gm)?.length, 2);
    assert.match(
      twice.stdout,
      /^next run: 2024-03-05T12:30:00\.000Z \(every PT30M; Ctrl-C or SIGTERM stops\)$/m,
    );
    const bad = await mdc(['--workspace', ws, 'monitor', 'run', '-f', file, '--runs', '2'], dir, 30_000);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--runs needs --every/);
  });

  it('schedule -f runs now, prints the next run time and stops cleanly on SIGTERM', async () => {
    const file = scheduledYaml();
    const child = spawn(
      process.execPath,
      [BIN, '--workspace', ws, 'monitor', 'schedule', '-f', file, '--no-history'],
      { cwd: dir, env: { ...process.env, MDC_WORKSPACE: '' } },
    );
    let stdout = '';
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((done) =>
      child.on('close', (code, signal) => done({ code, signal })),
    );
    const kill = setTimeout(() => child.kill('SIGKILL'), 60_000);
    try {
      const before = Date.now();
      const line = await new Promise<string>((done, fail) => {
        child.stdout.on('data', (d) => {
          stdout += d;
          const m = /^next run: (\S+) \(every PT1H; Ctrl-C or SIGTERM stops\)$/m.exec(stdout);
          if (m) done(m[1]!);
        });
        child.on('close', () => fail(new Error(`exited before printing the next run:\n${stdout}${stderr}`)));
      });
      const next = Date.parse(line);
      // the next run is one schedule interval after this run started
      assert.ok(next > before + 3_600_000 - 60_000 && next <= Date.now() + 3_600_000, line);
      assert.match(stdout, /inputs \[data_drift\]: fail/);
      child.kill('SIGTERM');
      const { code, signal } = await exited;
      assert.equal(signal, null, 'exits by itself, not killed by the signal');
      assert.equal(code, 3, "the exit code is the last run's");
      assert.match(stdout, /stopped by SIGTERM; the exit code is the last run's/);
      assert.equal(stdout.match(/^\S+: fail \(/gm)?.length, 1, 'one run, no second one on SIGTERM');
    } finally {
      clearTimeout(kill);
      child.kill('SIGKILL');
    }
  });

  it('schedule -f refuses a YAML without schedule: and without --every (exit 2)', async () => {
    writeFileSync(
      join(dir, 'unscheduled.yml'),
      `monitoring_signals:\n  a:\n    type: data_drift\n    production_data: { collection: model_inputs, data_window: { lookback_window_size: P1D } }\n    reference_data: { path: ${TRAIN} }\n`,
    );
    const r = await mdc(['--workspace', ws, 'monitor', 'schedule', '-f', 'unscheduled.yml'], dir, 30_000);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /unscheduled\.yml has no schedule: add `schedule: PT1H`.* or pass --every PT1H/);
  });

  it('--every runs on a schedule and writes one dated result per run', async () => {
    const r = await mdc(
      [
        '--workspace',
        ws,
        'monitor',
        'drift',
        '--production',
        'model_inputs',
        '--window',
        'P1D',
        '--reference',
        TRAIN,
        '--target',
        'DEFAULT',
        '--now',
        new Date(NOW).toISOString(),
        '--every',
        'PT1H',
        '--runs',
        '2',
      ],
      dir,
    );
    assert.equal(r.code, 3, r.stderr);
    const hist = join(
      ws,
      'datastores/workspaceblobstore/modelDataCollector/credit-default/blue/model_inputs/monitoring/data-drift/2024/03/05',
    );
    assert.deepEqual(
      readdirSync(hist)
        .filter((f) => f.endsWith('.json'))
        .sort(),
      ['120000Z.json', '130000Z.json'],
    );
  });
});
