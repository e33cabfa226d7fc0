import { closeSync, mkdirSync, openSync, writeFileSync, writeSync } from 'node:fs';
import { type FileHandle, mkdir, open, writeFile } from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';
import { writeAll } from './chunks.js';
import { InvalidPathError } from './errors.js';
import type { Sink } from './sink.js';

/** How many files a local sink keeps open; rolled-away files are closed first. */
const MAX_OPEN_FILES = 32;

/**
 * Appends to files under a local folder. Each file is opened once with O_APPEND and written with one
 * `write` per batch, so lines from this process are never torn; other processes write other files
 * (`{instance_id}.jsonl`).
 */
export class LocalFileSink implements Sink {
  readonly description: string;
  private readonly handles = new Map<string, FileHandle>();
  /** Appends still waiting for their file to open (no write issued yet): appendSync at exit writes them. */
  private readonly unissued = new Map<string, readonly Uint8Array[]>();

  constructor(readonly root: string) {
    this.description = `local:${root}`;
  }

  resolve(path: string): string {
    const abs = join(this.root, path);
    const rel = relative(this.root, abs);
    if (rel.startsWith('..') || rel.split(sep).includes('..'))
      throw new InvalidPathError(path, 'escapes the datastore');
    return abs;
  }

  async append(files: ReadonlyMap<string, readonly Uint8Array[]>): Promise<void> {
    for (const [path, chunks] of files) {
      this.unissued.set(path, chunks);
      let fh: FileHandle;
      try {
        fh = await this.handle(path);
      } finally {
        this.unissued.delete(path);
      }
      await writeAll(fh, chunks);
    }
  }

  appendSync(files: ReadonlyMap<string, readonly Uint8Array[]>): void {
    // At exit an async append may be stuck before its write: those bytes come first.
    const interrupted = [...this.unissued];
    this.unissued.clear();
    for (const [path, chunks] of [...interrupted, ...files]) {
      const bytes = Buffer.concat(chunks);
      const abs = this.resolve(path);
      mkdirSync(dirname(abs), { recursive: true });
      const fd = openSync(abs, 'a');
      try {
        writeSync(fd, bytes);
      } finally {
        closeSync(fd);
      }
    }
  }

  async put(path: string, body: Uint8Array | string): Promise<void> {
    const abs = this.resolve(path);
    await mkdir(dirname(abs), { recursive: true });
    await writeFile(abs, body);
  }

  putSync(path: string, body: Uint8Array | string): void {
    const abs = this.resolve(path);
    mkdirSync(dirname(abs), { recursive: true });
    writeFileSync(abs, body);
  }

  async close(): Promise<void> {
    const all = [...this.handles.values()];
    this.handles.clear();
    await Promise.allSettled(all.map((h) => h.close()));
  }

  private async handle(path: string): Promise<FileHandle> {
    const open_ = this.handles.get(path);
    if (open_) {
      // Keep most recently used last, so the oldest (rolled-away) file is closed first.
      this.handles.delete(path);
      this.handles.set(path, open_);
      return open_;
    }
    const abs = this.resolve(path);
    await mkdir(dirname(abs), { recursive: true });
    const fh = await open(abs, 'a');
    this.handles.set(path, fh);
    if (this.handles.size > MAX_OPEN_FILES) {
      const [oldPath, oldest] = this.handles.entries().next().value as [string, FileHandle];
      this.handles.delete(oldPath);
      await oldest.close().catch(() => {});
    }
    return fh;
  }
}
