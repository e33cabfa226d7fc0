import { existsSync } from 'node:fs';
import { basename, isAbsolute, join, resolve } from 'node:path';
import { z } from 'zod';
import { UnknownDatastoreError } from './errors.js';
import { DEFAULT_DATASTORE } from './layout.js';
import { readYamlFile, validate } from './yaml-file.js';

/** Where the workspace lives when neither `--workspace` nor `MDC_WORKSPACE` says. */
export const DEFAULT_WORKSPACE_DIR = 'mdc-workspace';
export const WORKSPACE_FILE = 'workspace.yml';

/** Days of data `mdc retention apply` keeps in a datastore (whole time partitions older are deleted). */
const retention = { retention_days: z.number().int().min(1).optional() };
const localDatastore = z.object({ type: z.literal('local'), path: z.string().min(1), ...retention });
/** Delivery settings every cloud datastore takes (see docs/datastores.md). */
const deliverySettings = {
  /** Bound of the local spool. @default 1073741824 (1 GiB), or `MDC_MAX_SPOOL_BYTES` */
  max_spool_bytes: z.number().int().min(1024).optional(),
  /** Longest wait before spooled data is uploaded. @default 5000, or `MDC_UPLOAD_INTERVAL_MS` */
  upload_interval_ms: z.number().int().min(0).max(3_600_000).optional(),
  ...retention,
};
const azureBlobDatastore = z.object({
  type: z.literal('azure_blob'),
  container: z.string().min(1),
  account_url: z.string().url().optional(),
  connection_string: z.string().optional(),
  prefix: z.string().optional(),
  ...deliverySettings,
});
const s3Datastore = z.object({
  type: z.literal('s3'),
  bucket: z.string().min(1),
  prefix: z.string().optional(),
  region: z.string().optional(),
  endpoint: z.string().url().optional(),
  force_path_style: z.boolean().optional(),
  ...deliverySettings,
});
/** A NATS JetStream stream: each event one message (see docs/datastores.md); a destination, not a `data.path`. */
const natsDatastore = z.object({
  type: z.literal('nats'),
  /** `nats://host:port`, several separated by commas (a cluster's seed servers). */
  url: z
    .string()
    .regex(
      /^(?:(?:nats|tls):\/\/)?[^\s,]+(?:,(?:(?:nats|tls):\/\/)?[^\s,]+)*$/,
      'expected nats://host:port[,host:port...]',
    ),
  stream: z.string().regex(/^[A-Za-z0-9_-]+$/, 'a stream name is made of A-Z a-z 0-9 _ - characters'),
  /** Subjects are `<subject_prefix>.<endpoint>.<deployment>.<collection>`. @default mdc */
  subject_prefix: z
    .string()
    .regex(/^[A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]+)*$/)
    .optional(),
  /** A credentials file (NATS decentralized auth); or `token`, or `MDC_NATS_TOKEN`. */
  creds: z.string().optional(),
  token: z.string().optional(),
  /** Largest message the servers take (their `max_payload`); bigger data goes to its own file. @default 1048576 */
  max_message_bytes: z.number().int().min(4096).optional(),
  ...deliverySettings,
});
export const datastoreSchema = z.discriminatedUnion('type', [
  localDatastore,
  azureBlobDatastore,
  s3Datastore,
  natsDatastore,
]);
export type DatastoreConfig = z.output<typeof datastoreSchema>;

export const workspaceSchema = z.object({
  name: z.string().min(1).optional(),
  subscription_id: z.string().optional(),
  resource_group: z.string().optional(),
  datastores: z.record(z.string().regex(/^[A-Za-z0-9_-]+$/), datastoreSchema).default({}),
});

/** The local folder that stands in for a cloud workspace. */
export interface Workspace {
  readonly dir: string;
  /** The workspace name written into each event's `source`. */
  readonly name: string;
  readonly subscriptionId: string;
  readonly resourceGroup: string;
  readonly datastores: ReadonlyMap<string, DatastoreConfig>;
}

/** Resolves the workspace folder: explicit option, then `MDC_WORKSPACE`, then `./mdc-workspace`. */
export function resolveWorkspaceDir(dir?: string, env: NodeJS.ProcessEnv = process.env): string {
  return resolve(dir ?? (env.MDC_WORKSPACE || DEFAULT_WORKSPACE_DIR));
}

/** Opens a workspace (the folder need not exist yet: it is made on first write). */
export function openWorkspace(dir?: string, env: NodeJS.ProcessEnv = process.env): Workspace {
  const root = resolveWorkspaceDir(dir, env);
  const file = join(root, WORKSPACE_FILE);
  const parsed = existsSync(file)
    ? validate(workspaceSchema, readYamlFile(file, 'the workspace'), file)
    : undefined;
  const datastores = new Map<string, DatastoreConfig>(Object.entries(parsed?.datastores ?? {}));
  if (!datastores.has(DEFAULT_DATASTORE)) {
    datastores.set(DEFAULT_DATASTORE, { type: 'local', path: join('datastores', DEFAULT_DATASTORE) });
  }
  return {
    dir: root,
    name: parsed?.name ?? (basename(root) || 'local'),
    subscriptionId: parsed?.subscription_id ?? '00000000-0000-0000-0000-000000000000',
    resourceGroup: parsed?.resource_group ?? 'local',
    datastores,
  };
}

export function getDatastore(ws: Workspace, name: string): DatastoreConfig {
  const ds = ws.datastores.get(name);
  if (!ds) throw new UnknownDatastoreError(name, [...ws.datastores.keys()]);
  return ds;
}

/** Absolute folder of a local datastore. */
export function localDatastoreRoot(ws: Workspace, ds: { path: string }): string {
  return isAbsolute(ds.path) ? ds.path : join(ws.dir, ds.path);
}
