/** One message from mdc_worker.py: its JSON header, and the bytes that followed it when `len` > 0. */
export interface WorkerFrame {
  readonly op: string;
  readonly [key: string]: unknown;
  body?: Buffer;
}

/**
 * Splits the worker's output pipe into frames: a line of JSON, then `len` bytes of body. Chunks arrive cut
 * anywhere; what is not complete yet waits for the next chunk.
 */
export class FrameReader {
  private pending: Buffer = Buffer.alloc(0);
  private header: (WorkerFrame & { len?: number }) | undefined;

  push(chunk: Buffer): WorkerFrame[] {
    this.pending = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    const out: WorkerFrame[] = [];
    for (;;) {
      if (!this.header) {
        const nl = this.pending.indexOf(0x0a);
        if (nl === -1) break;
        this.header = JSON.parse(this.pending.toString('utf8', 0, nl)) as WorkerFrame & { len?: number };
        this.pending = this.pending.subarray(nl + 1);
      }
      const len = this.header.len ?? 0;
      if (this.pending.length < len) break;
      const frame = this.header;
      frame.body = this.pending.subarray(0, len);
      this.pending = this.pending.subarray(len);
      this.header = undefined;
      out.push(frame);
    }
    return out;
  }
}
