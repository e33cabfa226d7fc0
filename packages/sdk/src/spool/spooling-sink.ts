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
import { skipBytes, writeAll } from '../chunks.js';
import { type FileBatch, type FileResult, type PayloadFile, type Sink, STORED } from '../datastore/sink.js';
import { InvalidPathError, type MdcError, SpoolFullError, UploadConflictError } from '../errors.js';
import { joinPath, nextPeriodStart, type RollingRate } from '../layout.js';
import { retryDelay } from '../pipeline/retry.js';
import {
  claimSpool,
  type FoundFile,
  releaseSpool,
  removeEmptyUnit,
  type SpoolUnit,
  scanUnit,
} from './spool-dir.js';
import type { DatastoreStats } from './stats.js';
import type { Uploader } from './uploader.js';

export interface SpoolingSinkOptions {
  /** The datastore's name (for stats and messages). */
  readonly datastore: string;
  /** `azure_blob` or `s3` (for stats). */
  readonly type: string;
  /** Folder of this datastore's spool, `<workspace>/spool/<datastore>`. */
  readonly dir: string;
  /** This process's instance id: its spool unit is `<dir>/<instanceId>`. */
  readonly instanceId: string;
  /** The runtime's rolling rate: tells when a file's period is over. */
  readonly rollingRate: RollingRate;
  /** Builds the uploader; called once, on the first upload (this is where a cloud package is imported). */
  readonly uploader: () => Promise<Uploader>;
  /** Most bytes on disk; past it new events are dropped and counted. @default 1073741824 (1 GiB) */
  readonly maxSpoolBytes?: number;
  /** Longest time spooled data waits before an upload starts (Month and Year rolling wait at least 60 s / 15 min). @default 5000 */
  readonly uploadIntervalMs?: number;
  /** First retry delay after a failed upload; doubles each failure, with jitter. @default 1000 */
  readonly retryDelayMs?: number;
  /** Upper bound of a retry delay. @default 30000 */
  readonly maxRetryDelayMs?: number;
  /** fdatasync each batch before append() resolves, so power loss loses nothing acknowledged. @default true */
  readonly fsync?: boolean;
  /** How long close() keeps uploading before it leaves the rest in the spool for the next start. @default 5000 */
  readonly closeTimeoutMs?: number;
  /** How long after a period ends its S3 file is assembled (late events still arrive). @default 60000 */
  readonly assembleDelayMs?: number;
  /** Background errors: MDC_UPLOAD_FAILED (once per failure streak), MDC_SPOOL_FULL (at most once a minute). */
  readonly onError?: (err: Error) => void;
  readonly clock?: () => number;
}

/** A datastore file being spooled. */
class SpoolFile {
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

interface SpoolObject {
  readonly remotePath: string;
  readonly file: string;
  readonly size: number;
  readonly since: number;
}

/** Month and Year files would pass Azure's 50,000-block limit of an append blob at a 5 s interval. */
const MIN_INTERVAL_MS: Partial<Record<RollingRate, number>> = { Month: 60_000, Year: 900_000 };
const DROP_REPORT_INTERVAL_MS = 60_000;

const live = new Set<SpoolingSink>();

/** Stats of every cloud datastore open in this process. */
export function datastoreStats(): DatastoreStats[] {
  return [...live].map((s) => s.stats());
}

/**
 * A sink for cloud datastores with durable delivery. `append` writes whole lines to a local write-ahead
 * spool (one file per datastore file, fsync'ed) and returns; a background uploader sends new bytes every
 * `uploadIntervalMs` at their exact offset, so a retried upload never stores a line twice. Failed uploads
 * are retried forever with exponential backoff and jitter: data leaves the spool only once it is stored.
 * Full policy: past `maxSpoolBytes` (or when the disk is full) the newest batch of a file is dropped,
 * counted and reported. A process that starts picks up the spool its dead predecessors left.
 */
export class SpoolingSink implements Sink {
  readonly description: string;
  readonly datastore: string;
  private readonly o: Required<Omit<SpoolingSinkOptions, 'onError'>> & Pick<SpoolingSinkOptions, 'onError'>;
  private readonly units: SpoolUnit[];
  private readonly own: SpoolUnit;
  private readonly files = new Map<string, SpoolFile>();
  private readonly objects: SpoolObject[] = [];
  /** Where the next spool file of a path starts, learnt when the previous one was delivered. */
  private readonly knownLength = new Map<string, number>();
  private uploaderPromise: Promise<Uploader> | undefined;
  private uploaderDescription: string | undefined;
  private checked = false;
  private spoolBytes = 0;
  private appending = false;
  private timer: NodeJS.Timeout | undefined;
  private timerDue = 0;
  private running: Promise<boolean> | undefined;
  private failStreak = 0;
  private closing = false;
  private closePromise: Promise<void> | undefined;
  private lastDropReport = 0;
  private readonly interval: number;
  private counters = {
    deliveredEvents: 0,
    deliveredBytes: 0,
    uploads: 0,
    retries: 0,
    failures: 0,
    droppedEvents: 0,
    droppedBytes: 0,
  };
  private lastError: DatastoreStats['lastError'];
  private everDelivered = false;

