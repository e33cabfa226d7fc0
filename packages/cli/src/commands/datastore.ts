import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { Command } from 'commander';
import {
  addDatastore,
  createUploader,
  DATASTORE_PACKAGES,
  DatastoreCheckFailedError,
  type DatastoreConfig,
  datastoreLocation,
  getDatastore,
  type MdcError,
  openWorkspace,
  PathNotFoundError,
  redactDatastore,
  removeDatastore,
  spoolUsage,
  UsageError,
  type Workspace,
} from 'model-data-collector/internal';
import { intOption } from './options.js';
import { existingWorkspace, workspaceOption } from './workspace-option.js';

interface CreateOptions {
  type: string;
  path?: string;
  container?: string;
  connectionString?: string;
  accountUrl?: string;
  bucket?: string;
  prefix?: string;
  endpoint?: string;
  region?: string;
  forcePathStyle?: boolean;
  url?: string;
  stream?: string;
  subjectPrefix?: string;
  creds?: string;
  token?: string;
  replicas?: number;
  duplicateWindowMs?: number;
  maxMessageBytes?: number;
  maxSpoolBytes?: number;
  uploadIntervalMs?: number;
  retentionDays?: number;
  replace?: boolean;
  check?: boolean;
}

const TYPES = ['local', 'azure-blob', 's3', 'nats'] as const;

/** `mdc datastore list|show|create|delete`: the workspace's datastores. */
export function registerDatastore(program: Command): void {
  const ds = program
    .command('datastore')
    .description(
      'list, show, create and delete the datastores of the workspace (local folder, Azure Blob, S3, NATS JetStream)',
    );

  ds.command('list')
    .description('the datastores, where their data goes, and what waits in their upload spool')
    .option('--json', 'print JSON')
    .action((opts: { json?: boolean }, cmd: Command) => {
      const ws = openWorkspace(existingWorkspace(cmd));
      const rows = [...ws.datastores].map(([name, config]) => ({
        name,
        type: config.type,
        location: datastoreLocation(ws, config),
        spool: config.type === 'local' ? undefined : spoolUsage(ws, name),
      }));
      if (opts.json) {
        process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
        return;
      }
      const width = Math.max(4, ...rows.map((r) => r.name.length));
      process.stdout.write(`${'NAME'.padEnd(width)}  ${'TYPE'.padEnd(10)}  LOCATION\n`);
      for (const r of rows) {
        const pending = r.spool && r.spool.files > 0 ? `  (spool: ${r.spool.bytes} bytes waiting)` : '';
        process.stdout.write(`${r.name.padEnd(width)}  ${r.type.padEnd(10)}  ${r.location}${pending}\n`);
      }
    });

  ds.command('show')
    .description(
      'one datastore: its settings (secrets masked), its spool, and with --check whether it answers',
    )
    .argument('<name>', 'datastore name')
    .option('--check', 'connect and check the container/bucket exists and the credentials work')
    .option('--json', 'print JSON')
    .action(async (name: string, opts: { check?: boolean; json?: boolean }, cmd: Command) => {
      const ws = openWorkspace(existingWorkspace(cmd));
      const config = getDatastore(ws, name);
      const out: Record<string, unknown> = {
        name,
        ...redactDatastore(config),
        location: datastoreLocation(ws, config),
      };
      if (config.type !== 'local') out.spool = spoolUsage(ws, name);
      const failed = opts.check ? await check(ws, name, config) : undefined;
      if (opts.check) out.check = failed ? `${failed.code}: ${failed.message}` : 'ok';
      if (opts.json) process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
      else
        for (const [k, v] of Object.entries(out))
          process.stdout.write(`${k}: ${typeof v === 'object' ? JSON.stringify(v) : v}\n`);
      if (failed) process.exitCode = 2;
    });

  ds.command('create')
    .description('add a datastore to workspace.yml')
    .argument('<name>', 'datastore name (A-Z a-z 0-9 _ -)')
    .requiredOption('--type <type>', `one of ${TYPES.join(', ')}`)
    .option('--path <dir>', 'local: the folder (relative to the current folder; stored as an absolute path)')
    .option('--container <name>', 'azure-blob: the container')
    .option(
      '--connection-string <s>',
      'azure-blob: a connection string (stored in workspace.yml; default: $AZURE_STORAGE_CONNECTION_STRING at run time)',
    )
    .option(
      '--account-url <url>',
      'azure-blob: https://<account>.blob.core.windows.net (with a SAS token, or key/Entra ID from the environment)',
    )
    .option('--bucket <name>', 's3: the bucket')
    .option('--prefix <path>', 'azure-blob, s3: a folder inside the container/bucket')
    .option('--endpoint <url>', 's3: an S3-compatible endpoint (MinIO, R2, s3rver …)')
    .option('--region <region>', 's3: the region (default: $AWS_REGION, else us-east-1)')
    .option('--force-path-style', 's3: path-style URLs (most S3-compatible stores need it)')
    .option('--url <servers>', 'nats: nats://host:port[,host:port...] (a cluster: several seed servers)')
    .option('--stream <name>', 'nats: the JetStream stream (made when missing)')
    .option(
      '--subject-prefix <prefix>',
      'nats: subjects are <prefix>.<endpoint>.<deployment>.<collection> (default mdc)',
    )
    .option('--creds <file>', 'nats: a credentials file')
    .option(
      '--token <token>',
      'nats: an auth token (stored in workspace.yml; or $MDC_NATS_TOKEN at run time)',
    )
    .option(
      '--replicas <n>',
      'nats: copies of each message when the stream is made (a cluster: 3)',
      intOption('--replicas', 1, 5),
    )
    .option(
      '--duplicate-window-ms <n>',
      'nats: how long the stream made remembers message ids to remove resent copies (default 120000)',
      intOption('--duplicate-window-ms', 1000),
    )
    .option(
      '--max-message-bytes <n>',
      "nats: the servers' max_payload (default 1048576)",
      intOption('--max-message-bytes', 4096),
    )
    .option(
      '--max-spool-bytes <n>',
      'cloud: bound of the local upload spool',
      intOption('--max-spool-bytes', 1024),
    )
    .option(
      '--upload-interval-ms <n>',
      'cloud: longest wait before spooled data is uploaded',
      intOption('--upload-interval-ms', 0, 3_600_000),
    )
    .option(
      '--retention-days <n>',
      'delete time partitions older than this many days (mdc retention apply, and hourly in mdc serve/proxy)',
      intOption('--retention-days', 1),
    )
    .option('--replace', 'replace a datastore of the same name')
    .option(
      '--check',
      'try it first (local: write and remove a file in the folder; cloud: connect), and refuse to save one that fails',
    )
    .action(async (name: string, opts: CreateOptions, cmd: Command) => {
      const ws = openWorkspace(workspaceOption(cmd));
      const config = toConfig(opts);
      if (opts.check) {
        const failed = await check(ws, name, config);
        if (failed) throw failed;
      }
      if (config.type === 'nats') {
        // A stream is made (or checked) now: the collector never makes one, so a typo cannot make a stray stream.
        const made = await natsStream(name, config, opts);
        process.stdout.write(`${made ? 'created' : 'using existing'} stream ${config.stream}\n`);
      }
      addDatastore(ws, name, config, { replace: opts.replace === true });
      process.stdout.write(`created datastore ${name}: ${config.type} ${datastoreLocation(ws, config)}\n`);
      if (
        config.type === 'azure_blob' &&
        !config.connection_string &&
        !config.account_url &&
        !process.env.AZURE_STORAGE_CONNECTION_STRING
      ) {
        process.stderr.write(
          'note: no credentials yet; set AZURE_STORAGE_CONNECTION_STRING where mdc runs\n',
        );
      }
    });

  ds.command('delete')
    .description('remove a datastore from workspace.yml (its stored data is not touched)')
    .argument('<name>', 'datastore name')
    .option('--force', 'delete even when its spool still holds data that was never uploaded')
    .action((name: string, opts: { force?: boolean }, cmd: Command) => {
      const ws = openWorkspace(workspaceOption(cmd));
      const spool = spoolUsage(ws, name);
      if (spool.files > 0 && !opts.force) {
        throw new UsageError(
          `datastore ${name} has ${spool.bytes} bytes in ${spool.files} spool file(s) not uploaded yet; start a collector to deliver them, or pass --force`,
        );
      }
      removeDatastore(ws, name);
      process.stdout.write(`deleted datastore ${name}\n`);
    });
}

