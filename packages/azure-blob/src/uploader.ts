import {
  AnonymousCredential,
  BlobServiceClient,
  type ContainerClient,
  type StoragePipelineOptions,
  StorageSharedKeyCredential,
} from '@azure/storage-blob';
import {
  type DatastoreConfig,
  joinPath,
  MissingPackageError,
  UploadConflictError,
  type Uploader,
  type UploaderContext,
  UploadFailedError,
  type UploadFailureReason,
} from 'model-data-collector/internal';

export type AzureBlobConfig = Extract<DatastoreConfig, { type: 'azure_blob' }>;

/** Largest append block every service version accepts (newer ones take 100 MiB). */
const MAX_APPEND_BLOCK_BYTES = 4 * 1024 * 1024;

const PIPELINE: StoragePipelineOptions = {
  // The spool retries with its own backoff; one quick retry here covers a dropped connection.
  retryOptions: { maxTries: 2, retryDelayInMs: 200, maxRetryDelayInMs: 1000, tryTimeoutInMs: 60_000 },
  userAgentOptions: { userAgentPrefix: 'model-data-collector' },
};

/**
 * Connects the way `@azure/storage-blob` users expect: the datastore's `connection_string`, else
 * `AZURE_STORAGE_CONNECTION_STRING`; else `account_url` with a SAS token in it, or with
 * `AZURE_STORAGE_ACCOUNT_KEY` (shared key), or with `@azure/identity`'s DefaultAzureCredential when that
 * package is installed (managed identity, `az login`, `AZURE_CLIENT_ID`/`AZURE_TENANT_ID`/… ).
 */
export async function connectContainer(
  config: AzureBlobConfig,
  env: NodeJS.ProcessEnv = process.env,
): Promise<ContainerClient> {
  const cs = config.connection_string || env.AZURE_STORAGE_CONNECTION_STRING;
  let service: BlobServiceClient;
  if (cs) service = BlobServiceClient.fromConnectionString(cs, PIPELINE);
  else if (config.account_url) {
    const url = new URL(config.account_url);
    const key = env.AZURE_STORAGE_ACCOUNT_KEY;
    if (url.searchParams.has('sig'))
      service = new BlobServiceClient(url.href, new AnonymousCredential(), PIPELINE);
    else if (key) {
      const account = env.AZURE_STORAGE_ACCOUNT_NAME || accountFromUrl(url);
      service = new BlobServiceClient(url.href, new StorageSharedKeyCredential(account, key), PIPELINE);
    } else service = new BlobServiceClient(url.href, await defaultAzureCredential(), PIPELINE);
  } else {
    throw new UploadFailedError(
      `azure-blob:${config.container}`,
      'auth',
      'no credentials: set connection_string or account_url on the datastore, or AZURE_STORAGE_CONNECTION_STRING',
    );
  }
  return service.getContainerClient(config.container);
}

function accountFromUrl(url: URL): string {
  // https://<account>.blob.core.windows.net, or an emulator's http://127.0.0.1:10000/<account>
  const first = url.hostname.split('.')[0]!;
  return /^[a-z0-9]+$/.test(first) && url.hostname.includes('.blob.')
    ? first
    : (url.pathname.split('/').find(Boolean) ?? first);
}

/** The shape of `@azure/core-auth`'s TokenCredential (DefaultAzureCredential implements it). */
interface TokenCredentialLike {
  getToken(
    scopes: string | string[],
    options?: object,
  ): Promise<{ token: string; expiresOnTimestamp: number } | null>;
}

async function defaultAzureCredential(): Promise<TokenCredentialLike> {
  const pkg = '@azure/identity';
  try {
    const mod = (await import(pkg)) as { DefaultAzureCredential: new () => TokenCredentialLike };
    return new mod.DefaultAzureCredential();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ERR_MODULE_NOT_FOUND') throw err;
    throw new MissingPackageError(
      pkg,
      'an account_url without a SAS token or AZURE_STORAGE_ACCOUNT_KEY signs in with Microsoft Entra ID',
    );
  }
}

