import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import {
  type DataSource,
  DRIFT_METRICS,
  durationOption,
  loadMonitorFile,
  METRIC_DEFAULT_THRESHOLDS,
  type MonitorConfig,
  type MonitorResult,
  postWebhook,
  QUALITY_METRICS,
  ReaderSource,
  renderHtml,
  renderText,
  resolveMonitor,
  runMonitor,
  windowQuery,
  writeHistory,
} from '@model-data-collector/monitor/internal';
import { type Command, Option } from 'commander';
import {
  openWorkspace,
  PathNotFoundError,
  UsageError,
  WebhookFailedError,
} from 'model-data-collector/internal';
import { workspaceOption } from './workspace-option.js';

/** Exit codes of `mdc monitor run|schedule|drift` besides 0 (all pass), 1 (unexpected) and 2 (bad input). */
export const EXIT_BREACH = 3;
export const EXIT_INCOMPLETE = 4;

interface RunFlags {
  format: 'text' | 'json';
  html?: string;
  json?: string;
  now?: string;
  every?: string;
  runs?: number;
  webhook?: string;
  history: boolean;
}

function nowOption(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const ms = Date.parse(/[zZ]|[+-]\d\d:?\d\d$/.test(text) || !/T/.test(text) ? text : `${text}Z`);
  if (!Number.isFinite(ms)) throw new UsageError(`--now must be an ISO 8601 time; got "${text}"`);
  return ms;
}

function runOptions(cmd: Command): Command {
  return cmd
    .addOption(new Option('--format <format>', 'what to print').choices(['text', 'json']).default('text'))
    .option('--html <file>', 'also write the self-contained HTML report here')
    .option('--json <file>', 'also write the JSON result here')
    .option('--now <time>', 'end of the windows (ISO 8601; default: now)')
    .option(
      '--every <duration>',
      'repeat on this schedule, e.g. PT1H (ISO 8601); stop with Ctrl-C or SIGTERM',
    )
    .option('--runs <n>', 'on a schedule: stop after this many runs', (v) => {
      const n = Number(v);
      if (!Number.isInteger(n) || n < 1)
        throw new UsageError(`--runs must be a positive integer; got "${v}"`);
      return n;
    })
    .option('--webhook <url>', 'POST the JSON result here when a threshold is breached')
    .option('--no-history', 'do not keep this run under <collection>/monitoring/<monitor>/<yyyy>/<MM>/<dd>/');
}

/** Checks what can be checked without reading data: files named by the config exist. */
function checkFiles(config: MonitorConfig): void {
  for (const s of config.signals) {
    for (const [ref, what] of [
      [s.production, 'production_data.path'],
      [s.reference, 'reference_data.path'],
    ] as const) {
      if (ref.kind === 'file' && !existsSync(ref.path))
        throw new PathNotFoundError(ref.path, `does not exist (monitoring_signals.${s.name}.${what})`);
    }
  }
}

async function historyFolder(
  config: MonitorConfig,
  source: DataSource,
  cmd: Command,
  nowMs: number,
): Promise<string> {
  for (const s of config.signals) {
    if (s.production.kind !== 'collection' || !source.historyFolder) continue;
    const folder = await source.historyFolder(windowQuery(s.production, nowMs)).catch(() => undefined);
    if (folder) return folder;
  }
  return openWorkspace(workspaceOption(cmd)).dir;
}

async function once(
  config: MonitorConfig,
  source: DataSource,
  flags: RunFlags,
  cmd: Command,
  nowMs: number,
): Promise<MonitorResult> {
  const result = await runMonitor(config, source, { nowMs });
  if (flags.format === 'json') process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  else process.stdout.write(renderText(result));
  if (flags.html) {
    await mkdir(dirname(resolve(flags.html)), { recursive: true });
    await writeFile(flags.html, renderHtml(result));
  }
  if (flags.json) {
    await mkdir(dirname(resolve(flags.json)), { recursive: true });
    await writeFile(flags.json, `${JSON.stringify(result, null, 2)}\n`);
  }
  if (flags.history) {
    const file = await writeHistory(await historyFolder(config, source, cmd, nowMs), result);
    if (flags.format !== 'json') process.stdout.write(`results: ${file}\n`);
  }
  const webhook = flags.webhook ?? config.webhook;
  if (webhook && result.status === 'fail') {
    try {
      const status = await postWebhook(webhook, result);
      if (status < 200 || status >= 300) throw new WebhookFailedError(webhook, `answered HTTP ${status}`);
    } catch (err) {
      const e =
        err instanceof WebhookFailedError
          ? err
          : new WebhookFailedError(webhook, (err as Error).message, { cause: err });
      process.stderr.write(`warning ${e.code}: ${e.message}\n`);
    }
  }
  return result;
}