function toConfig(o: CreateOptions): DatastoreConfig {
  const delivery = {
    ...(o.maxSpoolBytes !== undefined ? { max_spool_bytes: o.maxSpoolBytes } : {}),
    ...(o.uploadIntervalMs !== undefined ? { upload_interval_ms: o.uploadIntervalMs } : {}),
    ...(o.retentionDays !== undefined ? { retention_days: o.retentionDays } : {}),
  };
  const only = (type: string, allowed: (keyof CreateOptions)[]) => {
    const all: (keyof CreateOptions)[] = [
      'path',
      'container',
      'connectionString',
      'accountUrl',
      'bucket',
      'prefix',
      'endpoint',
      'region',
      'forcePathStyle',
      'url',
      'stream',
      'subjectPrefix',
      'creds',
      'token',
      'replicas',
      'duplicateWindowMs',
      'maxMessageBytes',
    ];
    for (const k of all) {
      if (o[k] !== undefined && !allowed.includes(k)) {
        throw new UsageError(
          `--${k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)} does not apply to --type ${type}`,
        );
      }
    }
  };
  switch (o.type) {
    case 'local':
      only('local', ['path']);
      if (!o.path) throw new UsageError('--type local needs --path <dir>');
      return {
        type: 'local',
        path: resolve(o.path),
        ...(o.retentionDays !== undefined ? { retention_days: o.retentionDays } : {}),
      };
    case 'azure-blob':
    case 'azure_blob':
      only('azure-blob', ['container', 'connectionString', 'accountUrl', 'prefix']);
      if (!o.container) throw new UsageError('--type azure-blob needs --container <name>');
      if (o.connectionString && o.accountUrl)
        throw new UsageError('give --connection-string or --account-url, not both');
      return {
        type: 'azure_blob',
        container: o.container,
        ...(o.connectionString ? { connection_string: o.connectionString } : {}),
        ...(o.accountUrl ? { account_url: o.accountUrl } : {}),
        ...(o.prefix ? { prefix: o.prefix } : {}),
        ...delivery,
      };
    case 's3':
      only('s3', ['bucket', 'prefix', 'endpoint', 'region', 'forcePathStyle']);
      if (!o.bucket) throw new UsageError('--type s3 needs --bucket <name>');
      return {
        type: 's3',
        bucket: o.bucket,
        ...(o.prefix ? { prefix: o.prefix } : {}),
        ...(o.endpoint ? { endpoint: o.endpoint } : {}),
        ...(o.region ? { region: o.region } : {}),
        ...(o.forcePathStyle ? { force_path_style: true } : {}),
        ...delivery,
      };
    case 'nats':
      only('nats', [
        'url',
        'stream',
        'subjectPrefix',
        'creds',
        'token',
        'replicas',
        'duplicateWindowMs',
        'maxMessageBytes',
      ]);
      if (!o.url || !o.stream)
        throw new UsageError('--type nats needs --url nats://host:port and --stream <name>');
      if (o.creds && o.token) throw new UsageError('give --creds or --token, not both');
      return {
        type: 'nats',
        url: o.url,
        stream: o.stream,
        ...(o.subjectPrefix ? { subject_prefix: o.subjectPrefix } : {}),
        ...(o.creds ? { creds: resolve(o.creds) } : {}),
        ...(o.token ? { token: o.token } : {}),
        ...(o.maxMessageBytes !== undefined ? { max_message_bytes: o.maxMessageBytes } : {}),
        ...delivery,
      };
    default:
      throw new UsageError(`--type must be one of ${TYPES.join(', ')}; got "${o.type}"`);
  }
}

