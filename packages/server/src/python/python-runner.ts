import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type DataCollectorRuntime, type DeploymentConfig, MdcError } from 'model-data-collector/internal';
import type { DeploymentPlan } from '../deployment-plan.js';
import { readMlflowModel } from '../onnx/index.js';
import type { Scorer } from '../scorer.js';
import { createSidecar, type Sidecar } from '../sidecar.js';
import { createMlflowPythonScorer } from './mlflow-python-scorer.js';
import { type LogFn, PythonScorer } from './python-scorer.js';

/** The built-in scoring module for MLflow models with a sklearn / python_function flavor. */
export const MLFLOW_SCORER = fileURLToPath(new URL('../../python/mdc_mlflow_scorer.py', import.meta.url));

/** The interpreter for Python scoring scripts: the option (`--python`), else `MDC_PYTHON`, else `python3` on PATH. */
export function resolvePython(option: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  const python = option || env.MDC_PYTHON || 'python3';
  const from = option ? '--python' : env.MDC_PYTHON ? 'MDC_PYTHON' : 'PATH';
  const r = spawnSync(python, ['-c', 'import sys; sys.stdout.write("%d.%d" % sys.version_info[:2])'], {
    encoding: 'utf8',
    timeout: 30_000,
  });
  if (r.error || r.status !== 0) {
    const why = r.error ? r.error.message : `exit code ${r.status}: ${r.stderr.trim()}`;
    throw new MdcError(
      'MDC_PYTHON_NOT_FOUND',
      `cannot start the Python interpreter "${python}" (from ${from}): ${why}. Install Python 3, or point ` +
        '--python or MDC_PYTHON at the interpreter of the venv or conda environment that has your packages ' +
        '(e.g. --python .venv/bin/python)',
    );
  }
  const [major, minor] = r.stdout.split('.').map(Number);
  if (major !== 3 || (minor ?? 0) < 8) {
    throw new MdcError(
      'MDC_PYTHON_NOT_FOUND',
      `"${python}" is Python ${r.stdout}; mdc needs Python 3.8 or newer`,
    );
  }
  return python;
}

/**
 * The environment that points azureml-ai-monitoring at the sidecar: a config file listing the YAML's enabled
 * collections (sampleRatePercentage 100: mdc samples per correlation id, so inputs and outputs of a request
 * stay together), and the sidecar's address. Without a data_collector every collection is on, as in mdc.
 */
export function sidecarEnv(
  deployment: DeploymentConfig | undefined,
  port: number,
  configDir: string,
): Record<string, string> {
  const env: Record<string, string> = { AZUREML_MDC_HOST: '127.0.0.1', AZUREML_MDC_PORT: String(port) };
  const configured = deployment?.collections;
  if (!configured) return { ...env, AZUREML_MDC_ENABLED: 'true', AZUREML_MDC_SAMPLE_RATE: '100' };
  const collections: Record<string, { enabled: boolean; sampleRatePercentage: number }> = {};
  for (const [name, c] of configured) {
    if (c.enabled) collections[name] = { enabled: true, sampleRatePercentage: 100 };
  }
  const file = join(configDir, 'mdc-config.json');
  writeFileSync(file, `${JSON.stringify({ collections, runMode: 'cloud' }, null, 2)}\n`);
  return { ...env, AZUREML_MDC_CONFIG_PATH: file };
}

export interface PythonRunnerOptions {
  readonly plan: DeploymentPlan;
  readonly runtime: DataCollectorRuntime;
  readonly python: string;
  readonly instanceId: string;
  readonly log: LogFn;
  readonly maxBodyBytes?: number;
}

/**
 * Starts what a Python deployment needs besides its HTTP face: the data-collector sidecar on a free loopback
 * port (so deployments run side by side), the package's config file, and the worker's scorer. The scorer's
 * close() lets the sidecar take the last posts, then stops it and removes the config.
 */
export async function startPythonRunner(
  o: PythonRunnerOptions,
): Promise<{ scorer: Scorer; sidecar: Sidecar }> {
  const { plan, runtime } = o;
  const builtin = plan.runner === 'mlflow-python';
  const model = builtin ? await readMlflowModel(plan.codeDir!) : undefined;
  const sidecar = createSidecar({ runtime, maxBodyBytes: o.maxBodyBytes });
  const address = await sidecar.listen({ port: 0, host: '127.0.0.1' });
  const configDir = mkdtempSync(join(tmpdir(), 'mdc-python-'));
  const env = sidecarEnv(runtime.deployment, address.port, configDir);
  if (model) {
    env.MDC_MODEL_PATH = plan.codeDir!;
    env.MDC_MLMODEL_JSON = JSON.stringify(model.doc);
  }
  const worker = new PythonScorer({
    python: o.python,
    script: builtin ? plan.codeDir! : plan.scoringScript!,
    codeDir: plan.codeDir!,
    builtin: builtin ? MLFLOW_SCORER : undefined,
    concurrency: plan.maxConcurrentRequests ?? 1,
    env,
    instanceId: o.instanceId,
    log: o.log,
    settle: () => sidecar.settle(),
    onClosed: async () => {
      await sidecar.close();
      rmSync(configDir, { recursive: true, force: true });
    },
  });
  const scorer = model
    ? createMlflowPythonScorer(worker, model, runtime, (err) =>
        o.log('warn', { err }, `auto-collection: ${err.message}`),
      )
    : worker;
  return { scorer, sidecar };
}