function exitCode(status: MonitorResult['status']): number {
  return status === 'fail' ? EXIT_BREACH : status === 'incomplete' ? EXIT_INCOMPLETE : 0;
}

/** `PT1H` for one hour: how a schedule is written back to the user. */
function isoDuration(ms: number): string {
  const s = ms / 1000;
  const d = Math.floor(s / 86_400);
  const h = Math.floor((s % 86_400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = Math.round((s % 60) * 1000) / 1000;
  const time = `${h ? `${h}H` : ''}${m ? `${m}M` : ''}${sec ? `${sec}S` : ''}`;
  return `P${d ? `${d}D` : ''}${time ? `T${time}` : d ? '' : 'T0S'}`;
}

/**
 * Runs the monitor once, or every `everyMs` until SIGINT/SIGTERM (or `--runs`). On a schedule, each run's results
 * land in a new dated file, the time of the next run is printed after each run, and the exit code is the last
 * run's.
 */
async function execute(
  config: MonitorConfig,
  flags: RunFlags,
  cmd: Command,
  everyMs: number | undefined,
): Promise<void> {
  checkFiles(config);
  const fixedNow = nowOption(flags.now);
  const source = await ReaderSource.open({ workspace: workspaceOption(cmd) });
  try {
    if (everyMs === undefined) {
      const result = await once(config, source, flags, cmd, fixedNow ?? Date.now());
      process.exitCode = exitCode(result.status);
      return;
    }
    // Progress lines go to stderr with --format json, so stdout stays one JSON document per run.
    const say = (line: string) =>
      (flags.format === 'json' ? process.stderr : process.stdout).write(`${line}\n`);
    const stop = new AbortController();
    let signalName = '';
    const onSignal = (name: NodeJS.Signals) => {
      signalName = name;
      stop.abort();
    };
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    try {
      // With --now the first run's windows end then, and each later run's one interval later; runs whose time
      // has already passed run at once (a backfill), later ones wait for their time.
      let slot = fixedNow ?? Date.now();
      for (let run = 1; ; run++) {
        const result = await once(config, source, flags, cmd, fixedNow === undefined ? Date.now() : slot);
        process.exitCode = exitCode(result.status);
        if (flags.runs !== undefined && run >= flags.runs) return;
        if (stop.signal.aborted) break;
        slot += everyMs;
        // A run that took longer than the interval is not repeated at once for every slot it missed.
        if (fixedNow === undefined) while (slot <= Date.now()) slot += everyMs;
        say(
          `next run: ${new Date(slot).toISOString()} (every ${isoDuration(everyMs)}; Ctrl-C or SIGTERM stops)`,
        );
        const wait = Math.max(0, slot - Date.now());
        await new Promise<void>((done) => {
          const t = setTimeout(done, wait);
          stop.signal.addEventListener('abort', () => {
            clearTimeout(t);
            done();
          });
        });
        if (stop.signal.aborted) break;
      }
      say(`stopped by ${signalName}; the exit code is the last run's`);
    } finally {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    }
  } finally {
    await source.close?.();
  }
}

const list = (v: string) =>
  v
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);

interface DriftFlags extends RunFlags {
  production: string;
  window: string;
  offset?: string;
  reference?: string;
  referenceWindow?: string;
  referenceOffset?: string;
  endpoint?: string;
  deployment?: string;
  type: string;
  features?: string[];
  target?: string;
  categorical?: string[];
  metrics?: string[];
  threshold?: string[];
  bins?: number;
}

/** The YAML a `mdc monitor drift` command line stands for, validated like a file. */
export function driftFlagsToConfig(flags: DriftFlags): MonitorConfig {
  const window = {
    lookback_window_size: flags.window,
    ...(flags.offset ? { lookback_window_offset: flags.offset } : {}),
  };
  const fileRef =
    flags.reference !== undefined && /\.(csv|jsonl|ndjson|json|parquet)$/i.test(flags.reference);
  const reference = flags.reference
    ? fileRef
      ? { path: resolve(flags.reference) }
      : {
          collection: flags.reference,
          data_window: {
            lookback_window_size: flags.referenceWindow ?? flags.window,
            lookback_window_offset:
              flags.referenceOffset ??
              `PT${(2 * durationOption(flags.window, '--window') + (flags.offset ? durationOption(flags.offset, '--offset', true) : 0)) / 1000}S`,
          },
        }
    : undefined;
  const thresholds: Record<string, Record<string, number>> = {};
  const quality = flags.type === 'data_quality';
  const known: Record<'numerical' | 'categorical', readonly string[]> = quality
    ? { numerical: QUALITY_METRICS, categorical: QUALITY_METRICS }
    : DRIFT_METRICS;
  const defaults: Readonly<Record<string, number>> = METRIC_DEFAULT_THRESHOLDS;
  const explicit = new Map<string, number>();
  for (const t of flags.threshold ?? []) {
    const m = /^([a-z_]+)=(.+)$/.exec(t);
    if (!m || !Number.isFinite(Number(m[2])))
      throw new UsageError(`--threshold takes metric=value (e.g. jensen_shannon_distance=0.2); got "${t}"`);
    if (!(m[1]! in defaults))
      throw new UsageError(
        `--threshold: unknown metric "${m[1]}"; expected one of ${Object.keys(defaults).join(', ')}`,
      );
    explicit.set(m[1]!, Number(m[2]));
  }
  const wanted = flags.metrics ?? (explicit.size ? [...explicit.keys()] : undefined);
  if (wanted) {
    for (const metric of wanted) {
      if (!(metric in defaults))
        throw new UsageError(
          `--metrics: unknown metric "${metric}"; expected one of ${Object.keys(defaults).join(', ')}`,
        );
      for (const kind of ['numerical', 'categorical'] as const) {
        if (!known[kind].includes(metric)) continue;
        const map = thresholds[kind] ?? {};
        map[metric] = explicit.get(metric) ?? defaults[metric]!;
        thresholds[kind] = map;
      }
    }
  }
  return resolveMonitor(
    {
      name: flags.type.replace('_', '-'),
      ...(flags.endpoint || flags.deployment
        ? {
            monitoring_target: {
              ...(flags.endpoint ? { endpoint: flags.endpoint } : {}),
              ...(flags.deployment ? { deployment: flags.deployment } : {}),
            },
          }
        : {}),
      monitoring_signals: {
        [flags.type.replace('_', '-')]: {
          type: flags.type,
          production_data: { collection: flags.production, data_window: window },
          ...(reference
            ? {
                reference_data: {
                  ...reference,
                  ...(flags.target ? { target_column_name: flags.target } : {}),
                },
              }
            : {}),
          ...(flags.features ? { features: flags.features } : {}),
          ...(flags.categorical
            ? { feature_types: Object.fromEntries(flags.categorical.map((c) => [c, 'categorical'])) }
            : {}),
          ...(flags.bins ? { binning: { bins: flags.bins } } : {}),
          ...(Object.keys(thresholds).length ? { metric_thresholds: thresholds } : {}),
        },
      },
    },
    undefined,
  );
}

function printValidation(config: MonitorConfig, json: boolean): void {
  if (json) {
    process.stdout.write(`${JSON.stringify(config, null, 2)}\n`);
    return;
  }
  process.stdout.write(
    `ok: ${config.file ?? config.name} (${config.signals.length} signal${config.signals.length === 1 ? '' : 's'})\n`,
  );
  const ref = (r: MonitorConfig['signals'][number]['production']) =>
    r.kind === 'file'
      ? r.path
      : `${r.collection}${r.window ? ` window ${r.window.size} offset ${r.window.offset}` : ''}`;
  for (const s of config.signals) {
    process.stdout.write(
      `  ${s.name} [${s.type}]\n    production: ${ref(s.production)}\n    reference:  ${ref(s.reference)}\n`,
    );
    const t =
      s.type === 'model_performance'
        ? Object.entries(s.performanceThresholds)
        : [
            ...Object.entries(s.thresholds.numerical).map(([k, v]) => [`numerical ${k}`, v] as const),
            ...Object.entries(s.thresholds.categorical).map(([k, v]) => [`categorical ${k}`, v] as const),
          ];
    for (const [k, v] of t) process.stdout.write(`    ${k}: ${v}\n`);
  }
  if (config.everyMs)
    process.stdout.write(`  schedule: every ${isoDuration(config.everyMs)} (used by mdc monitor schedule)\n`);
  if (config.webhook) process.stdout.write(`  webhook: ${config.webhook}\n`);
}

export function registerMonitor(program: Command): void {
  const monitor = program
    .command('monitor')
    .description('data drift, prediction drift, data quality and model performance over collected data')
    .addHelpText(
      'after',
      `\nExit codes of run, schedule and drift: 0 every metric passes, ${EXIT_BREACH} a threshold is breached, ${EXIT_INCOMPLETE} some metric had no data\n(and nothing breached), 2 bad configuration or input, 1 unexpected failure. See docs/monitoring.md.`,
    );

  monitor
    .command('validate')
    .description('check a monitor YAML (key paths in every error) without reading any data')
    .requiredOption('-f, --file <monitor.yml>', 'monitor definition')
    .option('--json', 'print the resolved definition as JSON')
    .action((opts: { file: string; json?: boolean }) => {
      const config = loadMonitorFile(opts.file);
      checkFiles(config);
      printValidation(config, opts.json === true);
    });

  runOptions(
    monitor
      .command('run')
      .description(
        "run every signal of a monitor YAML once and exit (the YAML's schedule is for `mdc monitor schedule`; --every repeats)",
      )
      .requiredOption('-f, --file <monitor.yml>', 'monitor definition'),
  ).action(async (opts: RunFlags & { file: string }, cmd: Command) => {
    const config = loadMonitorFile(opts.file);
    const everyMs = opts.every ? durationOption(opts.every, '--every') : undefined;
    if (opts.runs !== undefined && everyMs === undefined)
      throw new UsageError('--runs needs --every (or use `mdc monitor schedule`)');
    if (everyMs === undefined && config.everyMs !== undefined)
      process.stderr.write(
        `note: ran once; ${opts.file} has schedule ${isoDuration(config.everyMs)}: \`mdc monitor schedule -f ${opts.file}\` runs it on that schedule\n`,
      );
    await execute(config, opts, cmd, everyMs);
  });

  runOptions(
    monitor
      .command('schedule')
      .description(
        'run every signal of a monitor YAML now and then on its `schedule:` (or --every) until Ctrl-C or SIGTERM; prints the next run time',
      )
      .requiredOption('-f, --file <monitor.yml>', 'monitor definition'),
  ).action(async (opts: RunFlags & { file: string }, cmd: Command) => {
    const config = loadMonitorFile(opts.file);
    const everyMs = opts.every ? durationOption(opts.every, '--every') : config.everyMs;
    if (everyMs === undefined)
      throw new UsageError(
        `${opts.file} has no schedule: add \`schedule: PT1H\` (an ISO 8601 duration) to it, or pass --every PT1H`,
      );
    await execute(config, opts, cmd, everyMs);
  });

  runOptions(
    monitor
      .command('drift')
      .description('one drift (or data quality) signal from flags, no YAML')
      .requiredOption(
        '--production <collection>',
        'collection or data asset of production data, e.g. model_inputs',
      )
      .requiredOption('--window <duration>', 'production window, ISO 8601 (P1D, PT6H)')
      .option('--offset <duration>', 'end the production window this long before now', 'P0D')
      .option(
        '--reference <file|collection>',
        'training data (.csv, .jsonl, .parquet) or a collection (default: the production collection)',
      )
      .option('--reference-window <duration>', 'size of a collection reference window (default: --window)')
      .option(
        '--reference-offset <duration>',
        'offset of a collection reference window (default: twice --window)',
      )
      .option('--endpoint <name>', 'endpoint of the collection')
      .option('--deployment <name>', 'deployment of the collection')
      .addOption(
        new Option('--type <type>', 'signal type')
          .choices(['data_drift', 'prediction_drift', 'data_quality'])
          .default('data_drift'),
      )
      .option('--features <list>', 'comma-separated columns (default: all)', list)
      .option('--target <column>', 'label column of the reference, left out of the features')
      .option('--categorical <list>', 'comma-separated numeric columns to treat as categories', list)
      .option(
        '--metrics <list>',
        'comma-separated metrics (default: normalized Wasserstein and Jensen-Shannon)',
        list,
      )
      .option('--threshold <metric=value...>', 'override a threshold, e.g. jensen_shannon_distance=0.2')
      .option('--bins <n>', 'fixed number of histogram bins instead of Sturges', (v) => {
        const n = Number(v);
        if (!Number.isInteger(n) || n < 1)
          throw new UsageError(`--bins must be a positive integer; got "${v}"`);
        return n;
      }),
  ).action(async (opts: DriftFlags, cmd: Command) => {
    const everyMs = opts.every ? durationOption(opts.every, '--every') : undefined;
    if (opts.runs !== undefined && everyMs === undefined) throw new UsageError('--runs needs --every');
    await execute(
      driftFlagsToConfig({ ...opts, history: opts.history && everyMs !== undefined }),
      { ...opts, history: opts.history && everyMs !== undefined },
      cmd,
      everyMs,
    );
  });
}
