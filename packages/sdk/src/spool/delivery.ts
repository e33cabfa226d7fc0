import { setTimeout as sleep } from 'node:timers/promises';
import { type MdcError, UploadConflictError } from '../errors.js';
import type { RollingRate } from '../layout.js';
import { retryDelay } from '../pipeline/retry.js';
import type { SpoolFile, SpoolLog } from './spool-log.js';
import type { SpoolingSinkOptions } from './spooling-sink.js';
import type { DatastoreStats } from './stats.js';
import type { Uploader } from './uploader.js';

export type DeliveryOptions = Pick<
  Required<SpoolingSinkOptions>,
  | 'rollingRate'
  | 'uploader'
  | 'uploadIntervalMs'
  | 'retryDelayMs'
  | 'maxRetryDelayMs'
  | 'assembleDelayMs'
  | 'clock'
> &
  Pick<SpoolingSinkOptions, 'onError'> & {
    /** The sink's description, for the error of a drain that runs out of time. */
    readonly description: string;
  };

/** Month and Year files would pass Azure's 50,000-block limit of an append blob at a 5 s interval. */
const MIN_INTERVAL_MS: Partial<Record<RollingRate, number>> = { Month: 60_000, Year: 900_000 };

/**
 * The delivery loop of a spool: a pass every upload interval (sooner when new data arrives, later after a
 * failure) sends each spool file's new bytes at their exact offset, so a retried upload never stores a line
 * twice; failed passes are retried forever with the write path's one backoff. Data leaves the log only once
 * it is stored. The uploader is built on the first pass (that is where a cloud package is imported).
 */
export class Delivery {
  readonly counters = { deliveredEvents: 0, deliveredBytes: 0, uploads: 0, retries: 0, failures: 0 };
  private uploaderPromise: Promise<Uploader> | undefined;
  private uploaderName: string | undefined;
  private checked = false;
  private timer: NodeJS.Timeout | undefined;
  private timerDue = 0;
  private running: Promise<boolean> | undefined;
  private failStreak = 0;
  private closing = false;
  private everDelivered = false;
  private error: DatastoreStats['lastError'];
  private readonly interval: number;

  constructor(
    private readonly log: SpoolLog,
    private readonly o: DeliveryOptions,
  ) {
    this.interval = Math.max(o.uploadIntervalMs, MIN_INTERVAL_MS[o.rollingRate] ?? 0);
  }

  /** `ok` once an upload worked or the store answered its check, `retrying` while passes fail. */
  get state(): DatastoreStats['state'] {
    return this.failStreak > 0 ? 'retrying' : this.everDelivered || this.checked ? 'ok' : 'starting';
  }

  /** The uploader's own description, once it is built. */
  get uploaderDescription(): string | undefined {
    return this.uploaderName;
  }

  /** The last pass's error, until a pass succeeds. */
  get lastError(): DatastoreStats['lastError'] {
    return this.error;
  }

  /** New data: make sure a pass starts within the upload interval (a timer may wait for a far assembly). */
  wake(): void {
    if (this.running || (this.timer && this.failStreak > 0)) return; // never cut a retry backoff short
    if (this.timer && this.timerDue <= this.o.clock() + this.interval) return;
    this.schedule(this.interval);
  }

