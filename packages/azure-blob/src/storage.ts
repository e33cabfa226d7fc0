import { randomUUID } from 'node:crypto';
import type { ContainerClient } from '@azure/storage-blob';
import {
  type DatastoreConfig,
  joinPath,
  PathNotFoundError,
  ReadFailedError,
  type UploaderContext,
} from 'model-data-collector/internal';
import { type AzureBlobConfig, connectContainer } from './uploader.js';

/** One entry of a listing, the shape `@model-data-collector/reader`'s `Storage` expects. */
export interface AzureBlobStorageEntry {
  readonly path: string;
  readonly name: string;
  readonly kind: 'file' | 'folder';
  readonly size?: number;
  readonly modifiedMs?: number;
}

/** Largest append block every service version accepts. */
const APPEND_BLOCK_BYTES = 4 * 1024 * 1024;

/**
 * Reads an Azure Blob datastore the way the reader's `Storage` wants it: a one-level listing (a `/`
 * delimiter) and ranged reads. Files are append blobs at the same paths as on a local disk, and every
 * append ends on a whole line, so a read never sees half an upload.
 */
export class AzureBlobStorage {
  readonly description: string;
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

  private key(path: string): string {
    return joinPath(this.prefix, path);
  }

  async list(folder: string, options: { signal?: AbortSignal } = {}): Promise<AzureBlobStorageEntry[]> {
    const base = this.key(folder);
    const prefix = base ? `${base}/` : '';
    const out: AzureBlobStorageEntry[] = [];
    const seen = new Set<string>();
    await this.guard(async () => {
      for await (const item of this.container.listBlobsByHierarchy('/', {
        prefix,
        ...(options.signal ? { abortSignal: options.signal } : {}),
      })) {
        const name = item.name.slice(prefix.length).replace(/\/$/, '');
        if (!name || seen.has(name)) continue;
        seen.add(name);
        const path = joinPath(folder, name);
        if (item.kind === 'prefix') out.push({ path, name, kind: 'folder' });
        else {
          const modifiedMs = item.properties.lastModified?.getTime();
          out.push({
            path,
            name,
            kind: 'file',
            size: item.properties.contentLength ?? 0,
            ...(modifiedMs !== undefined ? { modifiedMs } : {}),
          });
        }
      }
    });
    return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  async stat(path: string): Promise<AzureBlobStorageEntry | undefined> {
    const rel = joinPath(path);
    if (rel === '') return { path: '', name: '', kind: 'folder' };
    const key = this.key(rel);
    const name = rel.split('/').at(-1) ?? '';
    try {
      const p = await this.container.getBlobClient(key).getProperties();
      const modifiedMs = p.lastModified?.getTime();
      return {
        path: rel,
        name,
        kind: 'file',
        size: p.contentLength ?? 0,
        ...(modifiedMs !== undefined ? { modifiedMs } : {}),
      };
    } catch (err) {
      if (status(err) !== 404 || code(err) === 'ContainerNotFound') throw this.failure(err);
    }
    const page = await this.guard(async () => {
      for await (const r of this.container.listBlobsFlat({ prefix: `${key}/` }).byPage({ maxPageSize: 1 }))
        return r.segment.blobItems.length;
      return 0;
    });
    return page > 0 ? { path: rel, name, kind: 'folder' } : undefined;
  }

  async read(path: string, range?: { start: number; end?: number }): Promise<Uint8Array> {
    const rel = joinPath(path);
    const start = Math.max(0, range?.start ?? 0);
    const end = range?.end;
    if (end !== undefined && end <= start) return new Uint8Array(0);
    const blob = this.container.getBlobClient(this.key(rel));
    try {
      const r = await blob.download(start, end === undefined ? undefined : end - start);
      const chunks: Buffer[] = [];
      for await (const c of r.readableStreamBody!)
        chunks.push(Buffer.isBuffer(c) ? c : Buffer.from(c as string));
      return Buffer.concat(chunks);
    } catch (err) {
      // A range that starts at or after the end of the blob.
      if (status(err) === 416) return new Uint8Array(0);
      if (status(err) === 404 && code(err) !== 'ContainerNotFound')
        throw new PathNotFoundError(`${this.description}/${rel}`);
      throw this.failure(err);
    }
  }

  /** Deletes a blob, or every blob under a folder (retention, erasure). */
  async remove(path: string): Promise<void> {
    const rel = joinPath(path);
    if (rel === '') throw new PathNotFoundError(this.description, 'refusing to remove the whole container');
    const key = this.key(rel);
    await this.guard(async () => {
      const names: string[] = [];
      for await (const b of this.container.listBlobsFlat({ prefix: `${key}/` })) names.push(b.name);
      names.push(key);
      for (const name of names) await this.container.getBlobClient(name).deleteIfExists();
    });
  }

  /**
   * Replaces a file's bytes at once (erasure): the new bytes go to a hidden append blob beside it, which the
   * service then copies over the file, so a reader sees the old blob or the new one, and it stays an append blob.
   */
  async replace(path: string, body: Uint8Array): Promise<void> {
    const rel = joinPath(path);
    const key = this.key(rel);
    const slash = key.lastIndexOf('/');
    const tmp = `${key.slice(0, slash + 1)}.${key.slice(slash + 1)}.${randomUUID()}.rewrite`;
    const staged = this.container.getAppendBlobClient(tmp);
    await this.guard(async () => {
      try {
        await staged.create({ blobHTTPHeaders: { blobContentType: 'application/jsonl' } });
        for (let at = 0; at < body.byteLength; at += APPEND_BLOCK_BYTES) {
          const block = body.subarray(at, Math.min(body.byteLength, at + APPEND_BLOCK_BYTES));
          await staged.appendBlock(block, block.byteLength);
        }
        const poller = await this.container.getBlobClient(key).beginCopyFromURL(staged.url);
        await poller.pollUntilDone();
      } finally {
        await staged.deleteIfExists().catch(() => {});
      }
    });
  }

  async close(): Promise<void> {}

  private async guard<T>(request: () => Promise<T>): Promise<T> {
    try {
      return await request();
    } catch (err) {
      throw this.failure(err);
    }
  }

  private failure(err: unknown): Error {
    if (code(err)?.startsWith('MDC_')) return err as Error;
    if (code(err) === 'ContainerNotFound')
      return new PathNotFoundError(this.description, 'the container does not exist');
    const st = status(err);
    const msg = err instanceof Error ? err.message.split('\n')[0]! : String(err);
    if (st === 401 || st === 403)
      return new ReadFailedError(
        this.description,
        `the credentials were refused (${code(err) ?? st}); check the connection string, key or SAS token`,
        { cause: err },
      );
    if (st === undefined || st === 0 || st >= 500 || st === 408)
      return new ReadFailedError(
        this.description,
        `the storage service did not answer (${code(err) ?? msg})`,
        {
          cause: err,
        },
      );
    return new ReadFailedError(this.description, `${code(err) ?? st}: ${msg}`, { cause: err });
  }
}

function status(err: unknown): number | undefined {
  return (err as { statusCode?: number }).statusCode;
}

function code(err: unknown): string | undefined {
  return (err as { code?: string }).code;
}

/** The entry point the reader imports: a `Storage` for one `azure_blob` datastore. */
export async function createStorage(
  config: DatastoreConfig,
  context?: UploaderContext,
): Promise<AzureBlobStorage> {
  if (config.type !== 'azure_blob') throw new TypeError(`not an azure_blob datastore: ${config.type}`);
  return new AzureBlobStorage(await connectContainer(config, context?.env), config);
}
