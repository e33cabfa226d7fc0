import type { RunProxyOptions } from '@model-data-collector/server/internal';
import type { Command } from 'commander';
import { startRetentionSchedule } from '../retention-schedule.js';
import { exitWhenDone, intOption, logFormat } from './options.js';
import { workspaceOption } from './workspace-option.js';

export function registerProxy(program: Command): void {
  program
    .command('proxy')
    .description(
      'payload-logging reverse proxy for a model server in any language: forwards every request unchanged and collects request/response events',
    )
    .requiredOption('--target <url>', 'the model server, e.g. http://127.0.0.1:8080')
    .option(
      '--endpoint <name>',
      'endpoint name in the data path (default: the YAML endpoint_name, else local-endpoint)',
    )
    .option('--deployment <name>', 'deployment name in the data path (default: the YAML name, else local)')
    .option(
      '-f, --file <deployment.yml>',
      'deployment YAML whose data_collector decides what is collected (default: request and response)',
    )
    .option('-p, --port <port>', 'port to listen on (0: any free port)', intOption('--port', 0, 65535), 5002)
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option(
      '--collect-path <prefix...>',
      'collect only requests under these path prefixes (default: all but GET/HEAD/OPTIONS)',
    )
    .option(
      '--max-capture-bytes <n>',
      'bodies larger than this are forwarded but not collected',
      intOption('--max-capture-bytes', 0),
    )
    .option(
      '--max-stream-capture-bytes <n>',
      'what is kept of one streamed answer (SSE, chunked) for its response event; the client still gets every byte (default: 16 MiB)',
      intOption('--max-stream-capture-bytes', 0),
    )
    .option(
      '--upstream-timeout-ms <ms>',
      'longest wait for the target',
      intOption('--upstream-timeout-ms', 1),
    )
    .option(
      '--model-io <protocol>',
      'turn inference requests/responses into model_inputs/model_outputs rows: auto, none, oip, tfserving, mlflow, azureml, openai (default: auto when the YAML enables model_inputs/model_outputs, else none)',
    )
    .option(
      '--feature-names <names>',
      'comma-separated column names for a 2-D input tensor or positional input rows of that width',
    )
    .option('--log-level <level>', 'log level on stderr', 'info')
    .option(
      '--log-format <format>',
      'human or json log lines on stderr (default: $MDC_LOG_FORMAT, else human on a terminal, json otherwise)',
    )
    .action(async (opts: ProxyFlags, cmd: Command) => {
      logFormat(opts.logFormat);
      const { runProxy } = await import('@model-data-collector/server/internal');
      const stopRetention = startRetentionSchedule({ workspace: workspaceOption(cmd), file: opts.file });
      const code = await runProxy({
        target: opts.target,
        endpoint: opts.endpoint,
        deployment: opts.deployment,
        file: opts.file,
        workspace: workspaceOption(cmd),
        port: opts.port,
        host: opts.host,
        collectPaths: opts.collectPath,
        maxCaptureBytes: opts.maxCaptureBytes,
        maxStreamCaptureBytes: opts.maxStreamCaptureBytes,
        upstreamTimeoutMs: opts.upstreamTimeoutMs,
        logLevel: opts.logLevel,
        modelIo: opts.modelIo as RunProxyOptions['modelIo'],
        featureNames: opts.featureNames
          ?.split(',')
          .map((n) => n.trim())
          .filter((n) => n !== ''),
      });
      stopRetention();
      exitWhenDone(code);
    });
}

interface ProxyFlags {
  target: string;
  endpoint?: string;
  deployment?: string;
  file?: string;
  port: number;
  host: string;
  collectPath?: string[];
  maxCaptureBytes?: number;
  maxStreamCaptureBytes?: number;
  upstreamTimeoutMs?: number;
  logLevel: string;
  logFormat?: string;
  modelIo?: string;
  featureNames?: string;
}