/** Makes the NATS datastore's stream when missing and checks it; a server that does not answer fails the command. */
async function natsStream(
  name: string,
  config: Extract<DatastoreConfig, { type: 'nats' }>,
  opts: CreateOptions,
): Promise<boolean> {
  const { ensureStream } = (await import(
    DATASTORE_PACKAGES.nats
  )) as typeof import('@model-data-collector/nats');
  try {
    return await ensureStream(config, {
      ...(opts.replicas !== undefined ? { replicas: opts.replicas } : {}),
      ...(opts.duplicateWindowMs !== undefined ? { duplicateWindowMs: opts.duplicateWindowMs } : {}),
    });
  } catch (err) {
    const detail = `${(err as { code?: string }).code ?? 'error'}: ${(err as Error).message}`;
    throw new DatastoreCheckFailedError(`datastore ${name}: ${detail}`, { cause: err });
  }
}

/** undefined when the datastore works, else a coded error saying why (secrets never included). */
async function check(ws: Workspace, name: string, config: DatastoreConfig): Promise<MdcError | undefined> {
  if (config.type === 'local') return checkFolder(datastoreLocation(ws, config));
  try {
    const up = await createUploader(name, config);
    try {
      await up.check({ signal: AbortSignal.timeout(15_000) });
    } finally {
      await up.close();
    }
    return undefined;
  } catch (err) {
    const detail = `${(err as { code?: string }).code ?? 'error'}: ${(err as Error).message}`;
    return new DatastoreCheckFailedError(`datastore ${name} does not answer: ${detail}`, { cause: err });
  }
}

/**
 * A local datastore folder works when a file can be made, read back and removed in it. A missing folder is made
 * when its parent exists (as the collector would); a missing parent is most likely a typo, so it fails.
 */
function checkFolder(dir: string): MdcError | undefined {
  const fail = (what: string, err: unknown) =>
    new DatastoreCheckFailedError(
      `local folder ${dir}: ${what} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}); pick a folder you can write to with --path`,
      { cause: err },
    );
  if (!existsSync(dir)) {
    if (!existsSync(dirname(dir))) {
      return new PathNotFoundError(
        dir,
        `does not exist, nor its parent ${dirname(dir)}: create it first (mkdir -p) or fix --path`,
      );
    }
    try {
      mkdirSync(dir);
    } catch (err) {
      return fail('cannot be created', err);
    }
  }
  const probe = join(dir, `.mdc-check-${randomUUID()}`);
  try {
    writeFileSync(probe, 'mdc datastore check\n', { flag: 'wx' });
    if (readFileSync(probe, 'utf8') !== 'mdc datastore check\n') throw new Error('read back other bytes');
  } catch (err) {
    try {
      rmSync(probe, { force: true });
    } catch {
      // not a folder, or not ours to clean: the failure below says why
    }
    return fail('cannot be written', err);
  }
  try {
    rmSync(probe);
  } catch (err) {
    return fail('a file written there cannot be removed', err);
  }
  return undefined;
}
