import { closeSync, writeSync as fsWriteSync, mkdirSync, openSync, statSync, writeFileSync } from 'node:fs';
import { type FileHandle, open, writeFile } from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';
import { writeAll } from '../chunks.js';
import { InvalidPathError } from '../errors.js';
import { Folders } from './folders.js';
import { type FileBatch, type FileResult, type Sink, STORED } from './sink.js';

/** An open file and the identity it had when opened. */
interface OpenFile {
  readonly fh: FileHandle;
  readonly ino: number;
  readonly dev: number;
}

/** How many files a local sink keeps open; rolled-away files are closed first. */
const MAX_OPEN_FILES = 32;

/**
 * Appends to files under a local folder. Each file is opened once with O_APPEND and written with one
 * `write` per batch, so lines from this process are never torn; other processes write other files
 * (`{instance_id}.jsonl`). A batch's raw payloads are written first, so a line never points at a missing file.
 */
export class LocalFileSink implements Sink {
  readonly description: string;
  private readonly handles = new Map<string, OpenFile>();
  /** Batches whose write started and has not issued its lines yet (the queue's and a destination's may overlap): finishSync writes them at exit. */
  private readonly started = new Set<FileBatch>();
  private readonly folders = new Folders();

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

  async write(batch: FileBatch): Promise<FileResult> {
    this.started.add(batch);
    let opened: { fh: FileHandle; size: number };
    try {
      for (const p of batch.payloads) {
        const abs = this.resolve(p.path);
        this.folders.ensure(dirname(abs));
        await writeFile(abs, p.body);
      }
      opened = await this.handle(batch.path);
    } finally {
      this.started.delete(batch);
    }
    try {
      await writeAll(opened.fh, batch.chunks);
    } catch (err) {
      // A write cut short (the disk is full) must not leave half a line for the next one to follow: cut it
      // off, so the retry, or the next batch, starts on a line boundary.
      await opened.fh.truncate(opened.size).catch(() => {});
      throw err;
    }
    return STORED;
  }

  finishSync(): void {
    const batches = [...this.started];
    this.started.clear();
    for (const batch of batches) this.writeSync(batch);
  }

  writeSync(batch: FileBatch): FileResult {
    for (const p of batch.payloads) {
      const abs = this.resolve(p.path);
      mkdirSync(dirname(abs), { recursive: true });
      writeFileSync(abs, p.body);
    }
    const abs = this.resolve(batch.path);
    mkdirSync(dirname(abs), { recursive: true });
    const fd = openSync(abs, 'a');
    try {
      fsWriteSync(fd, Buffer.concat(batch.chunks as Uint8Array[]));
    } finally {
      closeSync(fd);
    }
    return STORED;
  }

  async close(): Promise<void> {
    const all = [...this.handles.values()];
    this.handles.clear();
    await Promise.allSettled(all.map((h) => h.fh.close()));
  }

  /** The file's handle and its size now (only this process appends to it: the file is named by its instance). */
  private async handle(path: string): Promise<{ fh: FileHandle; size: number }> {
    const abs = this.resolve(path);
    const known = this.handles.get(path);
    if (known) {
      this.handles.delete(path);
      // The file may have been replaced since it was opened (mdc forget renames a rewritten copy over it, retention
      // removes old folders): appending to the old, unlinked file would lose the lines. One stat per batch.
      const st = statSync(abs, { throwIfNoEntry: false });
      if (st && st.ino === known.ino && st.dev === known.dev) {
        // Keep most recently used last, so the oldest (rolled-away) file is closed first.
        this.handles.set(path, known);
        return { fh: known.fh, size: st.size };
      }
      void known.fh.close().catch(() => {});
      if (!st) mkdirSync(dirname(abs), { recursive: true });
    }
    this.folders.ensure(dirname(abs));
    const fh = await open(abs, 'a');
    const { ino, dev, size } = await fh.stat();
    this.handles.set(path, { fh, ino, dev });
    if (this.handles.size > MAX_OPEN_FILES) {
      const [oldPath, oldest] = this.handles.entries().next().value as [string, OpenFile];
      this.handles.delete(oldPath);
      await oldest.fh.close().catch(() => {});
    }
    return { fh, size };
  }
}
