import { join } from 'node:path';
import { InvalidPathError, MissingPackageError } from '../errors.js';
import { joinPath, type RollingRate } from '../layout.js';
import { resolveSettings, SPOOL_SETTINGS } from '../runtime/settings.js';
import type { DatastoreConfig, Workspace } from '../workspace.js';
import { SpoolingSink } from './spooling-sink.js';
import type { DatastorePackage, Uploader } from './uploader.js';

/** The package that talks to each cloud datastore type; loaded only when a datastore of that type is used. */
export const DATASTORE_PACKAGES = {
  azure_blob: '@model-data-collector/azure-blob',
  s3: '@model-data-collector/s3',
  nats: '@model-data-collector/nats',
} as const;

type CloudConfig = Extract<DatastoreConfig, { type: keyof typeof DATASTORE_PACKAGES }>;

export interface CloudDatastoreOptions {
  readonly instanceId: string;
  readonly rollingRate: RollingRate;
  readonly onError?: (err: Error) => void;
  readonly env?: NodeJS.ProcessEnv;
}

/** What each cloud datastore type is, for messages. */
export const DATASTORE_KINDS: Record<CloudConfig['type'], string> = {
  azure_blob: 'an Azure Blob container',
  s3: 'an S3 bucket',
  nats: 'a NATS JetStream stream',
};

/** Throws MDC_MISSING_PACKAGE (at start-up, before any event) when the datastore's package is not installed. */
export function requireDatastorePackage(name: string, config: CloudConfig): string {
  const pkg = DATASTORE_PACKAGES[config.type];
  try {
    import.meta.resolve(pkg);
  } catch (err) {
    const e = new MissingPackageError(
      pkg,
      `datastore "${name}" is ${DATASTORE_KINDS[config.type]}, which needs ${pkg}`,
    );
    (e as { cause?: unknown }).cause = err;
    throw e;
  }
  return pkg;
}

/** Imports the datastore's package and builds its uploader (no spool: for `mdc datastore` and readers). */
export async function createUploader(
  name: string,
  config: CloudConfig,
  env: NodeJS.ProcessEnv = process.env,
): Promise<Uploader> {
  const pkg = requireDatastorePackage(name, config);
  const mod = (await import(pkg)) as DatastorePackage;
  return mod.createUploader(config, { datastore: name, env });
}

/**
 * The sink of a cloud datastore: a spool under `<workspace>/spool/<name>` and the datastore's uploader,
 * imported on the first upload. Settings: the workspace entry, then the environment, then the default.
 */
export function openCloudDatastore(
  ws: Workspace,
  name: string,
  config: CloudConfig,
  options: CloudDatastoreOptions,
): SpoolingSink {
  const env = options.env ?? process.env;
  requireDatastorePackage(name, config);
  const flag = env.MDC_SPOOL_FSYNC;
  const settings = resolveSettings(
    SPOOL_SETTINGS,
    { max_spool_bytes: config.max_spool_bytes, upload_interval_ms: config.upload_interval_ms },
    env,
  );
  return new SpoolingSink({
    datastore: name,
    type: config.type,
    dir: join(ws.dir, 'spool', name),
    instanceId: options.instanceId,
    rollingRate: options.rollingRate,
    uploader: () => createUploader(name, config, env),
    maxSpoolBytes: settings.max_spool_bytes,
    uploadIntervalMs: settings.upload_interval_ms,
    retryDelayMs: settings.retryDelayMs,
    maxRetryDelayMs: settings.maxRetryDelayMs,
    closeTimeoutMs: settings.closeTimeoutMs,
    fsync: flag === undefined || flag === '' ? true : !/^(0|false|no|off)$/i.test(flag),
    ...(options.onError ? { onError: options.onError } : {}),
  });
}

/** A plain `s3://bucket/path` location, resolved to a datastore of the workspace (or an implicit one). */
export interface S3Location {
  readonly datastore: string;
  readonly config: Extract<DatastoreConfig, { type: 's3' }>;
  /** Path inside the datastore (below its prefix). */
  readonly path: string;
  /** The `s3://` URI of a path inside the datastore. */
  readonly uri: (path: string) => string;
}

export function isS3Uri(value: string): boolean {
  return /^s3:\/\//i.test(value);
}

/**
 * Resolves `s3://bucket/key/prefix`: the workspace's S3 datastore of that bucket whose prefix starts the
 * key (the longest such prefix), else an implicit datastore `s3-<bucket>` with default settings.
 */
export function resolveS3Uri(ws: Workspace, uri: string): S3Location {
  const m = /^s3:\/\/([^/]+)\/?(.*)$/i.exec(uri);
  if (!m) throw new InvalidPathError(uri, 'expected s3://<bucket>/<path>');
  const bucket = m[1]!;
  const key = joinPath(m[2]!);
  if (key.split('/').includes('..')) throw new InvalidPathError(uri, '".." is not allowed in a path');
  let best: { name: string; config: Extract<DatastoreConfig, { type: 's3' }>; prefix: string } | undefined;
  for (const [name, config] of ws.datastores) {
    if (config.type !== 's3' || config.bucket !== bucket) continue;
    const prefix = joinPath(config.prefix ?? '');
    if (prefix && key !== prefix && !key.startsWith(`${prefix}/`)) continue;
    if (!best || prefix.length > best.prefix.length) best = { name, config, prefix };
  }
  best ??= {
    name: `s3-${bucket.replace(/[^A-Za-z0-9_-]/g, '-')}`,
    config: { type: 's3', bucket },
    prefix: '',
  };
  const { prefix } = best;
  return {
    datastore: best.name,
    config: best.config,
    path: prefix ? key.slice(prefix.length).replace(/^\//, '') : key,
    uri: (p) => `s3://${bucket}/${joinPath(prefix, p)}`,
  };
}
