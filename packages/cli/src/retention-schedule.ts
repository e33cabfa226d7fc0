import cluster from 'node:cluster';
import {
  InvalidEnvError,
  loadDeploymentFile,
  type MdcError,
  openWorkspace,
} from 'model-data-collector/internal';
import { loadReader } from './commands/output-options.js';

const HOUR_MS = 3_600_000;
/** The first run waits this long (or the interval, when shorter), so it never competes with start-up. */
const FIRST_RUN_MS = 5_000;

/**
 * Runs `mdc retention apply` inside `mdc serve` / `mdc proxy`: a few seconds after start, then every hour
 * (`MDC_RETENTION_INTERVAL_MS`), when the deployment YAML or a datastore of the workspace sets a retention.
 * Only the primary process runs it (instance_count workers do not). Failures are logged and retried next
 * time; they never stop the server. Returns a stop function.
 */
export function startRetentionSchedule(
  options: { readonly workspace?: string; readonly file?: string },
  log: (line: string) => void = (line) => process.stderr.write(`${line}\n`),
  env: NodeJS.ProcessEnv = process.env,
): () => void {
  if (!cluster.isPrimary) return () => {};
  const ws = openWorkspace(options.workspace, env);
  const deployment = options.file ? loadDeploymentFile(options.file) : undefined;
  const configured =
    deployment?.retentionDays !== undefined ||
    [...ws.datastores.values()].some((d) => d.retention_days !== undefined);
  if (!configured) return () => {};
  const raw = env.MDC_RETENTION_INTERVAL_MS;
  const intervalMs = raw === undefined || raw === '' ? HOUR_MS : Number(raw);
  if (!Number.isInteger(intervalMs) || intervalMs < 100 || intervalMs > 2_147_483_647)
    throw new InvalidEnvError('MDC_RETENTION_INTERVAL_MS', `must be milliseconds from 100; got "${raw}"`);
  let running = false;
  const run = async () => {
    if (running) return;
    running = true;
    try {
      const { applyRetention } = await loadReader();
      const r = await applyRetention(ws, {
        deployment: deployment && {
          endpoint: deployment.endpoint,
          deployment: deployment.deployment,
          retentionDays: deployment.retentionDays,
        },
        onWarning: (m) => log(`mdc retention: warning: ${m}`),
      });
      if (r.removed.length > 0)
        log(
          `mdc retention: deleted ${r.removed.length} partition(s), ${r.files} file(s), ${r.bytes} bytes older than the retention`,
        );
    } catch (err) {
      log(
        `mdc retention: ${(err as MdcError).code ?? 'error'}: ${(err as Error).message}; tried again next time`,
      );
    } finally {
      running = false;
    }
  };
  const first = setTimeout(() => void run(), Math.min(FIRST_RUN_MS, intervalMs));
  const every = setInterval(() => void run(), intervalMs);
  first.unref();
  every.unref();
  return () => {
    clearTimeout(first);
    clearInterval(every);
  };
}