  constructor(options: SpoolingSinkOptions) {
    this.o = {
      maxSpoolBytes: 1024 * 1024 * 1024,
      uploadIntervalMs: 5000,
      retryDelayMs: 1000,
      maxRetryDelayMs: 30_000,
      fsync: true,
      closeTimeoutMs: 5000,
      assembleDelayMs: 60_000,
      clock: Date.now,
      ...stripUndefined(options),
    };
    this.datastore = options.datastore;
    this.description = `${options.type}:${options.datastore} (spool ${options.dir})`;
    this.interval = Math.max(this.o.uploadIntervalMs, MIN_INTERVAL_MS[options.rollingRate] ?? 0);
    this.units = claimSpool(options.dir, options.instanceId, options.rollingRate);
    this.own = this.units[0]!;
    for (const unit of this.units) this.load(unit);
    live.add(this);
    if (this.files.size > 0 || this.objects.length > 0) this.schedule(0);
  }

  /**
   * Spools a file's payloads, then its lines; never waits on the network. What does not fit is dropped and
   * reported in the result: the whole batch, or a payload with the line that points at it.
   */
  async write(batch: FileBatch): Promise<FileResult> {
    this.appending = true;
    try {
      const skip: PayloadFile[] = [];
      let dropped: FileResult | undefined;
      for (const p of batch.payloads) {
        const why = await this.spoolPayload(p);
        if (why === undefined) continue;
        // An event line must never name a payload file that will not be there: the line goes with it.
        skip.push(p);
        dropped = this.drop(1, p.lineEnd - p.lineStart, why.detail, why.cause);
      }
      if (skip.length === 0) return await this.spoolLines(batch, batch.chunks, batch.bytes, batch.events);
      const bytes = batch.bytes - skip.reduce((n, p) => n + (p.lineEnd - p.lineStart), 0);
      const rest = await this.spoolLines(
        batch,
        withoutLines(batch.chunks, skip),
        bytes,
        batch.events - skip.length,
      );
      return { dropped: rest.dropped + skip.length, error: rest.error ?? dropped?.error };
    } finally {
      this.appending = false;
    }
  }

  private async spoolLines(
    batch: FileBatch,
    chunks: readonly Uint8Array[],
    bytes: number,
    events: number,
  ): Promise<FileResult> {
    if (bytes === 0) return STORED;
    if (!this.makeRoom(bytes)) {
      return this.drop(events, bytes, `the spool reached max_spool_bytes (${this.o.maxSpoolBytes} bytes)`);
    }
    const f = this.fileFor(batch.path, batch.periodEnd);
    try {
      f.fh ??= await openAppend(f.file);
      await writeAll(f.fh, chunks);
      if (this.o.fsync) await f.fh.datasync();
    } catch (err) {
      await f.fh?.truncate(f.size).catch(() => {});
      return this.drop(events, bytes, describeWriteError(err), err);
    }
    this.added(f, bytes);
    this.wake();
    return STORED;
  }

