import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import {
  DataCollectorRuntime,
  type DeploymentConfig,
  loadDeploymentFile,
  openWorkspace,
  setDefaultRuntime,
  type Workspace,
} from 'model-data-collector/internal';
import { type AuthMode, type DeploymentPlan, planDeployment } from './deployment-plan.js';
import { type EndpointKeys, getEndpointKeys } from './endpoint-keys.js';
import { listenOrFail } from './listen.js';
import { createOnnxScorer } from './onnx-scorer.js';
import { resolvePython, startPythonRunner } from './python/python-runner.js';
import { createScoreServer, type ScoreServer } from './score-server.js';
import type { Scorer } from './scorer.js';
import { loadScoringScript } from './script-scorer.js';

export interface ServeOptions {
  /** The deployment YAML. */
  readonly file: string;
  /** Workspace folder. @default `MDC_WORKSPACE`, else `./mdc-workspace` */
  readonly workspace?: string;
  /** @default 5001; 0 picks a free port */
  readonly port?: number;
  /** @default 127.0.0.1 */
  readonly host?: string;
  /** Overrides the YAML's `auth_mode`. */
  readonly authMode?: AuthMode;
  /** Overrides the YAML's `instance_count`. */
  readonly instanceCount?: number;
  /** Overrides `request_settings.request_timeout_ms`. */
  readonly requestTimeoutMs?: number;
  /** @default 104857600 (100 MiB) */
  readonly maxBodyBytes?: number;
  /** @default 'info' */
  readonly logLevel?: string;
  /** Longest wait for in-flight requests on SIGTERM. @default 30000 */
  readonly drainTimeoutMs?: number;
  /** Where start-up lines go. @default stdout */
  readonly print?: (line: string) => void;
  /** Interpreter of a `.py` scoring script. @default `MDC_PYTHON`, else `python3` on PATH */
  readonly python?: string;
}

export const DEFAULT_PORT = 5001;
export const DEFAULT_HOST = '127.0.0.1';

/** A deployment checked and resolved, before anything listens. */
export interface PreparedDeployment {
  readonly deployment: DeploymentConfig;
  readonly workspace: Workspace;
  readonly plan: DeploymentPlan;
  readonly keys: EndpointKeys | undefined;
  /** The Python interpreter, checked to start, for a `.py` script or a Python MLflow model. */
  readonly python: string | undefined;
}

/** Loads the YAML, resolves model, script and settings, and makes the endpoint keys when auth_mode is key. */
export function prepareDeployment(options: ServeOptions): PreparedDeployment {
  const deployment = loadDeploymentFile(options.file, '--file');
  const workspace = openWorkspace(options.workspace);
  const plan = planDeployment(deployment, workspace, {
    authMode: options.authMode,
    instanceCount: options.instanceCount,
    requestTimeoutMs: options.requestTimeoutMs,
  });
  const keys = plan.authMode === 'key' ? getEndpointKeys(workspace.dir) : undefined;
  const python = isPython(plan) ? resolvePython(options.python) : undefined;
  return { deployment, workspace, plan, keys, python };
}

function isPython(plan: DeploymentPlan): boolean {
  return plan.runner === 'python' || plan.runner === 'mlflow-python';
}

/** One serving process: the runtime, the scorer and the HTTP server, listening and initialized. */
export interface ServeInstance {
  readonly server: ScoreServer;
  readonly runtime: DataCollectorRuntime;
  readonly address: AddressInfo;
  readonly instanceId: string;
  close(): Promise<void>;
}

/**
 * Starts one instance of a deployment in this process: configures the default runtime (so the scoring
 * script's Collectors write where the YAML says), sets the model environment variables, imports the script,
 * listens, and runs init(). Throws MDC_SCRIPT_LOAD_FAILED, MDC_LISTEN_FAILED or MDC_INIT_FAILED.
 */
