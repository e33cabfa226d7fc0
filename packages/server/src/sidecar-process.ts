import { DataCollectorRuntime, loadDeploymentFile, openWorkspace } from 'model-data-collector/internal';
import { listenOrFail } from './listen.js';
import { createMetrics } from './metrics.js';
import { DEFAULT_HOST, urlOf } from './serve.js';
import { createSidecar, DEFAULT_SIDECAR_PORT, SIDECAR_PATH } from './sidecar.js';
import { untilSignal } from './signals.js';

export interface RunSidecarOptions {
  /** The deployment YAML whose `data_collector` decides which collections are accepted. */
  readonly file: string;
  readonly workspace?: string;
  /** @default 50011, the port azureml-ai-monitoring posts to by default; 0 picks a free port */
  readonly port?: number;
  /** @default 127.0.0.1 */
  readonly host?: string;
  readonly maxBodyBytes?: number;
  readonly print?: (line: string) => void;
}

/**
 * Runs `mdc sidecar` until SIGTERM / SIGINT: only the data-collector endpoint, for a Python server of the
 * user's own (Azure's inference server, Flask, FastAPI) whose script uses azureml-ai-monitoring. Correlation is
 * Azure's: the ids come from the posts' headers. `GET /metrics` shows the collections' and the posts' counters.
 */
export async function runSidecar(options: RunSidecarOptions): Promise<number> {
  const print = options.print ?? ((line: string) => process.stdout.write(`${line}\n`));
  const deployment = loadDeploymentFile(options.file, '--file');
  const runtime = new DataCollectorRuntime({
    workspace: openWorkspace(options.workspace),
    deployment,
    handleProcessExit: false,
  });
  const sidecar = createSidecar({
    runtime,
    maxBodyBytes: options.maxBodyBytes,
    metrics: async () => ({ contentType: metrics.registry.contentType, text: await metrics.text() }),
  });
  const metrics = createMetrics(runtime, { sidecarPosts: () => sidecar.counts });
  const address = await listenOrFail(
    sidecar,
    { host: options.host ?? DEFAULT_HOST, port: options.port ?? DEFAULT_SIDECAR_PORT },
    () => runtime.shutdown(),
  );
  const on = [...(deployment.collections ?? new Map())].filter(([, c]) => c.enabled).map(([n]) => n);
  print(`mdc sidecar: ${runtime.endpoint}/${runtime.deploymentName} from ${deployment.file}`);
  print(
    `  collections: ${deployment.collections ? on.join(', ') || 'none' : 'all'} (workspace ${runtime.workspace.dir}, instance ${runtime.instanceId})`,
  );
  print(
    `  point azureml-ai-monitoring here: AZUREML_MDC_HOST=${address.address} AZUREML_MDC_PORT=${address.port}`,
  );
  print(`mdc sidecar: ready at ${urlOf(address)}${SIDECAR_PATH} (metrics at /metrics)`);
  const signal = await untilSignal(() => runtime.flushSync());
  print(`mdc sidecar: ${signal}: finishing posts and flushing collections`);
  await sidecar.close();
  await runtime.shutdown();
  print('mdc sidecar: stopped');
  return 0;
}
