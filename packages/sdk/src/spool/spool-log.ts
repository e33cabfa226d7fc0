import {
  closeSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readSync,
  renameSync,
  rmSync,
  writeSync,
  writevSync,
} from 'node:fs';
import { type FileHandle, mkdir, open, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { skipBytes, writeAll } from '../chunks.js';
import { Folders } from '../datastore/folders.js';
import type { PayloadFile } from '../datastore/sink.js';
import { InvalidPathError } from '../errors.js';
import { joinPath, nextPeriodStart, type RollingRate } from '../layout.js';
import {
  claimSpool,
  type FoundFile,
  releaseSpool,
  removeEmptyUnit,
  type SpoolUnit,
  scanUnit,
} from './spool-dir.js';
import type { SpoolingSinkOptions } from './spooling-sink.js';

export type SpoolLogOptions = Pick<
  Required<SpoolingSinkOptions>,
  'dir' | 'instanceId' | 'rollingRate' | 'maxSpoolBytes' | 'fsync' | 'clock'
>;

/** Why a write did not reach the spool: the caller drops what it carried. */
export interface SpoolRefusal {
  readonly detail: string;
  readonly cause?: unknown;
}

/** A datastore file being spooled. */
export class SpoolFile {
  fh: FileHandle | undefined;
  /** Bytes of this spool file already in the datastore; undefined until asked (a file found at start-up). */
  delivered: number | undefined;
  /** When the oldest undelivered byte was spooled. */
  pendingSince: number | undefined;
  /** Delivered bytes are kept for assembly at period end (S3). */
  retained = false;
  /** An upload of this file is running: compaction must wait. */
  busy = false;
  constructor(
    readonly unit: SpoolUnit,
    readonly remotePath: string,
    /** Spool file path without the `@start` suffix. */
    readonly base: string,
    public start: number | undefined,
    public size: number,
    readonly periodEnd: number | undefined,
  ) {}
  get file(): string {
    return this.start === undefined ? this.base : `${this.base}@${this.start}`;
  }
}

/** A raw payload waiting in the spool. */
export interface SpoolObject {
  readonly remotePath: string;
  readonly file: string;
  readonly size: number;
  readonly since: number;
}

/**
 * The on-disk write-ahead log of one cloud datastore (layout in spool-dir.ts): the units this process
 * claimed, a spool file per datastore file and an object per raw payload, and the space they take. It
 * writes and reads bytes; when and where they are uploaded is the delivery loop's business.
 */
export class SpoolLog {
  private readonly units: SpoolUnit[];
  private readonly own: SpoolUnit;
  private readonly fileMap = new Map<string, SpoolFile>();
  private readonly objectList: SpoolObject[] = [];
  /** Where the next spool file of a path starts, learnt when the previous one was delivered. */
  private readonly knownLength = new Map<string, number>();
  private spoolBytes = 0;
  /** Batches being appended (the queue's and a destination channel's may overlap). */
  private appending = 0;
  private readonly folders = new Folders();

  constructor(private readonly o: SpoolLogOptions) {
    this.units = claimSpool(o.dir, o.instanceId, o.rollingRate);
    this.own = this.units[0]!;
    for (const unit of this.units) this.load(unit);
  }

  get files(): ReadonlyMap<string, SpoolFile> {
    return this.fileMap;
  }

  /** Oldest first: delivered in this order. */
  get objects(): readonly SpoolObject[] {
    return this.objectList;
  }

  /** Bytes on disk: undelivered, plus delivered bytes kept for S3 assembly. */
  get bytes(): number {
    return this.spoolBytes;
  }

  get empty(): boolean {
    return this.fileMap.size === 0 && this.objectList.length === 0;
  }

  /** Bytes not yet delivered, and since when the oldest of them waits (undefined when none does). */
  pending(): { bytes: number; since: number | undefined } {
    let bytes = 0;
    let since: number | undefined;
    for (const f of this.fileMap.values()) {
      bytes += f.size - (f.delivered ?? 0);
      if (f.pendingSince !== undefined) since = Math.min(since ?? f.pendingSince, f.pendingSince);
    }
    for (const ob of this.objectList) {
      bytes += ob.size;
      since = Math.min(since ?? ob.since, ob.since);
    }
    return { bytes, since };
  }

  hasPending(): boolean {
    if (this.objectList.length > 0) return true;
    for (const f of this.fileMap.values()) if (f.delivered !== f.size) return true;
    return false;
  }

  hasRetained(): boolean {
    for (const f of this.fileMap.values()) if (f.retained) return true;
    return false;
  }

  /** Runs one batch's writes; meanwhile no spool file is renamed or removed (an append may be opening it). */
  async whileAppending<T>(work: () => Promise<T>): Promise<T> {
    this.appending++;
    try {
      return await work();
    } finally {
      this.appending--;
    }
  }

  /** Spools one raw payload (written whole, then renamed into place); returns why when it cannot. */
  async writePayload(p: PayloadFile): Promise<SpoolRefusal | undefined> {
    const file = this.objectFile(p.path);
    if (!this.makeRoom(p.bytes)) {
      return { detail: `${this.full().detail}; a raw payload of ${p.bytes} bytes was dropped` };
    }
    try {
      this.folders.ensure(dirname(file));
      await writeFile(`${file}.tmp`, p.body, { flush: this.o.fsync });
      await rename(`${file}.tmp`, file);
    } catch (err) {
      return { detail: describeWriteError(err), cause: err };
    }
    this.addedObject(p, file);
    return undefined;
  }

  /** The same at process exit: no room check, and a failure throws. */
  writePayloadSync(p: PayloadFile): void {
    const file = this.objectFile(p.path);
    mkdirSync(dirname(file), { recursive: true });
    const fd = openSync(`${file}.tmp`, 'w');
    try {
      writeSync(fd, typeof p.body === 'string' ? Buffer.from(p.body) : p.body);
      if (this.o.fsync) fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(`${file}.tmp`, file);
    this.addedObject(p, file);
  }

  /** Appends whole lines to the spool file of `path`; returns why when they do not fit or the write fails. */
  async appendLines(
    path: string,
    periodEnd: number,
    chunks: readonly Uint8Array[],
    bytes: number,
  ): Promise<SpoolRefusal | undefined> {
    if (!this.makeRoom(bytes)) return this.full();
    const f = this.fileFor(path, periodEnd);
    try {
      f.fh ??= await this.openAppend(f.file);
      await writeAll(f.fh, chunks);
      if (this.o.fsync) await f.fh.datasync();
    } catch (err) {
      await f.fh?.truncate(f.size).catch(() => {});
      return { detail: describeWriteError(err), cause: err };
    }
    this.added(f, bytes);
    return undefined;
  }

  /** The same, synchronously (process exit). */
  appendLinesSync(
    path: string,
    periodEnd: number,
    chunks: readonly Uint8Array[],
    bytes: number,
  ): SpoolRefusal | undefined {
    if (!this.makeRoom(bytes)) return this.full();
    const f = this.fileFor(path, periodEnd);
    mkdirSync(dirname(f.file), { recursive: true });
    const fd = openSync(f.file, 'a');
    try {
      let pending = chunks.slice();
      while (pending.length > 0) {
        const n = writevSync(fd, pending as NodeJS.ArrayBufferView[]);
        pending = skipBytes(pending, n);
      }
      if (this.o.fsync) fsyncSync(fd);
    } catch (err) {
      return { detail: describeWriteError(err), cause: err };
    } finally {
      closeSync(fd);
    }
    this.added(f, bytes);
    return undefined;
  }

  readObject(ob: SpoolObject): Promise<Buffer> {
    return readFile(ob.file);
  }

  /** A delivered object leaves the spool. */
  removeObject(ob: SpoolObject): void {
    const i = this.objectList.indexOf(ob);
    if (i >= 0) this.objectList.splice(i, 1);
    rmSync(ob.file, { force: true });
    this.spoolBytes -= ob.size;
  }

  /** Removes a fully delivered file, unless an append is running (it might be writing to it). */
  tryRemove(f: SpoolFile): boolean {
    if (f.delivered !== f.size || this.appending > 0) return false;
    this.fileMap.delete(key(f.unit, f.remotePath));
    if (f.unit.own && f.start !== undefined) this.knownLength.set(f.remotePath, f.start + f.size);
    const fh = f.fh;
    f.fh = undefined;
    void fh?.close().catch(() => {});
    rmSync(f.file, { force: true });
    this.spoolBytes -= f.size;
    if (!f.unit.own && ![...this.fileMap.values()].some((o) => o.unit === f.unit)) removeEmptyUnit(f.unit);
    return true;
  }

  private async openAppend(file: string): Promise<FileHandle> {
    this.folders.ensure(dirname(file));
    return open(file, 'a+');
  }

  /** Renames the spool file to carry its start offset (atomic), before any of its bytes is uploaded. */
  async setStart(f: SpoolFile, start: number): Promise<void> {
    await mkdir(dirname(f.base), { recursive: true });
    // An append may be opening this file by its old name: rename only between appends (no await after the check).
    while (this.appending > 0) await sleep(2);
    const from = f.file;
    f.start = start;
    try {
      renameSync(from, f.file);
    } catch (err) {
      ignoreMissing(err);
    }
    if (this.o.fsync) syncDir(dirname(f.file));
  }

  /** Bytes `[from, to)` of a spool file (fewer if it is shorter). */
  async readRange(f: SpoolFile, from: number, to: number): Promise<Buffer> {
    f.fh ??= await this.openAppend(f.file);
    // Memory of its own (never the shared pool): an uploader may move it to a thread (Uploader.write).
    const buf = Buffer.allocUnsafeSlow(to - from);
    let done = 0;
    while (done < buf.length) {
      const { bytesRead } = await f.fh.read(buf, done, buf.length - done, from + done);
      if (bytesRead === 0) break;
      done += bytesRead;
    }
    return buf.subarray(0, done);
  }

  /** Like readRange, but cut back to whole lines when the range ends inside the file. */
  async readChunk(f: SpoolFile, from: number, to: number): Promise<Buffer> {
    const buf = await this.readRange(f, from, to);
    if (to < f.size) {
      // End on a whole line when one fits, so readers never see half a line.
      const cut = buf.lastIndexOf(0x0a, buf.length - 1);
      if (cut >= 0) return buf.subarray(0, cut + 1);
    }
    return buf;
  }

  /** Closes the open files and gives up the units: what is left stays on disk for the next process. */
  async close(): Promise<void> {
    await Promise.allSettled([...this.fileMap.values()].map((f) => f.fh?.close()));
    for (const f of this.fileMap.values()) f.fh = undefined;
    for (const unit of this.units) {
      if (unit.own) releaseSpool(unit);
      else removeEmptyUnit(unit);
    }
  }

  private load(unit: SpoolUnit): void {
    const { files, objects } = scanUnit(unit);
    for (const found of files) {
      const f = this.track(found);
      this.spoolBytes += f.size;
    }
    for (const ob of objects) {
      this.objectList.push({ ...ob, since: this.o.clock() });
      this.spoolBytes += ob.size;
    }
  }

  private track(found: FoundFile): SpoolFile {
    const base = found.start === undefined ? found.file : found.file.slice(0, found.file.lastIndexOf('@'));
    const f = new SpoolFile(
      found.unit,
      found.remotePath,
      base,
      found.start,
      found.size,
      periodEndOf(found.remotePath, found.unit.rollingRate),
    );
    // A file with a start may be partly delivered: the datastore's length tells at the first upload.
    f.delivered = found.start === undefined ? 0 : undefined;
    if (f.size > 0) f.pendingSince = this.o.clock();
    this.fileMap.set(key(found.unit, found.remotePath), f);
    return f;
  }

  private fileFor(path: string, periodEnd: number): SpoolFile {
    const k = key(this.own, path);
    let f = this.fileMap.get(k);
    if (!f) {
      const base = join(this.own.dir, 'files', checkPath(path));
      f = new SpoolFile(this.own, path, base, this.knownLength.get(path), 0, periodEnd);
      f.delivered = 0;
      this.fileMap.set(k, f);
    }
    return f;
  }

  private objectFile(path: string): string {
    return join(this.own.dir, 'objects', checkPath(path));
  }

  private added(f: SpoolFile, bytes: number): void {
    f.size += bytes;
    this.spoolBytes += bytes;
    f.pendingSince ??= this.o.clock();
  }

  private addedObject(p: PayloadFile, file: string): void {
    this.objectList.push({ remotePath: p.path, file, size: p.bytes, since: this.o.clock() });
    this.spoolBytes += p.bytes;
  }

  private full(): SpoolRefusal {
    return { detail: `the spool reached max_spool_bytes (${this.o.maxSpoolBytes} bytes)` };
  }

  /** Whether `bytes` fit; first gives up S3 assembly of files whose delivered bytes take the room. */
  private makeRoom(bytes: number): boolean {
    if (this.spoolBytes + bytes <= this.o.maxSpoolBytes) return true;
    const candidates = [...this.fileMap.values()]
      .filter((f) => f.retained && !f.busy && (f.delivered ?? 0) > 0)
      .sort((a, b) => (b.delivered ?? 0) - (a.delivered ?? 0));
    for (const f of candidates) {
      this.compact(f);
      if (this.spoolBytes + bytes <= this.o.maxSpoolBytes) return true;
    }
    return false;
  }

  /** Drops the delivered head of a retained file: it stays in the datastore as parts, never assembled. */
  private compact(f: SpoolFile): void {
    const d = f.delivered ?? 0;
    const newStart = (f.start ?? 0) + d;
    const target = `${f.base}@${newStart}`;
    const tail = Buffer.alloc(f.size - d);
    const src = openSync(f.file, 'r');
    try {
      let done = 0;
      while (done < tail.length) {
        const n = readSync(src, tail, done, tail.length - done, d + done);
        if (n === 0) break;
        done += n;
      }
    } finally {
      closeSync(src);
    }
    const fd = openSync(`${target}.tmp`, 'w');
    try {
      writeSync(fd, tail);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(`${target}.tmp`, target);
    const old = f.file;
    void f.fh?.close().catch(() => {});
    f.fh = undefined;
    rmSync(old, { force: true });
    f.start = newStart;
    f.size -= d;
    f.delivered = 0;
    f.retained = false;
    this.spoolBytes -= d;
  }
}

/** The end of the rolled period a file belongs to, read from its `yyyy/MM/dd/HH/mm` folders. */
export function periodEndOf(path: string, rate: RollingRate): number | undefined {
  const depth = { Year: 1, Month: 2, Day: 3, Hour: 4, Minute: 5 }[rate];
  const parts = path.split('/').slice(0, -1).slice(-depth).map(Number);
  if (parts.length !== depth || parts.some((n) => !Number.isInteger(n))) return undefined;
  const [y, mo = 1, d = 1, h = 0, mi = 0] = parts as [number, ...number[]];
  const start = Date.UTC(y, mo - 1, d, h, mi);
  return Number.isNaN(start) ? undefined : nextPeriodStart(start, rate);
}

function key(unit: SpoolUnit, path: string): string {
  return `${unit.dir}\0${path}`;
}

function checkPath(path: string): string {
  const clean = joinPath(path);
  if (clean !== path || clean.split('/').includes('..') || /@\d+$/.test(clean))
    throw new InvalidPathError(path, 'cannot be spooled');
  return clean;
}

function describeWriteError(err: unknown): string {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ENOSPC' || code === 'EDQUOT') return 'the disk of the spool is full';
  return `writing the spool failed: ${err instanceof Error ? err.message : String(err)}`;
}

function ignoreMissing(err: unknown): void {
  if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
}

function syncDir(dir: string): void {
  try {
    const fd = openSync(dir, 'r');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  } catch {
    // some file systems cannot fsync a directory
  }
}