  /** Spools one raw payload; when it cannot be, returns why (the caller drops its line and counts the event). */
  private async spoolPayload(p: PayloadFile): Promise<{ detail: string; cause?: unknown } | undefined> {
    const file = this.objectFile(p.path);
    if (!this.makeRoom(p.bytes)) {
      return {
        detail: `the spool reached max_spool_bytes (${this.o.maxSpoolBytes} bytes); a raw payload of ${p.bytes} bytes was dropped`,
      };
    }
    try {
      await mkdir(dirname(file), { recursive: true });
      await writeFile(`${file}.tmp`, p.body, { flush: this.o.fsync });
      await rename(`${file}.tmp`, file);
    } catch (err) {
      return { detail: describeWriteError(err), cause: err };
    }
    this.objects.push({ remotePath: p.path, file, size: p.bytes, since: this.o.clock() });
    this.spoolBytes += p.bytes;
    this.wake();
    return undefined;
  }

  /** At process exit: spools synchronously; the next process that starts uploads it. */
  writeSync(batch: FileBatch): FileResult {
    for (const p of batch.payloads) {
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
      this.objects.push({ remotePath: p.path, file, size: p.bytes, since: this.o.clock() });
      this.spoolBytes += p.bytes;
    }
    if (batch.bytes === 0) return STORED;
    if (!this.makeRoom(batch.bytes)) {
      return this.drop(
        batch.events,
        batch.bytes,
        `the spool reached max_spool_bytes (${this.o.maxSpoolBytes} bytes)`,
      );
    }
    const f = this.fileFor(batch.path, batch.periodEnd);
    mkdirSync(dirname(f.file), { recursive: true });
    const fd = openSync(f.file, 'a');
    try {
      let pending = batch.chunks.slice();
      while (pending.length > 0) {
        const n = writevSync(fd, pending as NodeJS.ArrayBufferView[]);
        pending = skipBytes(pending, n);
      }
      if (this.o.fsync) fsyncSync(fd);
    } catch (err) {
      return this.drop(batch.events, batch.bytes, describeWriteError(err), err);
    } finally {
      closeSync(fd);
    }
    this.added(f, batch.bytes);
    return STORED;
  }

  /** Uploads what is spooled now; resolves when it is all delivered, or rejects with the upload error after `timeoutMs`. */
  async drain(options: { timeoutMs?: number } = {}): Promise<void> {
    const deadline = this.o.clock() + (options.timeoutMs ?? 60_000);
    for (;;) {
      if (this.timer) clearTimeout(this.timer);
      this.timer = undefined;
      let err: unknown;
      try {
        // A pass already running may have begun before the latest appends: done only when nothing is pending.
        if ((await this.runPass()) && !this.hasPending() && !(this.closing && this.hasRetained())) return;
      } catch (e) {
        err = e;
      }
      if (this.o.clock() >= deadline) throw err ?? new Error(`${this.description}: not delivered in time`);
      await sleep(Math.min(200, Math.max(0, deadline - this.o.clock())));
    }
  }

  /** Stops the uploader after a last delivery attempt of at most `closeTimeoutMs`; what is left stays in the spool. */
  close(): Promise<void> {
    this.closePromise ??= (async () => {
      this.closing = true;
      await this.drain({ timeoutMs: this.o.closeTimeoutMs }).catch(() => {});
      if (this.timer) clearTimeout(this.timer);
      this.timer = undefined;
      live.delete(this);
      await Promise.allSettled([...this.files.values()].map((f) => f.fh?.close()));
      for (const f of this.files.values()) f.fh = undefined;
      for (const unit of this.units) {
        if (unit.own) releaseSpool(unit);
        else removeEmptyUnit(unit);
      }
      if (this.uploaderPromise) await this.uploaderPromise.then((u) => u.close()).catch(() => {});
    })();
    return this.closePromise;
  }

  stats(): DatastoreStats {
    const now = this.o.clock();
    let pending = 0;
    let oldest = Number.POSITIVE_INFINITY;
    for (const f of this.files.values()) {
      pending += f.size - (f.delivered ?? 0);
      if (f.pendingSince !== undefined) oldest = Math.min(oldest, f.pendingSince);
    }
    for (const ob of this.objects) {
      pending += ob.size;
      oldest = Math.min(oldest, ob.since);
    }
    return {
      datastore: this.datastore,
      type: this.o.type,
      description: this.uploaderDescription ?? this.description,
      state: this.failStreak > 0 ? 'retrying' : this.everDelivered || this.checked ? 'ok' : 'starting',
      spoolBytes: this.spoolBytes,
      maxSpoolBytes: this.o.maxSpoolBytes,
      pendingBytes: pending,
      spoolFiles: this.files.size + this.objects.length,
      deliveryLagMs: Number.isFinite(oldest) ? Math.max(0, now - oldest) : 0,
      ...this.counters,
      ...(this.lastError ? { lastError: this.lastError } : {}),
    };
  }