/**
 * Writes datastore files as append blobs. Each write is an Append Block with `appendPosition` (and
 * `maxSize`) conditions, so a retried append whose first try landed fails the condition instead of storing
 * the lines twice; the blob's length then tells that it landed.
 */
export class AzureBlobUploader implements Uploader {
  readonly description: string;
  readonly maxWriteBytes = MAX_APPEND_BLOCK_BYTES;
  readonly assemblesAtClose = false;
  private readonly prefix: string;

  constructor(
    readonly container: ContainerClient,
    config: AzureBlobConfig,
  ) {
    this.prefix = joinPath(config.prefix ?? '');
    const url = new URL(container.url);
    url.search = '';
    this.description = `azure-blob:${url.href}${this.prefix ? `/${this.prefix}` : ''}`;
  }

  key(path: string): string {
    return joinPath(this.prefix, path);
  }

  async check(options: { signal?: AbortSignal } = {}): Promise<void> {
    try {
      await this.container.getProperties({ abortSignal: options.signal });
    } catch (err) {
      throw this.failure(err, `container "${this.container.containerName}"`);
    }
  }

  async length(path: string): Promise<number> {
    try {
      const p = await this.container.getAppendBlobClient(this.key(path)).getProperties();
      return p.contentLength ?? 0;
    } catch (err) {
      if (status(err) === 404) return 0;
      throw this.failure(err, path);
    }
  }

  async write(path: string, offset: number, body: Uint8Array): Promise<void> {
    const blob = this.container.getAppendBlobClient(this.key(path));
    try {
      if (offset === 0)
        await blob.createIfNotExists({ blobHTTPHeaders: { blobContentType: 'application/jsonl' } });
      await blob.appendBlock(body, body.byteLength, {
        conditions: { appendPosition: offset, maxSize: offset + body.byteLength },
      });
    } catch (err) {
      const code = status(err);
      if (code !== 412 && !(code === 404 && offset > 0)) throw this.failure(err, path);
      const len = await this.length(path);
      if (len === offset + body.byteLength) return; // an earlier try of this very append landed
      throw new UploadConflictError(this.description, path, offset, len);
    }
  }

  async put(path: string, body: Uint8Array): Promise<void> {
    try {
      await this.container.getBlockBlobClient(this.key(path)).upload(body, body.byteLength);
    } catch (err) {
      throw this.failure(err, path);
    }
  }

  async close(): Promise<void> {}

  /** A clear, coded error from what the service answered. */
  private failure(err: unknown, what: string): UploadFailedError {
    const code = status(err);
    const svc = (err as { code?: string }).code;
    const msg = err instanceof Error ? err.message.split('\n')[0]! : String(err);
    let reason: UploadFailureReason = 'other';
    let detail = `${what}: ${msg}`;
    if (code === 401 || code === 403) {
      reason = 'auth';
      detail = `${what}: the credentials were refused (${svc ?? code}); check the connection string, key or SAS token`;
    } else if (code === 404 && (svc === 'ContainerNotFound' || what.startsWith('container'))) {
      reason = 'not_found';
      detail = `container "${this.container.containerName}" does not exist; create it first`;
    } else if (code === undefined || code === 0 || code >= 500 || code === 408) {
      reason = 'unavailable';
      detail = `${what}: the storage service did not answer (${svc ?? msg})`;
    }
    return new UploadFailedError(this.description, reason, detail, { cause: err });
  }
}

function status(err: unknown): number | undefined {
  return (err as { statusCode?: number }).statusCode;
}

/** The entry point the SDK imports: an uploader for one `azure_blob` datastore. */
export async function createUploader(config: DatastoreConfig, _context?: UploaderContext): Promise<Uploader> {
  if (config.type !== 'azure_blob') throw new TypeError(`not an azure_blob datastore: ${config.type}`);
  return new AzureBlobUploader(await connectContainer(config, _context?.env), config);
}
