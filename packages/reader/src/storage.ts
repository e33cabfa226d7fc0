import type { Dirent } from 'node:fs';
import { open, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { isAbsolute, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  DATASTORE_KINDS,
  DATASTORE_PACKAGES,
  type DatastoreConfig,
  DEFAULT_DATASTORE,
  datastoreLocation,
  getDatastore,
  InvalidPathError,
  joinPath,
  localDatastoreRoot,
  locateDatastoreUri,
  MissingPackageError,
  PathNotFoundError,
  type Workspace,
} from 'model-data-collector/internal';

/** One entry of a folder listing. Paths are relative to the storage root, `/`-separated. */
export interface StorageEntry {
  readonly path: string;
  readonly name: string;
  readonly kind: 'file' | 'folder';
  /** Bytes (files only). */
  readonly size?: number;
  /** Last modification, ms since the epoch (files only). */
  readonly modifiedMs?: number;
}

/**
 * What the reader needs from a datastore: a one-level listing (what blob stores give with a `/` delimiter)
 * and byte reads. Azure Blob and S3 implement this in their own packages (`createStorage`, imported lazily); `localPath` lets DuckDB read
 * local files in place, and files of a storage without it are staged to a local folder first.
 */
export interface Storage {
  /** Human-readable location, e.g. `local:/ws/datastores/workspaceblobstore`. */
  readonly description: string;
  /** Entries directly inside `folder` ('' is the root), sorted by name; [] when the folder does not exist. */
  list(folder: string, options?: { signal?: AbortSignal }): Promise<StorageEntry[]>;
  /** Bytes of a file, or of `[start, end)` of it. */
  read(path: string, range?: { start: number; end?: number }): Promise<Uint8Array>;
  /** Metadata of a file or folder, or undefined when nothing is there. */
  stat(path: string): Promise<StorageEntry | undefined>;
  /** The local file system path of `path`, when the storage is local. */
  localPath?(path: string): string;
  /** Deletes a file, or a folder with everything under it; nothing there is not an error (retention, erasure). */
  remove?(path: string): Promise<void>;
  /** Replaces a file's bytes at once: a reader sees the old file or the new one, never a mix (erasure). */
  replace?(path: string, body: Uint8Array): Promise<void>;
}

/** A folder of the local file system. */
export class LocalStorage implements Storage {
  readonly description: string;
  constructor(readonly root: string) {
    this.description = `local:${root}`;
  }

  localPath(path: string): string {
    const abs = join(this.root, path);
    const rel = relative(this.root, abs);
    if (rel.startsWith('..') || isAbsolute(rel)) throw new InvalidPathError(path, 'escapes the datastore');
    return abs;
  }

  async list(folder: string): Promise<StorageEntry[]> {
    let dirents: Dirent[];
    try {
      dirents = await readdir(this.localPath(folder), { withFileTypes: true });
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') return [];
      throw err;
    }
    dirents.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    const out: StorageEntry[] = [];
    for (const d of dirents) {
      const path = joinPath(folder, d.name);
      if (d.isDirectory()) out.push({ path, name: d.name, kind: 'folder' });
      else if (d.isFile()) {
        const s = await stat(join(this.root, path)).catch(() => undefined);
        if (s) out.push({ path, name: d.name, kind: 'file', size: s.size, modifiedMs: s.mtimeMs });
      }
    }
    return out;
  }

  async read(path: string, range?: { start: number; end?: number }): Promise<Uint8Array> {
    const fh = await open(this.localPath(path), 'r');
    try {
      const size = (await fh.stat()).size;
      const start = Math.min(range?.start ?? 0, size);
      const end = Math.min(range?.end ?? size, size);
      const buf = Buffer.alloc(Math.max(0, end - start));
      let done = 0;
      while (done < buf.length) {
        const { bytesRead } = await fh.read(buf, done, buf.length - done, start + done);
        if (bytesRead === 0) break;
        done += bytesRead;
      }
      return buf.subarray(0, done);
    } finally {
      await fh.close();
    }
  }

  async remove(path: string): Promise<void> {
    if (joinPath(path) === '') throw new InvalidPathError(path, 'refusing to remove the whole datastore');
    await rm(this.localPath(path), { recursive: true, force: true });
  }

  async replace(path: string, body: Uint8Array): Promise<void> {
    const abs = this.localPath(path);
    // Written beside the file, then renamed over it: rename is atomic within a folder.
    const tmp = `${abs}.${process.pid}.${Date.now().toString(36)}.tmp`;
    try {
      await writeFile(tmp, body);
      await rename(tmp, abs);
    } catch (err) {
      await rm(tmp, { force: true });
      throw err;
    }
  }

  async stat(path: string): Promise<StorageEntry | undefined> {
    const s = await stat(this.localPath(path)).catch(() => undefined);
    if (!s) return undefined;
    const name = path.split('/').at(-1) ?? '';
    return s.isDirectory()
      ? { path, name, kind: 'folder' }
      : { path, name, kind: 'file', size: s.size, modifiedMs: s.mtimeMs };
  }
}

/** A location: a folder or file inside a storage, and how to name it back to the user. */
export interface Location {
  readonly storage: Storage;
  /** Path inside the storage ('' for its root). */
  readonly path: string;
  /** The datastore name, when the location is inside one. */
  readonly datastore?: string;
  /** How the user would write this location (an azureml:// URI or a file path). */
  readonly uri: string;
}

const storages = new WeakMap<Workspace, Map<string, Storage>>();

type CloudConfig = Exclude<DatastoreConfig, { type: 'local' }>;

/** The module shape of `@model-data-collector/azure-blob` and `@model-data-collector/s3` the reader uses. */
interface StoragePackage {
  createStorage?(
    config: DatastoreConfig,
    context: { datastore: string; env: NodeJS.ProcessEnv },
  ): Promise<Storage>;
}

/**
 * A cloud datastore's storage, made on first use: its package (`@model-data-collector/azure-blob` or
 * `/s3`) is imported only then, so reading local datastores never loads a cloud SDK. Credentials and
 * endpoints come from the workspace entry and the environment, as for the collector's uploads.
 */
class CloudStorage implements Storage {
  readonly description: string;
  private inner: Promise<Storage> | undefined;

  constructor(
    private readonly name: string,
    private readonly config: CloudConfig,
    private readonly pkg: string,
    description: string,
  ) {
    this.description = description;
  }

  private open(): Promise<Storage> {
    this.inner ??= (async () => {
      const mod = (await import(this.pkg)) as StoragePackage;
      if (typeof mod.createStorage !== 'function') {
        throw new MissingPackageError(
          this.pkg,
          `datastore "${this.name}": the installed ${this.pkg} cannot read (no createStorage); a newer version is needed`,
        );
      }
      return mod.createStorage(this.config, { datastore: this.name, env: process.env });
    })();
    // A failed start (e.g. no credentials) is tried again next time.
    this.inner.catch(() => {
      this.inner = undefined;
    });
    return this.inner;
  }

  async list(folder: string, options?: { signal?: AbortSignal }): Promise<StorageEntry[]> {
    return (await this.open()).list(folder, options);
  }

  async read(path: string, range?: { start: number; end?: number }): Promise<Uint8Array> {
    return (await this.open()).read(path, range);
  }

  async stat(path: string): Promise<StorageEntry | undefined> {
    return (await this.open()).stat(path);
  }

  async remove(path: string): Promise<void> {
    const inner = await this.open();
    if (!inner.remove)
      throw new MissingPackageError(this.pkg, `${this.pkg} cannot delete files; a newer version is needed`);
    return inner.remove(path);
  }

  async replace(path: string, body: Uint8Array): Promise<void> {
    const inner = await this.open();
    if (!inner.replace)
      throw new MissingPackageError(this.pkg, `${this.pkg} cannot rewrite files; a newer version is needed`);
    return inner.replace(path, body);
  }
}

/**
 * The storage of a named datastore. A cloud datastore needs its package installed
 * (`MDC_MISSING_PACKAGE` otherwise), which is imported on the first read.
 */
export function datastoreStorage(ws: Workspace, name: string): Storage {
  let cache = storages.get(ws);
  if (!cache) {
    cache = new Map();
    storages.set(ws, cache);
  }
  const hit = cache.get(name);
  if (hit) return hit;
  const ds = getDatastore(ws, name);
  let storage: Storage;
  if (ds.type === 'local') storage = new LocalStorage(localDatastoreRoot(ws, ds));
  else storage = cloudStorage(ws, name, ds);
  cache.set(name, storage);
  return storage;
}

function cloudStorage(ws: Workspace, name: string, config: CloudConfig): Storage {
  const pkg = DATASTORE_PACKAGES[config.type];
  try {
    import.meta.resolve(pkg);
  } catch (err) {
    const what = DATASTORE_KINDS[config.type];
    const e = new MissingPackageError(pkg, `datastore "${name}" is ${what}; reading it needs ${pkg}`);
    (e as { cause?: unknown }).cause = err;
    throw e;
  }
  return new CloudStorage(name, config, pkg, datastoreLocation(ws, config));
}

/**
 * Resolves what a user typed: `azureml://datastores/<ds>/paths/<p>` (short or long form), `file://…`,
 * `s3://bucket/path` (a datastore of that bucket, see `resolveS3Uri`), or a plain path inside the default datastore.
 */
export function resolveLocation(ws: Workspace, target = ''): Location {
  // The same resolution as the write side's data.path (the SDK's locateDatastoreUri).
  const loc = locateDatastoreUri(ws, target);
  if (loc) {
    const storage = loc.defined
      ? datastoreStorage(ws, loc.datastore)
      : cloudStorage(ws, loc.datastore, loc.config as CloudConfig);
    return { storage, path: loc.path, datastore: loc.datastore, uri: loc.uri(loc.path) };
  }
  if (/^file:\/\//i.test(target)) {
    const abs = fileURLToPath(target);
    return { storage: new LocalStorage(abs), path: '', uri: target };
  }
  if (/^(https?|wasbs?|abfss?):\/\//i.test(target)) {
    throw new InvalidPathError(
      target,
      'reading an Azure Blob URL directly is not supported; define the container as a datastore of the workspace and use azureml://datastores/<name>/paths/<path>',
    );
  }
  const path = joinPath(...target.split(sep));
  if (path.split('/').includes('..')) throw new InvalidPathError(target, '".." is not allowed in a path');
  return {
    storage: datastoreStorage(ws, DEFAULT_DATASTORE),
    path,
    datastore: DEFAULT_DATASTORE,
    uri: `azureml://datastores/${DEFAULT_DATASTORE}/paths/${path}`,
  };
}

/** Throws MDC_PATH_NOT_FOUND unless something is at the location. */
export async function requireExists(loc: Location): Promise<StorageEntry> {
  const e = await loc.storage.stat(loc.path);
  if (!e) throw new PathNotFoundError(loc.uri);
  return e;
}
