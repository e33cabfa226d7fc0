import {
  DeleteObjectsCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  type ListObjectsV2CommandOutput,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import {
  type DatastoreConfig,
  joinPath,
  PathNotFoundError,
  ReadFailedError,
  type UploaderContext,
} from 'model-data-collector/internal';
import { assemble, type Piece, splitPartName } from './parts.js';
import { type S3Config, s3Client } from './uploader.js';

/** One entry of a listing, the shape `@model-data-collector/reader`'s `Storage` expects. */
export interface S3StorageEntry {
  readonly path: string;
  readonly name: string;
  readonly kind: 'file' | 'folder';
  readonly size?: number;
  readonly modifiedMs?: number;
}

interface ObjectInfo {
  readonly key: string;
  readonly size: number;
  readonly modifiedMs: number | undefined;
}

/** A logical file: the whole object and/or the parts that continue it (see parts.ts). */
interface LogicalFile {
  whole?: ObjectInfo;
  parts: (ObjectInfo & { offset: number })[];
}

/**
 * Reads an S3 datastore the way the reader's `Storage` wants it: files as the collector wrote them, so a
 * file kept as `<file>` plus `<file>.part-<offset>` objects (or parts only, before its period closed) is
 * listed once, under its own name, with its assembled size, and reads return the assembled bytes. Part
 * objects never show. A gap in the parts ends the file there, as for any reader of the layout.
 */
export class S3Storage {
  readonly description: string;
  readonly bucket: string;
  private readonly prefix: string;

  constructor(
    readonly client: S3Client,
    config: S3Config,
  ) {
    this.bucket = config.bucket;
    this.prefix = joinPath(config.prefix ?? '');
    this.description = `s3://${config.bucket}${this.prefix ? `/${this.prefix}` : ''}`;
  }

  private key(path: string): string {
    return joinPath(this.prefix, path);
  }

  async list(folder: string, options: { signal?: AbortSignal } = {}): Promise<S3StorageEntry[]> {
    const base = this.key(folder);
    const prefix = base ? `${base}/` : '';
    const folders = new Set<string>();
    const files = new Map<string, LogicalFile>();
    await this.listPages(prefix, '/', options.signal, (r) => {
      for (const p of r.CommonPrefixes ?? []) {
        const name = p.Prefix?.slice(prefix.length).replace(/\/$/, '');
        if (name) folders.add(name);
      }
      for (const o of r.Contents ?? []) {
        if (!o.Key || o.Key === prefix) continue;
        addObject(files, { key: o.Key, size: o.Size ?? 0, modifiedMs: o.LastModified?.getTime() });
      }
    });
    if (folders.size === 0 && files.size === 0) {
      // Nothing directly inside: either an empty folder, or a store that reports a common prefix only for
      // folders holding objects themselves (s3rver). A listing without delimiter finds the folders then.
      await this.listPages(prefix, undefined, options.signal, (r) => {
        for (const o of r.Contents ?? []) {
          const rest = o.Key?.slice(prefix.length) ?? '';
          const i = rest.indexOf('/');
          if (i > 0) folders.add(rest.slice(0, i));
          else if (rest && o.Key)
            addObject(files, { key: o.Key, size: o.Size ?? 0, modifiedMs: o.LastModified?.getTime() });
        }
      });
    }
    const out: S3StorageEntry[] = [];
    for (const name of folders) out.push({ path: joinPath(folder, name), name, kind: 'folder' });
    for (const [key, f] of files) {
      const name = key.slice(prefix.length);
      if (!name || folders.has(name)) continue;
      out.push(fileEntry(joinPath(folder, name), name, f));
    }
    return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  async stat(path: string): Promise<S3StorageEntry | undefined> {
    const rel = joinPath(path);
    if (rel === '') return { path: '', name: '', kind: 'folder' };
    const key = this.key(rel);
    const name = rel.split('/').at(-1) ?? '';
    const f = await this.file(key);
    if (f.whole || f.parts.length > 0) return fileEntry(rel, name, f);
    return (await this.list(rel)).length > 0 ? { path: rel, name, kind: 'folder' } : undefined;
  }

  async read(path: string, range?: { start: number; end?: number }): Promise<Uint8Array> {
    const key = this.key(joinPath(path));
    const f = await this.file(key);
    if (!f.whole && f.parts.length === 0)
      throw new PathNotFoundError(`${this.description}/${joinPath(path)}`);
    const { pieces, size } = assemble(f.whole, f.parts);
    const start = Math.min(Math.max(0, range?.start ?? 0), size);
    const end = Math.min(range?.end ?? size, size);
    if (end <= start) return new Uint8Array(0);
    const bufs = await Promise.all(
      pieces
        .filter((p) => p.offset < end && p.offset + p.size > start)
        .map((p) => this.readPiece(p, Math.max(start, p.offset), Math.min(end, p.offset + p.size))),
    );
    return bufs.length === 1 ? bufs[0]! : Buffer.concat(bufs);
  }

  /** Deletes a file (its whole object and parts), or every object under a folder (retention, erasure). */
  async remove(path: string): Promise<void> {
    const rel = joinPath(path);
    if (rel === '') throw new PathNotFoundError(this.description, 'refusing to remove the whole bucket');
    const key = this.key(rel);
    const keys: string[] = [];
    // No delimiter: `<key>/…` below a folder, and `<key>` with its `<key>.part-…` objects for a file.
    await this.listPages(key, undefined, undefined, (r) => {
      for (const o of r.Contents ?? []) {
        if (!o.Key) continue;
        if (o.Key.startsWith(`${key}/`) || splitPartName(o.Key).file === key) keys.push(o.Key);
      }
    });
    await this.deleteKeys(keys);
  }

  /**
   * Replaces a file's bytes (erasure): one PUT of the whole object, then its parts are deleted. A file of a past
   * period is one object, so the PUT is atomic for it; for a file still in parts, a reader listing between the
   * PUT and the deletion can see the old parts after the new object.
   */
  async replace(path: string, body: Uint8Array): Promise<void> {
    const key = this.key(joinPath(path));
    const f = await this.file(key);
    await this.guard(() =>
      this.client.send(
        new PutObjectCommand({
          Bucket: this.bucket,
          Key: key,
          Body: body,
          ContentLength: body.byteLength,
          ContentType: 'application/jsonl',
        }),
      ),
    );
    await this.deleteKeys(f.parts.map((p) => p.key));
  }

  private async deleteKeys(keys: readonly string[]): Promise<void> {
    for (let i = 0; i < keys.length; i += 1000) {
      const batch = keys.slice(i, i + 1000);
      await this.guard(() =>
        this.client.send(
          new DeleteObjectsCommand({
            Bucket: this.bucket,
            Delete: { Objects: batch.map((Key) => ({ Key })), Quiet: true },
          }),
        ),
      );
    }
  }

  async close(): Promise<void> {
    this.client.destroy();
  }

  /** Bytes `[start, end)` of the file, all inside `piece`. */
  private async readPiece(piece: Piece, start: number, end: number): Promise<Uint8Array> {
    const from = piece.skip + (start - piece.offset);
    const to = from + (end - start) - 1;
    const r = await this.guard(() =>
      this.client.send(
        new GetObjectCommand({ Bucket: this.bucket, Key: piece.key, Range: `bytes=${from}-${to}` }),
      ),
    );
    let body = await r.Body!.transformToByteArray();
    if (body.byteLength !== end - start) {
      // A store that answered another range than asked (s3rver sends the whole object for `bytes=0-0`).
      const m = /^bytes (\d+)-(\d+)\//.exec(r.ContentRange ?? '');
      const got = m ? Number(m[1]) : 0;
      if (got <= from && got + body.byteLength > to) body = body.subarray(from - got, to + 1 - got);
    }
    if (body.byteLength !== end - start) {
      throw new ReadFailedError(
        this.description,
        `${piece.key} changed while being read (got ${body.byteLength} of ${end - start} bytes)`,
      );
    }
    return body;
  }

  /** The whole object and parts of one file, in a single listing. */
  private async file(key: string): Promise<LogicalFile> {
    const files = new Map<string, LogicalFile>();
    // With a delimiter, `<key>/…` (when `key` is a folder) comes back as one common prefix, not every object below.
    await this.listPages(key, '/', undefined, (r) => {
      for (const o of r.Contents ?? []) {
        if (o.Key) addObject(files, { key: o.Key, size: o.Size ?? 0, modifiedMs: o.LastModified?.getTime() });
      }
    });
    return files.get(key) ?? { parts: [] };
  }

  private async listPages(
    prefix: string,
    delimiter: string | undefined,
    signal: AbortSignal | undefined,
    onPage: (r: ListObjectsV2CommandOutput) => void,
  ): Promise<void> {
    let token: string | undefined;
    do {
      const r: ListObjectsV2CommandOutput = await this.guard(() =>
        this.client.send(
          new ListObjectsV2Command({
            Bucket: this.bucket,
            Prefix: prefix,
            ContinuationToken: token,
            ...(delimiter ? { Delimiter: delimiter } : {}),
          }),
          signal ? { abortSignal: signal } : {},
        ),
      );
      onPage(r);
      token = r.IsTruncated ? r.NextContinuationToken : undefined;
    } while (token);
  }

  private async guard<T>(request: () => Promise<T>): Promise<T> {
    try {
      return await request();
    } catch (err) {
      throw this.failure(err);
    }
  }

  private failure(err: unknown): Error {
    if ((err as { code?: string }).code?.startsWith('MDC_')) return err as Error;
    const code = (err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
    const name = (err as { Code?: string }).Code ?? (err as Error).name;
    const msg = err instanceof Error ? err.message : String(err);
    if (name === 'NoSuchBucket')
      return new PathNotFoundError(`s3://${this.bucket}`, 'the bucket does not exist');
    if (
      code === 401 ||
      code === 403 ||
      /InvalidAccessKeyId|SignatureDoesNotMatch|AccessDenied|CredentialsProviderError/.test(name ?? '')
    ) {
      return new ReadFailedError(
        this.description,
        `the credentials were refused (${name}); check AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY or the profile`,
        { cause: err },
      );
    }
    if (code === undefined || code >= 500 || code === 408)
      return new ReadFailedError(this.description, `the storage service did not answer (${name}: ${msg})`, {
        cause: err,
      });
    return new ReadFailedError(this.description, `${name}: ${msg}`, { cause: err });
  }
}

function addObject(files: Map<string, LogicalFile>, o: ObjectInfo): void {
  const { file, offset } = splitPartName(o.key);
  const f = files.get(file) ?? { parts: [] };
  if (offset === undefined) f.whole = o;
  else f.parts.push({ ...o, offset });
  files.set(file, f);
}

function fileEntry(path: string, name: string, f: LogicalFile): S3StorageEntry {
  const { size } = assemble(f.whole, f.parts);
  let modifiedMs = f.whole?.modifiedMs;
  for (const p of f.parts) {
    if (p.modifiedMs !== undefined && (modifiedMs === undefined || p.modifiedMs > modifiedMs))
      modifiedMs = p.modifiedMs;
  }
  return { path, name, kind: 'file', size, ...(modifiedMs !== undefined ? { modifiedMs } : {}) };
}

/** The entry point the reader imports: a `Storage` for one `s3` datastore. */
export async function createStorage(config: DatastoreConfig, context?: UploaderContext): Promise<S3Storage> {
  if (config.type !== 's3') throw new TypeError(`not an s3 datastore: ${config.type}`);
  return new S3Storage(s3Client(config, context?.env), config);
}
