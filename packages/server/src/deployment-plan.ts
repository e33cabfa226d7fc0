import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, extname, isAbsolute, join, resolve } from 'node:path';
import {
  type DeploymentConfig,
  InvalidConfigError,
  ModelNotFoundError,
  NothingToServeError,
  ScriptLoadError,
  type Workspace,
} from 'model-data-collector/internal';
import { parse } from 'yaml';

/** Where the workspace keeps registered models: `<workspace>/models/<name>/<version>/`. */
export const MODELS_DIR = 'models';

export type AuthMode = 'key' | 'none';

/** What `mdc serve` runs for one deployment YAML, with every path resolved. */
export interface DeploymentPlan {
  readonly deployment: DeploymentConfig;
  /** Absolute path of the model file or folder; undefined when the YAML has no model. */
  readonly modelPath: string | undefined;
  /**
   * `AZUREML_MODEL_DIR` as Azure lays it out: the folder that contains the model under its own name, so a
   * ported script's `join(AZUREML_MODEL_DIR, 'model/…')` keeps working.
   */
  readonly modelDir: string | undefined;
  /** Absolute path of the scoring script; undefined for a no-code (ONNX / MLflow) deployment. */
  readonly scoringScript: string | undefined;
  /** `code_configuration.code` resolved (the scoring script's folder when there is no code key). */
  readonly codeDir: string | undefined;
  /**
   * What runs `/score`: a Node.js script, a Python script in a worker process, the built-in ONNX scorer, or the
   * built-in Python scorer of an MLflow model with a `sklearn` / `python_function` flavor (no onnx flavor).
   */
  readonly runner: 'node' | 'python' | 'onnx' | 'mlflow-python';
  readonly instanceCount: number;
  readonly authMode: AuthMode;
  /** `request_settings.request_timeout_ms`. @default 5000 (the reference's default) */
  readonly requestTimeoutMs: number;
  /** `data_collector.max_stream_capture_bytes`: what is kept of one streamed answer; undefined: the default (16 MiB). */
  readonly maxStreamCaptureBytes?: number;
  /** `request_settings.max_concurrent_requests_per_instance`; undefined means no limit. */
  readonly maxConcurrentRequests: number | undefined;
  /** YAML key paths accepted for compatibility that do nothing locally (DEPLOYMENT_KEYS; reported at start-up). */
  readonly ignored: readonly string[];
}

export interface PlanOverrides {
  readonly authMode?: AuthMode;
  readonly instanceCount?: number;
  readonly requestTimeoutMs?: number;
}

const SCRIPT_EXTENSIONS = new Set(['.js', '.mjs', '.cjs', '.ts', '.mts', '.cts', '.py']);

