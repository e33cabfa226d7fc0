// The README's drift line and every command of docs/monitoring.md, read out of those files and run as written
// (from a folder laid out like the repository root) on a fresh demo workspace: the text and the tool must agree.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { DEMO_DRIFT } from '../src/demo/credit-data.js';
import { BIN, mdc, ROOT, tempDir } from './helpers.js';

const README = readFileSync(join(ROOT, 'README.md'), 'utf8');
const DOCS = readFileSync(join(ROOT, 'docs/monitoring.md'), 'utf8');

/** The shell commands of a ```sh block: continuation lines joined, comments dropped. */
function commands(block: string): string[] {
  return block
    .replace(/\\\n\s*/g, '')
    .split('\n')
    .map((l) => l.replace(/\s+#.*$/, '').trim())
    .filter((l) => l && !l.startsWith('#'));
}

/** `mdc …` or `npx mdc …` as the argv of the built CLI (the commands use no quoting). */
function argv(command: string): string[] {
  const words = command.split(/\s+/);
  const at = words[0] === 'npx' ? 1 : 0;
  assert.equal(words[at], 'mdc', `not an mdc command: ${command}`);
  assert.ok(!/["'$`|;&<>]/.test(command), `the test runs plain commands only: ${command}`);
  return words.slice(at + 1);
}

/** The features a text report lists as failing. */
function failing(stdout: string): string[] {
  return [...new Set([...stdout.matchAll(/^ {4}fail {4}(\S+): /gm)].map((m) => m[1]!))];
}

describe('the README drift line and docs/monitoring.md on the demo workspace', () => {
  let cwd = '';
  before(() => {
    // A folder laid out like the repository root, so relative paths resolve as they do there and the reports
    // the commands write (drift.html, report.html) land in a temporary folder.
    cwd = tempDir('mdc-docs-');
    for (const d of ['models', 'examples']) symlinkSync(join(ROOT, d), join(cwd, d));
    const demo = mdc(['demo'], { cwd });
    assert.equal(demo.code, 0, demo.stderr);
    assert.ok(existsSync(join(cwd, 'mdc-workspace')), 'the demo writes into ./mdc-workspace');
  });

  it('the README drift command exits 3 and flags only the feature the demo drifts on purpose', () => {
    const drift = `\`${DEMO_DRIFT.feature}\` + ${DEMO_DRIFT.shift} years`;
    assert.ok(README.includes(drift), `the README names the demo's drift (${drift})`);
    const lines = commands(/^npx mdc monitor drift .*$/m.exec(README)?.[0] ?? '');
    assert.equal(lines.length, 1, 'one drift line in the README');
    const args = argv(lines[0]!);
    const r = mdc(args, { cwd });
    assert.equal(r.code, 3, r.stdout + r.stderr);
    assert.deepEqual(failing(r.stdout), [DEMO_DRIFT.feature]);
    assert.match(r.stdout, /^ {4}22 of 23 features pass$/m);
    assert.doesNotMatch(r.stdout, /DEFAULT|no such column|error:/);
    // the same, as JSON: every feature but the drifted one passes
    const json = mdc([...args, '--format', 'json'], { cwd });
    assert.equal(json.code, 3, json.stderr);
    const features = JSON.parse(json.stdout).signals[0].features as { feature: string; status: string }[];
    assert.equal(features.length, 23);
    for (const f of features)
      assert.equal(f.status, f.feature === DEMO_DRIFT.feature ? 'fail' : 'pass', f.feature);
    // left out, the label is compared as a feature; the finding says how to name it as the target
    const t = args.indexOf('--target');
    assert.ok(t > 0, 'the README line names the target');
    const untargeted = mdc([...args.slice(0, t), ...args.slice(t + 2)], { cwd });
    assert.match(
      untargeted.stdout,
      /error: DEFAULT: no such column in the production data; if it is the label, name it as the target \(--target DEFAULT, or reference_data\.target_column_name: DEFAULT\)/,
    );
  });

  it('the monitor YAML shown in docs/monitoring.md is examples/credit-default/monitor.yml', () => {
    const block = /## The monitor YAML\n[\s\S]*?```yaml\n([\s\S]*?)```\n/.exec(DOCS)?.[1];
    assert.equal(block, readFileSync(join(ROOT, 'examples/credit-default/monitor.yml'), 'utf8'));
  });

  it('every command of docs/monitoring.md runs as written, in order, and does what the text says', async () => {
    const block = /```sh\n([\s\S]*?)```/.exec(DOCS)?.[1] ?? '';
    const list = commands(block);
    assert.deepEqual(
      list.map((c) => argv(c).slice(0, 2).join(' ')),
      ['monitor drift', 'monitor validate', 'monitor run', 'monitor schedule'],
      'the commands this test knows what to expect of',
    );
    for (const command of list) {
      const args = argv(command);
      const sub = args[1];
      if (sub === 'schedule') {
        await checkSchedule(args, cwd);
        continue;
      }
      const r = mdc(args, { cwd });
      if (sub === 'drift') {
        assert.equal(r.code, 3, r.stdout + r.stderr);
        assert.deepEqual(failing(r.stdout), [DEMO_DRIFT.feature]);
        assertReport(join(cwd, 'drift.html'));
      } else if (sub === 'validate') {
        assert.equal(r.code, 0, r.stderr);
        assert.match(r.stdout, /^ok: .*examples\/credit-default\/monitor\.yml \(4 signals\)$/m);
        assert.match(r.stdout, /schedule: every PT1H/);
      } else {
        // docs: run exits 3; inputs-drift flags AGE, quality flags AGE, outputs-drift and performance pass
        assert.equal(r.code, 3, r.stderr);
        assert.match(r.stderr, /note: ran once; .* has schedule PT1H/);
        const result = JSON.parse(r.stdout);
        const signal = (name: string) => result.signals.find((s: { name: string }) => s.name === name);
        const fails = (name: string) =>
          signal(name)
            .features.filter((f: { status: string }) => f.status !== 'pass')
            .map((f: { feature: string }) => f.feature);
        assert.equal(signal('inputs-drift').status, 'fail');
        assert.deepEqual(fails('inputs-drift'), [DEMO_DRIFT.feature]);
        assert.equal(signal('quality').status, 'fail');
        assert.deepEqual(fails('quality'), [DEMO_DRIFT.feature]);
        const outputs = signal('outputs-drift');
        assert.equal(outputs.status, 'pass');
        const label = outputs.features.find((f: { feature: string }) => f.feature === 'label');
        assert.equal(label.featureType, 'categorical');
        const perf = signal('performance');
        assert.equal(perf.status, 'pass');
        assert.deepEqual(
          perf.metrics.map((m: { metric: string; status: string }) => `${m.metric} ${m.status}`),
          ['accuracy pass', 'precision pass', 'recall pass'],
        );
        const pairs = perf.metrics[0].detail.pairs;
        assert.equal(pairs, signal('inputs-drift').production.rows, 'every scored row has its ground truth');
        assert.deepEqual(perf.findings, []);
        assertReport(join(cwd, 'report.html'));
      }
    }
  });
});

/** The HTML report: written, and no value set against its threshold with a comparison sign. */
function assertReport(file: string): void {
  const page = readFileSync(file, 'utf8');
  assert.doesNotMatch(page, /[≤≥]/);
  assert.match(page, /<td class="verdict">fail<\/td>/);
}

/** `mdc monitor schedule`: runs now, prints the next run time an hour on, stops on SIGTERM with the run's code. */
async function checkSchedule(args: string[], cwd: string): Promise<void> {
  const child = spawn(process.execPath, [BIN, ...args], { cwd, env: { ...process.env, MDC_WORKSPACE: '' } });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (out += d));
  const exited = new Promise<{ code: number | null; signal: string | null }>((done) =>
    child.on('close', (code, signal) => done({ code, signal })),
  );
  const kill = setTimeout(() => child.kill('SIGKILL'), 60_000);
  try {
    const started = Date.now();
    const next = await new Promise<number>((done, fail) => {
      child.stdout.on('data', () => {
        const m = /^next run: (\S+) \(every PT1H; Ctrl-C or SIGTERM stops\)$/m.exec(out);
        if (m) done(Date.parse(m[1]!));
      });
      child.on('close', () => fail(new Error(`exited before printing the next run:\n${out}`)));
    });
    assert.ok(Math.abs(next - (started + 3_600_000)) < 60_000, new Date(next).toISOString());
    child.kill('SIGTERM');
    const { code, signal } = await exited;
    assert.equal(signal, null, out);
    assert.equal(code, 3, out);
    assert.match(out, /stopped by SIGTERM/);
  } finally {
    clearTimeout(kill);
    child.kill('SIGKILL');
  }
}
