import type { FileBatch, PayloadFile, Sink } from '../datastore/sink.js';
import type { EventEncoder, EventFields, LineOut } from '../event.js';
import type { CollectionStats } from '../stats.js';

const SLAB_BYTES = 64 * 1024;
const POOL_SLABS = 64;

/**
 * Slabs are reused once written: writing into memory already touched avoids a page fault per 4 KiB
 * (see docs/performance.md).
 */
const slabPool: Buffer[] = [];

function allocSlab(size: number): Buffer {
  if (size <= SLAB_BYTES) return slabPool.pop() ?? Buffer.allocUnsafeSlow(SLAB_BYTES);
  return Buffer.allocUnsafeSlow(size);
}

/** The raw payload of a `datainblob` event, before its line is encoded. */
export interface RawItem {
  readonly path: string;
  readonly body: Uint8Array | string;
  /** The body's size in bytes (UTF-8 for a string), measured once by the collection that offloaded it. */
  readonly bytes: number;
}

/**
 * The bytes waiting for one file: lines are UTF-8 encoded into slabs as they arrive (no string is kept), with
 * what the datastore needs to know about them — events, collection, period end, the raw payloads they point at.
 */
export class FileBuffer implements FileBatch, LineOut {
  readonly chunks: Buffer[] = [];
  /** Whole slabs this file's bytes live in, returned to the pool after the write. */
  private readonly slabs: Buffer[] = [];
  private slab: Buffer = Buffer.alloc(0);
  /** Where the next line starts in {@link slab} (the encoder writes through {@link out}). */
  offset = 0;
  events = 0;
  bytes = 0;
  readonly payloads: PayloadFile[] = [];
  constructor(
    readonly sink: Sink,
    readonly path: string,
    readonly stats: CollectionStats,
    readonly collection: string,
    readonly periodEnd: number,
  ) {}

  /** Encodes one event line straight into the slab; returns its bytes. */
  add(encoder: EventEncoder, f: EventFields, raw: RawItem | undefined): number {
    const start = this.bytes;
    const n = encoder.write(f, this);
    this.events++;
    this.bytes += n;
    if (raw) {
      this.payloads.push({
        path: raw.path,
        body: raw.body,
        bytes: raw.bytes,
        lineStart: start,
        lineEnd: this.bytes,
      });
    }
    return n;
  }

  /** Room for a whole line in the current slab (a line is never split between slabs). */
  reserve(bytes: number): Buffer {
    if (this.slab.length - this.offset < bytes) {
      this.seal();
      this.slab = allocSlab(bytes);
      this.slabs.push(this.slab);
    }
    return this.slab;
  }

  /** The batch to hand to the datastore (slabs are not copied). */
  take(): FileBatch {
    this.seal();
    return this;
  }

  /** Gives the slabs back to the pool: the batch's chunks must not be read after this. */
  release(): void {
    for (const s of this.slabs) if (s.length === SLAB_BYTES && slabPool.length < POOL_SLABS) slabPool.push(s);
    this.slabs.length = 0;
  }

  /** Payload bytes (for the queue's byte bound). */
  payloadBytes(): number {
    let n = 0;
    for (const p of this.payloads) n += p.bytes;
    return n;
  }

  private seal(): void {
    if (this.offset > 0) this.chunks.push(this.slab.subarray(0, this.offset));
    this.slab = this.slab.subarray(this.offset);
    this.offset = 0;
  }
}