/** Resolves the model, scoring script and request settings of a deployment. Throws MdcErrors naming the key. */
export function planDeployment(
  deployment: DeploymentConfig,
  workspace: Workspace,
  overrides: PlanOverrides = {},
): DeploymentPlan {
  const yaml = deployment.yaml as DeploymentConfig['yaml'] & Record<string, unknown>;
  const file = deployment.file;
  const modelPath = resolveModel(yaml.model, deployment.dir, workspace);
  const modelDir = modelPath === undefined ? undefined : dirname(modelPath);

  let scoringScript: string | undefined;
  let codeDir: string | undefined;
  let runner: DeploymentPlan['runner'] = 'onnx';
  const cc = yaml.code_configuration;
  if (cc) {
    codeDir = resolve(deployment.dir, cc.code ?? '.');
    scoringScript = resolve(codeDir, cc.scoring_script);
    if (!SCRIPT_EXTENSIONS.has(extname(scoringScript))) {
      throw new ScriptLoadError(
        `code_configuration.scoring_script: ${basename(scoringScript)} is not a Python, JavaScript or ` +
          `TypeScript file (.py, .js, .mjs, .cjs, .ts)`,
      );
    }
    runner = extname(scoringScript) === '.py' ? 'python' : 'node';
    if (!existsSync(scoringScript) || !statSync(scoringScript).isFile()) {
      throw new ScriptLoadError(
        `code_configuration.scoring_script: ${scoringScript} does not exist (code: ${codeDir})`,
      );
    }
  } else if (modelPath === undefined) {
    throw new NothingToServeError(
      `${file ?? 'the deployment'} has neither code_configuration.scoring_script nor a model to serve`,
    );
  } else if (isPythonMlflowModel(modelPath)) {
    runner = 'mlflow-python';
    codeDir = statSync(modelPath).isDirectory() ? modelPath : dirname(modelPath);
  } else if (!isOnnxModel(modelPath)) {
    throw new NothingToServeError(
      `${modelPath} is not an .onnx file or an MLflow model folder (onnx, sklearn or python_function flavor), ` +
        `and the deployment has no code_configuration.scoring_script to run it`,
    );
  }

  const settings = (yaml.request_settings ?? {}) as Record<string, unknown>;
  const requestTimeoutMs =
    overrides.requestTimeoutMs ??
    positiveInt(settings.request_timeout_ms, 'request_settings.request_timeout_ms', file) ??
    5000;
  const maxConcurrentRequests = positiveInt(
    settings.max_concurrent_requests_per_instance,
    'request_settings.max_concurrent_requests_per_instance',
    file,
  );
  const collector = (yaml.data_collector ?? {}) as Record<string, unknown>;
  const maxStreamCaptureBytes = positiveInt(
    collector.max_stream_capture_bytes,
    'data_collector.max_stream_capture_bytes',
    file,
  );
  const authMode = overrides.authMode ?? authModeOf(yaml.auth_mode, file);
  const ignored = deployment.notUsedLocally;
  return Object.freeze({
    deployment,
    modelPath,
    modelDir,
    scoringScript,
    codeDir,
    runner,
    instanceCount: overrides.instanceCount ?? yaml.instance_count ?? 1,
    authMode,
    requestTimeoutMs,
    maxConcurrentRequests,
    maxStreamCaptureBytes,
    ignored,
  });
}

/** True for an `.onnx` file, or a folder with an `MLmodel` file (its onnx flavor is checked at load time). */
export function isOnnxModel(path: string): boolean {
  if (!statSync(path).isDirectory())
    return extname(path).toLowerCase() === '.onnx' || basename(path) === 'MLmodel';
  if (existsSync(join(path, 'MLmodel'))) return true;
  return onnxFilesIn(path).length === 1;
}

/**
 * True for an MLflow model folder whose `MLmodel` has a `sklearn` or `python_function` flavor and no `onnx` one:
 * it is served by the built-in Python scorer (the ONNX scorer keeps every model it can run).
 */
export function isPythonMlflowModel(path: string): boolean {
  const file = statSync(path).isDirectory()
    ? join(path, 'MLmodel')
    : basename(path) === 'MLmodel'
      ? path
      : '';
  if (file === '' || !existsSync(file)) return false;
  let doc: unknown;
  try {
    doc = parse(readFileSync(file, 'utf8'));
  } catch {
    return false; // the ONNX path reports an unreadable MLmodel with its own error
  }
  const flavors = (doc as { flavors?: unknown } | null)?.flavors;
  if (typeof flavors !== 'object' || flavors === null) return false;
  return !('onnx' in flavors) && ('sklearn' in flavors || 'python_function' in flavors);
}

/** The model file the built-in scorer loads for a model path (a folder holding one `.onnx` file → that file). */
export function onnxModelTarget(path: string): string {
  if (!statSync(path).isDirectory() || existsSync(join(path, 'MLmodel'))) return path;
  return join(path, onnxFilesIn(path)[0]!);
}

function onnxFilesIn(dir: string): string[] {
  return readdirSync(dir).filter((f) => f.toLowerCase().endsWith('.onnx'));
}

