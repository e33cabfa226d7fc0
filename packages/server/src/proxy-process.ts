import {
  DataCollectorRuntime,
  type DeploymentConfig,
  loadDeploymentFile,
  openWorkspace,
  resolveDeployment,
} from 'model-data-collector';
import { listenOrFail } from './listen.js';
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
  readonly upstreamTimeoutMs?: number;
  readonly logLevel?: string;
  readonly print?: (line: string) => void;
}

export const DEFAULT_PROXY_PORT = 5002;

/** Runs `mdc proxy` until SIGTERM / SIGINT, then drains and flushes; resolves with the exit code. */
export async function runProxy(options: RunProxyOptions): Promise<number> {
  const print = options.print ?? ((line: string) => process.stdout.write(`${line}\n`));
  const deployment: DeploymentConfig = options.file
    ? loadDeploymentFile(options.file, '--file')
    : resolveDeployment({
        endpoint_name: options.endpoint,
        name: options.deployment,
        data_collector: { collections: { request: { enabled: true }, response: { enabled: true } } },
      });
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
    upstreamTimeoutMs: options.upstreamTimeoutMs,
    logLevel: options.logLevel,
  });
  const address = await listenOrFail(
    proxy,
    { host: options.host ?? DEFAULT_HOST, port: options.port ?? DEFAULT_PROXY_PORT },
    () => runtime.shutdown(),
  );
  const on = [proxy.payloads.request && 'request', proxy.payloads.response && 'response'].filter(Boolean);
  print(`mdc proxy: ${runtime.endpoint}/${runtime.deploymentName} -> ${new URL(options.target).origin}`);
  print(
    `  collections: ${on.length ? on.join(', ') : 'none'} (workspace ${runtime.workspace.dir}, instance ${runtime.instanceId})`,
  );
  print(`mdc proxy: ready at ${urlOf(address)} (metrics at /-/mdc/metrics)`);
  const signal = await untilSignal(() => runtime.flushSync());
  print(`mdc proxy: ${signal}: draining and flushing collections`);
  await proxy.close();
  print('mdc proxy: stopped');
  return 0;
}
