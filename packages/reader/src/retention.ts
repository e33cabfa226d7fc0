import { InvalidOptionError, type Workspace } from 'model-data-collector/internal';
import { appendAudit } from './audit.js';
import { allCollectionFolders, streamCopies } from './collection-folders.js';
import { DATE_LEVELS, periodOf } from './files.js';
import type { Storage } from './storage.js';

const DAY_MS = 86_400_000;

export interface RetentionOptions {
  /** @default Date.now() */
  readonly nowMs?: number;
  /** List what would be deleted without deleting it. @default false */
  readonly dryRun?: boolean;
  /** Days to keep in every collection, over every other setting (`mdc retention apply --days`). */
  readonly days?: number;
  /** A deployment's `data_collector.retention_days`, for the collections of that endpoint and deployment. */
  readonly deployment?: {
    readonly endpoint: string;
    readonly deployment: string;
    readonly retentionDays?: number;
  };
  /** Collection folders that could not be looked at (a datastore no longer defined). */
  readonly onWarning?: (message: string) => void;
}

/** One time partition (a date folder) deleted, or to be deleted in a dry run. */
export interface RemovedPartition {
  /** The data asset (or `<endpoint>-<deployment>-<collection>`) the partition belongs to. */
  readonly collection: string;
  /** Where it was, e.g. `azureml://datastores/workspaceblobstore/paths/…/2024/03/05`. */
  readonly uri: string;
  /** The period the folder stands for (ISO 8601), by its path: files are never opened. */
  readonly periodStart: string;
  readonly periodEnd: string;
  readonly files: number;
  readonly bytes: number;
}

export interface RetentionResult {
  readonly dryRun: boolean;
  /** Collection folders that have a retention setting, and the cutoff (ISO 8601) each got. */
  readonly collections: readonly {
    readonly collection: string;
    readonly uri: string;
    readonly days: number;
    readonly cutoff: string;
  }[];
  readonly removed: readonly RemovedPartition[];
  readonly files: number;
  readonly bytes: number;
  /** Copies in NATS streams: not partitions; the stream's own `max_age` is their retention. */
  readonly streams: readonly { readonly uri: string; readonly datastore: string; readonly note: string }[];
}

/**
 * Deletes the time partitions older than the retention of each collection, destination copies in file datastores
 * included: whole date folders whose period ended before `now - days`, judged from the folder names alone. A
 * collection's days are the smallest of `options.days`, its deployment's `retention_days` and its datastore's
 * `retention_days`; a collection with none is kept whole. Works on local, Azure Blob and S3 datastores alike;
 * appends one audit entry when it deleted. A copy in a NATS stream is listed with a note (its `max_age` rules).
 */
export async function applyRetention(
  ws: Workspace,
  options: RetentionOptions = {},
): Promise<RetentionResult> {
  const now = options.nowMs ?? Date.now();
  if (options.days !== undefined && !(Number.isInteger(options.days) && options.days >= 1))
    throw new InvalidOptionError(`retention days must be a whole number of at least 1; got ${options.days}`);
  const folders = await allCollectionFolders(ws, (s, err) =>
    options.onWarning?.(`collection ${s.name} (${s.uri}) skipped: ${err.message}`),
  );
  const collections: RetentionResult['collections'][number][] = [];
  const removed: RemovedPartition[] = [];
  for (const { source, location } of folders) {
    const dep = options.deployment;
    const candidates = [
      options.days,
      dep && dep.endpoint === source.endpoint && dep.deployment === source.deployment
        ? dep.retentionDays
        : undefined,
      location.datastore ? ws.datastores.get(location.datastore)?.retention_days : undefined,
    ].filter((d): d is number => d !== undefined);
    if (candidates.length === 0) continue;
    const days = Math.min(...candidates);
    const cutoff = now - days * DAY_MS;
    collections.push({
      collection: source.name,
      uri: location.uri,
      days,
      cutoff: new Date(cutoff).toISOString(),
    });
    const partitions: { path: string; start: number; end: number }[] = [];
    await expired(location.storage, location.path, [], cutoff, partitions);
    for (const p of partitions) {
      const { files, bytes } = await sizeOf(location.storage, p.path);
      if (!options.dryRun) await location.storage.remove!(p.path);
      removed.push({
        collection: source.name,
        uri: `${location.uri.replace(/\/+$/, '')}/${p.path.slice(location.path.length).replace(/^\/+/, '')}`,
        periodStart: new Date(p.start).toISOString(),
        periodEnd: new Date(p.end).toISOString(),
        files,
        bytes,
      });
    }
  }
  const streams = (await streamCopies(ws)).map((c) => ({
    uri: c.uri,
    datastore: c.datastore,
    note: `a NATS JetStream stream keeps messages for its max_age, not by retention_days: set it with nats stream edit ${streamName(ws, c.datastore)} --max-age`,
  }));
  const result: RetentionResult = {
    dryRun: options.dryRun === true,
    collections,
    removed,
    files: removed.reduce((n, p) => n + p.files, 0),
    bytes: removed.reduce((n, p) => n + p.bytes, 0),
    streams,
  };
  if (!options.dryRun && removed.length > 0) {
    await appendAudit(ws, {
      time: new Date().toISOString(),
      action: 'retention',
      request: { collections },
      events: 0,
      files: removed.map((p) => p.uri),
    });
  }
  return result;
}

/** The date folders under `dir` whose whole period ended at or before `cutoff` (the highest such level). */
async function expired(
  storage: Storage,
  dir: string,
  parts: number[],
  cutoff: number,
  out: { path: string; start: number; end: number }[],
): Promise<void> {
  if (parts.length >= DATE_LEVELS.length) return;
  for (const e of await storage.list(dir)) {
    if (e.kind !== 'folder' || !DATE_LEVELS[parts.length]!.test(e.name)) continue;
    const p = [...parts, Number(e.name)];
    const [start, end] = periodOf(p);
    if (end <= cutoff) out.push({ path: e.path, start, end });
    else if (start < cutoff) await expired(storage, e.path, p, cutoff, out);
  }
}

async function sizeOf(storage: Storage, dir: string): Promise<{ files: number; bytes: number }> {
  let files = 0;
  let bytes = 0;
  for (const e of await storage.list(dir)) {
    if (e.kind === 'file') {
      files++;
      bytes += e.size ?? 0;
    } else {
      const s = await sizeOf(storage, e.path);
      files += s.files;
      bytes += s.bytes;
    }
  }
  return { files, bytes };
}

function streamName(ws: Workspace, datastore: string): string {
  const config = ws.datastores.get(datastore);
  return config?.type === 'nats' ? config.stream : datastore;
}
