import { randomFillSync } from 'node:crypto';

/**
 * Random UUID v4 event ids, written as ASCII straight into a line's bytes. `crypto.randomUUID()` spends most of
 * its time building a string; an event id is only ever needed as bytes, so this draws from the same CSPRNG (a
 * pooled `randomFillSync`, as Node does) and writes the 36 characters in place (docs/performance.md).
 */
const IDS_PER_FILL = 256;
const pool = Buffer.allocUnsafeSlow(16 * IDS_PER_FILL);
let next = IDS_PER_FILL;
const HEX = Buffer.from('0123456789abcdef', 'latin1');
const DASH = 0x2d;

/** Length in bytes (and characters) of a UUID. */
export const UUID_BYTES = 36;

/** Writes a new random UUID v4 (lower-case hex) at `offset`; returns the offset after it. */
export function writeUuid(buf: Uint8Array, offset: number): number {
  if (next === IDS_PER_FILL) {
    randomFillSync(pool);
    next = 0;
  }
  const r = next++ * 16;
  let o = offset;
  for (let i = 0; i < 16; i++) {
    if (i === 4 || i === 6 || i === 8 || i === 10) buf[o++] = DASH;
    // Version 4 in the high nibble of byte 6, variant 10xx in the high bits of byte 8.
    const b = i === 6 ? (pool[r + i]! & 0x0f) | 0x40 : i === 8 ? (pool[r + i]! & 0x3f) | 0x80 : pool[r + i]!;
    buf[o++] = HEX[b >> 4]!;
    buf[o++] = HEX[b & 15]!;
  }
  return o;
}