  schedule(delayMs: number): void {
    if (this.closing) return;
    if (this.timer) clearTimeout(this.timer);
    this.timerDue = this.o.clock() + delayMs;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.runPass().then(
        (done) => {
          if (!done || this.log.hasPending()) return this.schedule(this.interval);
          const next = this.nextAssembly();
          if (next !== undefined) this.schedule(Math.max(this.interval, next - this.o.clock()));
        },
        () => this.schedule(this.backoff()),
      );
    }, delayMs);
    this.timer.unref();
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
        if ((await this.runPass()) && !this.log.hasPending() && !(this.closing && this.log.hasRetained()))
          return;
      } catch (e) {
        err = e;
      }
      if (this.o.clock() >= deadline) throw err ?? new Error(`${this.o.description}: not delivered in time`);
      await sleep(Math.min(200, Math.max(0, deadline - this.o.clock())));
    }
  }

  /** Closing: a last attempt of at most `timeoutMs` that also assembles retained files, then no more passes. */
  async stop(timeoutMs: number): Promise<void> {
    this.closing = true;
    await this.drain({ timeoutMs }).catch(() => {});
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  async closeUploader(): Promise<void> {
    if (this.uploaderPromise) await this.uploaderPromise.then((u) => u.close()).catch(() => {});
  }

  /** When the next retained file is due for assembly. */
  private nextAssembly(): number | undefined {
    let next: number | undefined;
    for (const f of this.log.files.values()) {
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
    const changed = this.error?.message !== e.message;
    this.error = { code, message: e.message, atMs: this.o.clock() };
    if (this.failStreak === 1 || changed) this.report(e);
  }

  private uploader(): Promise<Uploader> {
    this.uploaderPromise ??= this.o.uploader().then((u) => {
      this.uploaderName = u.description;
      return u;
    });
    // A failed import or construction is retried on the next pass.
    this.uploaderPromise.catch(() => {
      this.uploaderPromise = undefined;
    });
    return this.uploaderPromise;
  }

  private async pass(): Promise<boolean> {
    if (this.log.empty) return true;
    const up = await this.uploader();
    // After a failure, probe before reading spooled bytes into memory for an upload that may fail again.
    if (!this.checked || this.failStreak > 0) {
      await up.check();
      this.checked = true;
    }
    // Raw payloads first, so a line never points at an object that is not stored yet.
    while (this.log.objects.length > 0) {
      const ob = this.log.objects[0]!;
      await up.put(ob.remotePath, await this.log.readObject(ob));
      this.log.removeObject(ob);
      this.counters.uploads++;
      this.counters.deliveredBytes += ob.size;
    }
    let done = true;
    for (const f of [...this.log.files.values()]) {
      f.busy = true;
      try {
        if (!(await this.deliver(up, f))) done = false;
      } finally {
        f.busy = false;
      }
    }
    this.failStreak = 0;
    this.error = undefined;
    this.everDelivered = true;
    return done && this.log.objects.length === 0;
  }

  /** Uploads a file's new bytes; removes it once nothing more is needed. Returns whether all its bytes are stored. */
  private async deliver(up: Uploader, f: SpoolFile): Promise<boolean> {
    if (f.start === undefined) {
      if (f.size === 0) {
        this.log.tryRemove(f);
        return true;
      }
      await this.log.setStart(f, await up.length(f.remotePath));
      f.retained = up.assemblesAtClose && f.start === 0 && f.periodEnd !== undefined;
    }
    if (f.delivered === undefined && up.stream) {
      // Nothing to compare with: a stream cannot tell how much of the file landed; its duplicate window can.
      f.delivered = 0;
    } else if (f.delivered === undefined) {
      const len = await up.length(f.remotePath);
      const d = len - f.start!;
      if (d < 0 || d > f.size) {
        this.report(new UploadConflictError(up.description, f.remotePath, f.start! + f.size, len));
        await this.log.setStart(f, len);
        f.delivered = 0;
        f.retained = false;
      } else {
        f.delivered = d;
        f.retained = up.assemblesAtClose && f.start === 0 && f.periodEnd !== undefined;
      }
    }
    while (f.delivered! < f.size) {
      const from: number = f.delivered!;
      const body = await this.log.readChunk(f, from, Math.min(f.size, from + up.maxWriteBytes));
      // Measured before the write: the body is the uploader's from then on (it may move it to a thread).
      const bytes = body.byteLength;
      // Newlines sent, because the log keeps no per-line index (a line split over two writes counts once).
      const lines = countLines(body);
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
      f.delivered = from + bytes;
      this.counters.uploads++;
      this.counters.deliveredBytes += bytes;
      this.counters.deliveredEvents += lines;
    }
    if (f.delivered === f.size) f.pendingSince = undefined;
    if (f.retained) {
      const now = this.o.clock();
      const over = f.periodEnd !== undefined && now >= f.periodEnd + this.o.assembleDelayMs;
      if (!over && !this.closing) return true;
      const size = f.size;
      await up.complete?.(f.remotePath, size, (from, to) => this.log.readRange(f, from, to));
      f.retained = false;
    }
    this.log.tryRemove(f);
    return f.delivered === f.size;
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
}

function countLines(buf: Uint8Array): number {
  let n = 0;
  let i = buf.indexOf(0x0a);
  while (i !== -1) {
    n++;
    i = buf.indexOf(0x0a, i + 1);
  }
  return n;
}