type ModelSpec = DeploymentConfig['yaml']['model'];

function resolveModel(model: ModelSpec, dir: string, workspace: Workspace): string | undefined {
  if (model === undefined) return undefined;
  if (typeof model === 'string') {
    return model.startsWith('azureml:') ? registeredModel(model, workspace) : localModel(model, dir, 'model');
  }
  if (model.path !== undefined) {
    return model.path.startsWith('azureml:')
      ? registeredModel(model.path, workspace)
      : localModel(model.path, dir, 'model.path');
  }
  if (model.name !== undefined) {
    const ref = `azureml:${model.name}${model.version === undefined ? '@latest' : `:${model.version}`}`;
    return registeredModel(ref, workspace);
  }
  return undefined;
}

function localModel(path: string, dir: string, key: string): string {
  const abs = isAbsolute(path) ? path : resolve(dir, path);
  if (!existsSync(abs)) throw new ModelNotFoundError(`${key}: ${abs} does not exist`);
  return abs;
}

/** `azureml:name:version`, `azureml:name@latest` (or the long `azureml://…/models/name/versions/v` form). */
function registeredModel(ref: string, workspace: Workspace): string {
  const m =
    /^azureml:(?:\/\/.*\/models\/)?([A-Za-z0-9_.-]+?)(?::([A-Za-z0-9_.-]+)|@([A-Za-z]+)|\/versions\/([A-Za-z0-9_.-]+))?$/.exec(
      ref,
    );
  if (!m) throw new ModelNotFoundError(`model: cannot parse the model reference ${ref}`);
  const name = m[1]!;
  const root = join(workspace.dir, MODELS_DIR, name);
  let version = m[2] ?? m[4];
  if (version === undefined) {
    const versions = existsSync(root)
      ? readdirSync(root).filter((v) => statSync(join(root, v)).isDirectory())
      : [];
    version = versions.sort(compareVersions).at(-1);
    if (version === undefined) {
      throw new ModelNotFoundError(
        `model ${ref} is not registered in workspace ${workspace.dir}: put the model in ${join(root, '<version>')}, ` +
          `or use model: {path: ./local/folder}`,
      );
    }
  }
  const folder = join(root, version);
  if (!existsSync(folder)) {
    throw new ModelNotFoundError(
      `model ${ref} is not registered in workspace ${workspace.dir}: ${folder} does not exist ` +
        `(put the model there, or use model: {path: ./local/folder})`,
    );
  }
  // A registered folder holding a single entry is that entry (the way Azure stores an uploaded model folder).
  const entries = readdirSync(folder);
  return entries.length === 1 ? join(folder, entries[0]!) : folder;
}

function compareVersions(a: string, b: string): number {
  const na = Number(a);
  const nb = Number(b);
  if (Number.isFinite(na) && Number.isFinite(nb)) return na - nb;
  return a.localeCompare(b, 'en', { numeric: true });
}

function positiveInt(v: unknown, key: string, file: string | undefined): number | undefined {
  if (v === undefined || v === null) return undefined;
  const n = typeof v === 'string' ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 1) {
    throw new InvalidConfigError(file, [
      { path: key, message: `expected a positive integer; got ${JSON.stringify(v)}` },
    ]);
  }
  return n;
}

function authModeOf(v: unknown, file: string | undefined): AuthMode {
  if (v === undefined || v === null) return 'none';
  if (typeof v === 'string' && /^key$/i.test(v)) return 'key';
  if (typeof v === 'string' && /^none$/i.test(v)) return 'none';
  const detail =
    typeof v === 'string' && /^(aad_token|aml_token)$/i.test(v)
      ? ' (token auth needs Azure; use key locally)'
      : '';
  throw new InvalidConfigError(file, [
    { path: 'auth_mode', message: `expected key or none; got ${JSON.stringify(v)}${detail}` },
  ]);
}
