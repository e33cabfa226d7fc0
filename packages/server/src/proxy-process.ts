import {
  DataCollectorRuntime,
  type DeploymentConfig,
  loadDeploymentFile,
  openWorkspace,
  resolveDeployment,
  UsageError,
} from 'model-data-collector/internal';
import { listenOrFail } from './listen.js';
import { MODEL_IO_MODES, type ModelIoMode } from './model-io/index.js';
import { createProxyServer } from './proxy-server.js';
import { DEFAULT_HOST, urlOf } from './serve.js';
import { untilSignal } from './signals.js';

export interface RunProxyOptions {
  readonly target: string;
  /** Overrides the YAML's `endpoint_name`. */
  readonly endpoint?: string;
  /** Overrides the YAML's `name`. */
  readonly deployment?: string;
  /** A deployment YAML whose `data_collector` decides what is collected. @default request and response on */
  readonly file?: string;
  readonly workspace?: string;
  /** @default 5002; 0 picks a free port */
  readonly port?: number;
  /** @default 127.0.0.1 */
  readonly host?: string;
  readonly collectPaths?: readonly string[];
  readonly maxCaptureBytes?: number;
  /** What is kept of one streamed answer for collection. @default 16777216 (16 MiB) */
  readonly maxStreamCaptureBytes?: number;
  readonly upstreamTimeoutMs?: number;
  readonly logLevel?: string;
  /**
   * Which inference protocol to turn into `model_inputs` / `model_outputs` rows. Without a YAML, a protocol (or
   * `auto`) also turns those collections on. @default `auto` when the YAML enables model_inputs or model_outputs, else `none`
   */
  readonly modelIo?: ModelIoMode;
  /** Column names for 2-D input tensors and positional input rows (see docs/serve.md). */
  readonly featureNames?: readonly string[];
  readonly print?: (line: string) => void;
}

export const DEFAULT_PROXY_PORT = 5002;

/** Runs `mdc proxy` until SIGTERM / SIGINT, then drains and flushes; resolves with the exit code. */
export async function runProxy(options: RunProxyOptions): Promise<number> {
  const print = options.print ?? ((line: string) => process.stdout.write(`${line}\n`));
  const mode = options.modelIo;
  if (mode !== undefined && !MODEL_IO_MODES.includes(mode)) {
    throw new UsageError(`--model-io must be one of ${MODEL_IO_MODES.join(', ')}; got "${mode}"`);
  }
  const wantsRows = mode !== undefined && mode !== 'none';
  const rowCollections = wantsRows
    ? { model_inputs: { enabled: true }, model_outputs: { enabled: true } }
    : {};
  const deployment: DeploymentConfig = options.file
    ? loadDeploymentFile(options.file, '--file')
    : resolveDeployment({
        endpoint_name: options.endpoint,
        name: options.deployment,
        data_collector: {
          collections: { request: { enabled: true }, response: { enabled: true }, ...rowCollections },
        },
      });
  const enabled = (name: string) => deployment.collections?.get(name)?.enabled === true;
  const rowsOn = enabled('model_inputs') || enabled('model_outputs');
  if (wantsRows && !rowsOn) {
    throw new UsageError(
      `--model-io ${mode} writes model_inputs/model_outputs, but ${options.file} enables neither: set data_collector.collections.model_inputs.enabled (and model_outputs.enabled) to 'True'`,
    );
  }
  const protocol = mode ?? (rowsOn ? 'auto' : 'none');
  const runtime = new DataCollectorRuntime({
    workspace: openWorkspace(options.workspace),
    deployment,
    endpoint: options.endpoint,
    deploymentName: options.deployment,
    handleProcessExit: false,
  });
  const proxy = createProxyServer({
    target: options.target,
    runtime,
    collectPaths: options.collectPaths,
    maxCaptureBytes: options.maxCaptureBytes,
    maxStreamCaptureBytes: options.maxStreamCaptureBytes,
    upstreamTimeoutMs: options.upstreamTimeoutMs,
    logLevel: options.logLevel,
    modelIo: protocol === 'none' ? undefined : { protocol, featureNames: options.featureNames },
  });
  const address = await listenOrFail(
    proxy,
    { host: options.host ?? DEFAULT_HOST, port: options.port ?? DEFAULT_PROXY_PORT },
    () => runtime.shutdown(),
  );
  const on = [proxy.payloads.request && 'request', proxy.payloads.response && 'response'].filter(Boolean);
  if (proxy.modelIo) on.push(...['model_inputs', 'model_outputs'].filter(enabled));
  print(`mdc proxy: ${runtime.endpoint}/${runtime.deploymentName} -> ${new URL(options.target).origin}`);
  print(
    `  collections: ${on.length ? on.join(', ') : 'none'} (workspace ${runtime.workspace.dir}, instance ${runtime.instanceId})`,
  );
  if (proxy.modelIo) print(`  model io: ${protocol} (rows from inference requests and responses)`);
  print(`mdc proxy: ready at ${urlOf(address)} (metrics at /-/mdc/metrics)`);
  const signal = await untilSignal(() => runtime.flushSync());
  print(`mdc proxy: ${signal}: draining and flushing collections`);
  await proxy.close();
  print('mdc proxy: stopped');
  return 0;
}
