import type { AuthMode } from '@model-data-collector/server/internal';
import type { Command } from 'commander';
import { UsageError } from 'model-data-collector/internal';
import { startRetentionSchedule } from '../retention-schedule.js';
import { exitWhenDone, intOption, logFormat } from './options.js';
import { workspaceOption } from './workspace-option.js';

export function registerServe(program: Command): void {
  program
    .command('serve')
    .description(
      'run a deployment YAML locally: its scoring script (or ONNX / MLflow model) behind POST /score, with the data collection its data_collector asks for',
    )
    .requiredOption(
      '-f, --file <deployment.yml>',
      'online-deployment YAML (paths in it are relative to its folder)',
    )
    .option('-p, --port <port>', 'port to listen on (0: any free port)', intOption('--port', 0, 65535), 5001)
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option(
      '--auth-mode <mode>',
      'key (Authorization: Bearer <key>, see mdc keys show) or none; overrides auth_mode',
    )
    .option(
      '--instance-count <n>',
      'processes sharing the port; overrides instance_count',
      intOption('--instance-count', 1, 64),
    )
    .option(
      '--request-timeout-ms <ms>',
      'run() time limit; overrides request_settings.request_timeout_ms',
      intOption('--request-timeout-ms', 1),
    )
    .option(
      '--max-body-bytes <n>',
      'largest request body accepted (413 above)',
      intOption('--max-body-bytes', 1),
    )
    .option(
      '--drain-timeout-ms <ms>',
      'longest wait for in-flight requests on SIGTERM',
      intOption('--drain-timeout-ms', 0),
      30000,
    )
    .option(
      '--python <interpreter>',
      'Python for a .py scoring script or a Python MLflow model, e.g. .venv/bin/python (default: MDC_PYTHON, else python3)',
    )
    .option('--log-level <level>', 'server log level on stderr (fatal, error, warn, info, debug)', 'info')
    .option(
      '--log-format <format>',
      'human or json log lines on stderr (default: $MDC_LOG_FORMAT, else human on a terminal, json otherwise)',
    )
    .action(async (opts: ServeFlags, cmd: Command) => {
      // Loaded on use: the server (fastify, onnxruntime) stays out of every other command's start-up.
      logFormat(opts.logFormat);
      const { runServe } = await import('@model-data-collector/server/internal');
      const stopRetention = startRetentionSchedule({ workspace: workspaceOption(cmd), file: opts.file });
      const code = await runServe({
        file: opts.file,
        workspace: workspaceOption(cmd),
        port: opts.port,
        host: opts.host,
        authMode: authMode(opts.authMode),
        instanceCount: opts.instanceCount,
        requestTimeoutMs: opts.requestTimeoutMs,
        maxBodyBytes: opts.maxBodyBytes,
        drainTimeoutMs: opts.drainTimeoutMs,
        logLevel: opts.logLevel,
        python: opts.python,
      });
      stopRetention();
      exitWhenDone(code);
    });
}

interface ServeFlags {
  file: string;
  port: number;
  host: string;
  authMode?: string;
  instanceCount?: number;
  requestTimeoutMs?: number;
  maxBodyBytes?: number;
  drainTimeoutMs: number;
  logLevel: string;
  logFormat?: string;
  python?: string;
}

function authMode(v: string | undefined): AuthMode | undefined {
  if (v === undefined) return undefined;
  if (v === 'key' || v === 'none') return v;
  throw new UsageError(`--auth-mode must be key or none; got "${v}"`);
}