  // ---- spool bookkeeping ----

  private load(unit: SpoolUnit): void {
    const { files, objects } = scanUnit(unit);
    for (const found of files) {
      const f = this.track(found);
      this.spoolBytes += f.size;
    }
    for (const ob of objects) {
      this.objects.push({ ...ob, since: this.o.clock() });
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
    this.files.set(key(found.unit, found.remotePath), f);
    return f;
  }

  private fileFor(path: string, periodEnd: number): SpoolFile {
    const k = key(this.own, path);
    let f = this.files.get(k);
    if (!f) {
      const base = join(this.own.dir, 'files', checkPath(path));
      f = new SpoolFile(this.own, path, base, this.knownLength.get(path), 0, periodEnd);
      f.delivered = 0;
      this.files.set(k, f);
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

  /** Whether `bytes` fit; first gives up S3 assembly of files whose delivered bytes take the room. */
  private makeRoom(bytes: number): boolean {
    if (this.spoolBytes + bytes <= this.o.maxSpoolBytes) return true;
    const candidates = [...this.files.values()]
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

  /**
   * Counts a drop. The result carries the error at most once a minute: the queue reports it to the collection
   * whose events were dropped (a full spool must not flood the handler with one error per batch).
   */
  private drop(events: number, bytes: number, detail: string, cause?: unknown): FileResult {
    this.counters.droppedEvents += events;
    this.counters.droppedBytes += bytes;
    const now = this.o.clock();
    if (this.lastDropReport !== 0 && now - this.lastDropReport < DROP_REPORT_INTERVAL_MS)
      return { dropped: events };
    this.lastDropReport = now;
    const err = new SpoolFullError(
      this.datastore,
      this.counters.droppedEvents,
      detail,
      cause ? { cause } : undefined,
    );
    return { dropped: events, error: err };
  }

  // ---- delivery ----

  /** New data: make sure a pass starts within the upload interval (a timer may wait for a far assembly). */
  private wake(): void {
    if (this.running || (this.timer && this.failStreak > 0)) return; // never cut a retry backoff short
    if (this.timer && this.timerDue <= this.o.clock() + this.interval) return;
    this.schedule(this.interval);
  }

  private schedule(delayMs: number): void {
    if (this.closing) return;
    if (this.timer) clearTimeout(this.timer);
    this.timerDue = this.o.clock() + delayMs;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.runPass().then(
        (done) => {
          if (!done || this.hasPending()) return this.schedule(this.interval);
          const next = this.nextAssembly();
          if (next !== undefined) this.schedule(Math.max(this.interval, next - this.o.clock()));
        },
        () => this.schedule(this.backoff()),
      );
    }, delayMs);
    this.timer.unref();
  }

  private hasPending(): boolean {
    if (this.objects.length > 0) return true;
    for (const f of this.files.values()) if (f.delivered !== f.size) return true;
    return false;
  }

  private hasRetained(): boolean {
    for (const f of this.files.values()) if (f.retained) return true;
    return false;
  }

  /** When the next retained file is due for assembly. */
  private nextAssembly(): number | undefined {
    let next: number | undefined;
    for (const f of this.files.values()) {
      if (!f.retained || f.periodEnd === undefined) continue;
      const at = f.periodEnd + this.o.assembleDelayMs;
      next = next === undefined ? at : Math.min(next, at);
    }
    return next;
  }

  /** The wait before the next pass after a failure: the write path's one backoff (see pipeline/retry.ts). */
  private backoff(): number {
    return retryDelay(this.failStreak, this.o.retryDelayMs, this.o.maxRetryDelayMs);
  }

  /** One upload pass (never two at once). Resolves true when every spooled byte is in the datastore. */
  private runPass(): Promise<boolean> {
    this.running ??= this.pass().then(
      (done) => {
        this.running = undefined;
        return done;
      },
      (err: unknown) => {
        this.running = undefined;
        this.failed(err);
        throw err;
      },
    );
    return this.running;
  }

  private failed(err: unknown): void {
    this.counters.failures++;
    this.counters.retries++;
    this.failStreak++;
    const e = err instanceof Error ? err : new Error(String(err));
    const code = (e as MdcError).code ?? 'MDC_UPLOAD_FAILED';
    const changed = this.lastError?.message !== e.message;
    this.lastError = { code, message: e.message, atMs: this.o.clock() };
    if (this.failStreak === 1 || changed) this.report(e);
  }

  private uploader(): Promise<Uploader> {
    this.uploaderPromise ??= this.o.uploader().then((u) => {
      this.uploaderDescription = u.description;
      return u;
    });
    // A failed import or construction is retried on the next pass.
    this.uploaderPromise.catch(() => {
      this.uploaderPromise = undefined;
    });
    return this.uploaderPromise;
  }

  private async pass(): Promise<boolean> {
    if (this.files.size === 0 && this.objects.length === 0) return true;
    const up = await this.uploader();
    // After a failure, probe before reading spooled bytes into memory for an upload that may fail again.
    if (!this.checked || this.failStreak > 0) {
      await up.check();
      this.checked = true;
    }
    // Raw payloads first, so a line never points at an object that is not stored yet.
    while (this.objects.length > 0) {
      const ob = this.objects[0]!;
      await up.put(ob.remotePath, await readFile(ob.file));
      this.objects.shift();
      rmSync(ob.file, { force: true });
      this.spoolBytes -= ob.size;
      this.counters.uploads++;
      this.counters.deliveredBytes += ob.size;
    }
    let done = true;
    for (const f of [...this.files.values()]) {
      f.busy = true;
      try {
        if (!(await this.deliver(up, f))) done = false;
      } finally {
        f.busy = false;
      }
    }
    this.failStreak = 0;
    this.lastError = undefined;
    this.everDelivered = true;
    return done && this.objects.length === 0;
  }

  /** Uploads a file's new bytes; removes it once nothing more is needed. Returns whether all its bytes are stored. */
  private async deliver(up: Uploader, f: SpoolFile): Promise<boolean> {
    if (f.start === undefined) {
      if (f.size === 0) {
        this.tryRemove(f);
        return true;
      }
      await this.setStart(f, await up.length(f.remotePath));
      f.retained = up.assemblesAtClose && f.start === 0 && f.periodEnd !== undefined;
    }
    if (f.delivered === undefined) {
      const len = await up.length(f.remotePath);
      const d = len - f.start!;
      if (d < 0 || d > f.size) {
        this.report(new UploadConflictError(up.description, f.remotePath, f.start! + f.size, len));
        await this.setStart(f, len);
        f.delivered = 0;
        f.retained = false;
      } else {
        f.delivered = d;
        f.retained = up.assemblesAtClose && f.start === 0 && f.periodEnd !== undefined;
      }
    }
    while (f.delivered! < f.size) {
      const from: number = f.delivered!;
      const body = await this.readChunk(f, from, Math.min(f.size, from + up.maxWriteBytes));
      try {
        await up.write(f.remotePath, f.start! + from, body);
      } catch (err) {
        // By code, not instanceof: the datastore package may hold another copy of the SDK.
        if ((err as MdcError).code !== 'MDC_UPLOAD_CONFLICT') throw err;
        const d = (err as UploadConflictError).remoteLength - f.start!;
        if (d > from && d <= f.size) {
          f.delivered = d; // an earlier try landed after all
          continue;
        }
        throw err;
      }
      f.delivered = from + body.byteLength;
      this.counters.uploads++;
      this.counters.deliveredBytes += body.byteLength;
      this.counters.deliveredEvents += countLines([body]);
    }
    if (f.delivered === f.size) f.pendingSince = undefined;
    if (f.retained) {
      const now = this.o.clock();
      const over = f.periodEnd !== undefined && now >= f.periodEnd + this.o.assembleDelayMs;
      if (!over && !this.closing) return true;
      const size = f.size;
      await up.complete?.(f.remotePath, size, (from, to) => this.readRange(f, from, to));
      f.retained = false;
    }
    this.tryRemove(f);
    return f.delivered === f.size;
  }

  /** Removes a fully delivered file, unless an append is running (it might be writing to it). */
  private tryRemove(f: SpoolFile): boolean {
    if (f.delivered !== f.size || this.appending) return false;
    this.files.delete(key(f.unit, f.remotePath));
    if (f.unit.own && f.start !== undefined) this.knownLength.set(f.remotePath, f.start + f.size);
    const fh = f.fh;
    f.fh = undefined;
    void fh?.close().catch(() => {});
    rmSync(f.file, { force: true });
    this.spoolBytes -= f.size;
    if (!f.unit.own && ![...this.files.values()].some((o) => o.unit === f.unit)) removeEmptyUnit(f.unit);
    return true;
  }

  /** Renames the spool file to carry its start offset (atomic), before any of its bytes is uploaded. */
  private async setStart(f: SpoolFile, start: number): Promise<void> {
    await mkdir(dirname(f.base), { recursive: true });
    // An append may be opening this file by its old name: rename only between appends (no await after the check).
    while (this.appending) await sleep(2);
    const from = f.file;
    f.start = start;
    try {
      renameSync(from, f.file);
    } catch (err) {
      ignoreMissing(err);
    }
    if (this.o.fsync) syncDir(dirname(f.file));
  }

  private async readRange(f: SpoolFile, from: number, to: number): Promise<Buffer> {
    f.fh ??= await openAppend(f.file);
    const buf = Buffer.allocUnsafe(to - from);
    let done = 0;
    while (done < buf.length) {
      const { bytesRead } = await f.fh.read(buf, done, buf.length - done, from + done);
      if (bytesRead === 0) break;
      done += bytesRead;
    }
    return buf.subarray(0, done);
  }

  private async readChunk(f: SpoolFile, from: number, to: number): Promise<Buffer> {
    const buf = await this.readRange(f, from, to);
    if (to < f.size) {
      // End on a whole line when one fits, so readers never see half a line.
      const cut = buf.lastIndexOf(0x0a, buf.length - 1);
      if (cut >= 0) return buf.subarray(0, cut + 1);
    }
    return buf;
  }

  private report(err: Error): void {
    if (this.o.onError) {
      try {
        this.o.onError(err);
      } catch {
        // a throwing handler must not stop delivery
      }
    } else process.emitWarning(err.message, { code: (err as MdcError).code ?? 'MDC_ERROR' });
  }

  /** Last chance when the event loop empties: one delivery attempt of at most closeTimeoutMs. */
  beforeExit(): Promise<void> | undefined {
    if (this.closing || (this.files.size === 0 && this.objects.length === 0)) return undefined;
    return this.close();
  }
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

/** The end of the rolled period a file belongs to, read from its `yyyy/MM/dd/HH/mm` folders. */
export function periodEndOf(path: string, rate: RollingRate): number | undefined {
  const depth = { Year: 1, Month: 2, Day: 3, Hour: 4, Minute: 5 }[rate];
  const parts = path.split('/').slice(0, -1).slice(-depth).map(Number);
  if (parts.length !== depth || parts.some((n) => !Number.isInteger(n))) return undefined;
  const [y, mo = 1, d = 1, h = 0, mi = 0] = parts as [number, ...number[]];
  const start = Date.UTC(y, mo - 1, d, h, mi);
  return Number.isNaN(start) ? undefined : nextPeriodStart(start, rate);
}

async function openAppend(file: string): Promise<FileHandle> {
  await mkdir(dirname(file), { recursive: true });
  return open(file, 'a+');
}

/** The chunks without the given lines (those of dropped payloads), as one copy: only when a payload was dropped. */
function withoutLines(chunks: readonly Uint8Array[], cut: readonly PayloadFile[]): Uint8Array[] {
  const all = Buffer.concat(chunks as Uint8Array[]);
  const kept: Uint8Array[] = [];
  let from = 0;
  for (const p of cut) {
    if (p.lineStart > from) kept.push(all.subarray(from, p.lineStart));
    from = p.lineEnd;
  }
  if (from < all.length) kept.push(all.subarray(from));
  return kept;
}

function countLines(chunks: readonly Uint8Array[]): number {
  let n = 0;
  for (const c of chunks) {
    let i = c.indexOf(0x0a);
    while (i !== -1) {
      n++;
      i = c.indexOf(0x0a, i + 1);
    }
  }
  return n;
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

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

function stripUndefined<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}