export async function startInstance(
  prepared: PreparedDeployment,
  options: ServeOptions,
  instanceId: string = process.env.MDC_INSTANCE_ID || randomUUID(),
): Promise<ServeInstance> {
  const { deployment, workspace, plan } = prepared;
  let server: ScoreServer | undefined;
  const runtime = new DataCollectorRuntime({
    workspace,
    deployment,
    instanceId,
    handleProcessExit: false,
    onError: (err) => server?.app.log.warn({ err }, `data collection: ${err.message}`),
  });
  setDefaultRuntime(runtime);
  process.env.MDC_WORKSPACE = workspace.dir;
  if (deployment.file) process.env.MDC_DEPLOYMENT_FILE = deployment.file;
  process.env.MDC_INSTANCE_ID = instanceId;
  if (plan.modelPath !== undefined) {
    process.env.AZUREML_MODEL_DIR = plan.modelDir;
    process.env.MDC_MODEL_DIR = plan.modelDir;
    process.env.MDC_MODEL_PATH = plan.modelPath;
  }
  let sidecarPosts: (() => ReadonlyMap<string, number>) | undefined;
  let scorer: Scorer | undefined;
  try {
    if (isPython(plan)) {
      const python = await startPythonRunner({
        plan,
        runtime,
        python: prepared.python!,
        instanceId,
        maxBodyBytes: options.maxBodyBytes,
        log: (level, fields, msg) => server?.app.log[level](fields, msg),
      });
      scorer = python.scorer;
      sidecarPosts = () => python.sidecar.counts;
    } else {
      scorer = plan.scoringScript
        ? await loadScoringScript(plan.scoringScript)
        : createOnnxScorer(plan.modelPath!, runtime, (err) =>
            server?.app.log.warn({ err }, `auto-collection: ${err.message}`),
          );
    }
    server = createScoreServer({
      plan,
      runtime,
      scorer,
      keys: prepared.keys,
      maxBodyBytes: options.maxBodyBytes,
      logLevel: options.logLevel,
      drainTimeoutMs: options.drainTimeoutMs,
      sidecarPosts,
    });
    const address = await listenOrFail(server, {
      host: options.host ?? DEFAULT_HOST,
      port: options.port ?? DEFAULT_PORT,
    });
    await server.init();
    const s = server;
    return { server: s, runtime, address, instanceId, close: () => s.close() };
  } catch (err) {
    if (!server) await scorer?.close().catch(() => {});
    await (server ? server.close() : runtime.shutdown()).catch(() => {});
    throw err;
  }
}

/** The start-up summary `mdc serve` prints. */
export function describeDeployment(prepared: PreparedDeployment): string[] {
  const { deployment, plan, workspace } = prepared;
  const lines = [
    `mdc serve: ${deployment.endpoint}/${deployment.deployment} from ${deployment.file ?? '(inline)'}`,
    plan.runner === 'mlflow-python'
      ? `  built-in Python scorer for the MLflow model ${plan.modelPath} (${prepared.python})`
      : plan.scoringScript
        ? `  ${plan.runner === 'python' ? `Python (${prepared.python}) ` : ''}scoring script ${plan.scoringScript}${plan.modelPath ? `, model ${plan.modelPath}` : ''}`
        : `  built-in ONNX scorer for ${plan.modelPath}`,
  ];
  const on = [...(deployment.collections ?? new Map())].filter(([, c]) => c.enabled).map(([n]) => n);
  lines.push(`  collections: ${on.length ? on.join(', ') : 'none'} (workspace ${workspace.dir})`);
  lines.push(
    `  instances: ${plan.instanceCount}, auth_mode: ${plan.authMode}${plan.authMode === 'key' ? ' (see: mdc keys show)' : ''}, request timeout ${plan.requestTimeoutMs} ms`,
  );
  if (plan.ignored.length) lines.push(`  not used locally: ${plan.ignored.join(', ')}`);
  return lines;
}

export function urlOf(address: AddressInfo): string {
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return `http://${host}:${address.port}`;
}
