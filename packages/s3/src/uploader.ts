import {
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import {
  type DatastoreConfig,
  joinPath,
  type Uploader,
  type UploaderContext,
  UploadFailedError,
  type UploadFailureReason,
} from 'model-data-collector/internal';
import { PART_MARK, partKey, partOffset } from './parts.js';

export type S3Config = Extract<DatastoreConfig, { type: 's3' }>;

/** Parts are bounded by the upload interval; this caps one request (and its buffer) after a long outage. */
const MAX_PART_BYTES = 8 * 1024 * 1024;
/** An assembled file larger than this goes up as a multipart upload (single PUTs stop at 5 GiB). */
const MULTIPART_FROM_BYTES = 64 * 1024 * 1024;
const MULTIPART_PART_BYTES = 16 * 1024 * 1024;

/**
 * Credentials come from the AWS SDK's default chain (AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, AWS_PROFILE
 * and ~/.aws, SSO, container and instance roles); region from the datastore, else AWS_REGION, else us-east-1.
 */
export function s3Client(config: S3Config, env: NodeJS.ProcessEnv = process.env): S3Client {
  return new S3Client({
    region: config.region || env.AWS_REGION || env.AWS_DEFAULT_REGION || 'us-east-1',
    ...(config.endpoint ? { endpoint: config.endpoint } : {}),
    forcePathStyle: config.force_path_style ?? false,
    // The spool retries with its own backoff.
    maxAttempts: 2,
  });
}

/**
 * Writes datastore files to S3, where objects are immutable. Bytes `[offset, …)` of `<file>` go to the part
 * object `<file>.part-<offset, 16 digits>`; a retry writes the same key with the same bytes, so it is
 * idempotent. When the file's period is over the spool uploads it whole as `<file>` and deletes the parts
 * it covers. A reader sees `<file>` followed by the parts at offsets at or past its length (see parts.ts).
 */
export class S3Uploader implements Uploader {
  readonly description: string;
  readonly maxWriteBytes = MAX_PART_BYTES;
  readonly assemblesAtClose = true;
  readonly bucket: string;
  private readonly prefix: string;

  constructor(
    readonly client: S3Client,
    config: S3Config,
  ) {
    this.bucket = config.bucket;
    this.prefix = joinPath(config.prefix ?? '');
    this.description = `s3://${config.bucket}${this.prefix ? `/${this.prefix}` : ''}${config.endpoint ? ` at ${new URL(config.endpoint).origin}` : ''}`;
  }

  key(path: string): string {
    return joinPath(this.prefix, path);
  }

  async check(options: { signal?: AbortSignal } = {}): Promise<void> {
    try {
      await this.client.send(new HeadBucketCommand({ Bucket: this.bucket }), { abortSignal: options.signal });
    } catch (err) {
      throw this.failure(err, `bucket "${this.bucket}"`);
    }
  }

  async length(path: string): Promise<number> {
    const key = this.key(path);
    let len = (await this.head(key)) ?? 0;
    for (const part of await this.parts(key)) len = Math.max(len, part.offset + part.size);
    return len;
  }

  async write(path: string, offset: number, body: Uint8Array): Promise<void> {
    await this.putObject(partKey(this.key(path), offset), body, path);
  }

  async put(path: string, body: Uint8Array): Promise<void> {
    await this.putObject(this.key(path), body, path);
  }

  async complete(
    path: string,
    size: number,
    read: (start: number, end: number) => Promise<Uint8Array>,
  ): Promise<void> {
    const key = this.key(path);
    if (size <= MULTIPART_FROM_BYTES) await this.putObject(key, await read(0, size), path);
    else await this.multipart(key, size, read, path);
    // The whole file is stored: the parts it covers are redundant (a reader skips them anyway).
    for (const part of await this.parts(key)) {
      if (part.offset < size)
        await this.guard(path, () =>
          this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: part.key })),
        );
    }
  }

  async close(): Promise<void> {
    this.client.destroy();
  }

  private async multipart(
    key: string,
    size: number,
    read: (start: number, end: number) => Promise<Uint8Array>,
    path: string,
  ): Promise<void> {
    const { UploadId } = await this.guard(path, () =>
      this.client.send(new CreateMultipartUploadCommand({ Bucket: this.bucket, Key: key })),
    );
    const parts: { ETag: string | undefined; PartNumber: number }[] = [];
    for (let start = 0, n = 1; start < size; start += MULTIPART_PART_BYTES, n++) {
      const body = await read(start, Math.min(size, start + MULTIPART_PART_BYTES));
      const r = await this.guard(path, () =>
        this.client.send(
          new UploadPartCommand({ Bucket: this.bucket, Key: key, UploadId, PartNumber: n, Body: body }),
        ),
      );
      parts.push({ ETag: r.ETag, PartNumber: n });
    }
    await this.guard(path, () =>
      this.client.send(
        new CompleteMultipartUploadCommand({
          Bucket: this.bucket,
          Key: key,
          UploadId,
          MultipartUpload: { Parts: parts },
        }),
      ),
    );
  }

  private async head(key: string): Promise<number | undefined> {
    try {
      const r = await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: key }));
      return r.ContentLength ?? 0;
    } catch (err) {
      if (status(err) === 404) return undefined;
      throw this.failure(err, key);
    }
  }

  /** The part objects of `key`, by offset. */
  async parts(key: string): Promise<{ key: string; offset: number; size: number }[]> {
    const out: { key: string; offset: number; size: number }[] = [];
    let token: string | undefined;
    do {
      const r = await this.guard(key, () =>
        this.client.send(
          new ListObjectsV2Command({
            Bucket: this.bucket,
            Prefix: `${key}${PART_MARK}`,
            ContinuationToken: token,
          }),
        ),
      );
      for (const o of r.Contents ?? []) {
        const offset = o.Key ? partOffset(key, o.Key) : undefined;
        if (offset !== undefined) out.push({ key: o.Key!, offset, size: o.Size ?? 0 });
      }
      token = r.IsTruncated ? r.NextContinuationToken : undefined;
    } while (token);
    return out.sort((a, b) => a.offset - b.offset);
  }

  private async putObject(key: string, body: Uint8Array, path: string): Promise<void> {
    await this.guard(path, () =>
      this.client.send(
        new PutObjectCommand({ Bucket: this.bucket, Key: key, Body: body, ContentLength: body.byteLength }),
      ),
    );
  }

  private async guard<T>(what: string, request: () => Promise<T>): Promise<T> {
    try {
      return await request();
    } catch (err) {
      throw this.failure(err, what);
    }
  }

  private failure(err: unknown, what: string): UploadFailedError {
    if (err instanceof UploadFailedError) return err;
    const code = status(err);
    const name = (err as { name?: string; Code?: string }).Code ?? (err as Error).name;
    const msg = err instanceof Error ? err.message : String(err);
    let reason: UploadFailureReason = 'other';
    let detail = `${what}: ${name}: ${msg}`;
    if (
      code === 401 ||
      code === 403 ||
      /InvalidAccessKeyId|SignatureDoesNotMatch|AccessDenied|CredentialsProviderError/.test(name ?? '')
    ) {
      reason = 'auth';
      detail = `${what}: the credentials were refused (${name}); check AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY or the profile`;
    } else if (name === 'NoSuchBucket' || (code === 404 && what.startsWith('bucket'))) {
      reason = 'not_found';
      detail = `bucket "${this.bucket}" does not exist; create it first`;
    } else if (code === undefined || code >= 500 || code === 408) {
      reason = 'unavailable';
      detail = `${what}: the storage service did not answer (${name}: ${msg})`;
    }
    return new UploadFailedError(this.description, reason, detail, { cause: err });
  }
}

function status(err: unknown): number | undefined {
  return (err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
}

/** The entry point the SDK imports: an uploader for one `s3` datastore. */
export async function createUploader(config: DatastoreConfig, context?: UploaderContext): Promise<Uploader> {
  if (config.type !== 's3') throw new TypeError(`not an s3 datastore: ${config.type}`);
  return new S3Uploader(s3Client(config, context?.env), config);
}
