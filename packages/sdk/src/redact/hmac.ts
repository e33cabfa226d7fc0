// HMAC-SHA256 (RFC 2104, FIPS 180-4) for the short values redaction hashes. node:crypto's createHmac costs a
// native object per value (several µs); here the key's inner and outer pad blocks are compressed once, so a
// value under 56 bytes costs two compressions in plain JavaScript. Checked against createHmac in the tests.

const K = Uint32Array.from([
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5, 0xd807aa98,
  0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786,
  0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8,
  0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13,
  0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819,
  0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a,
  0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7,
  0xc67178f2,
]);
const IV = Uint32Array.from([
  0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
]);
const BLOCK = 64;
const W = new Uint32Array(64);
const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

/** One SHA-256 compression of `block[at..at+64)` into `h`. */
function compress(h: Uint32Array, block: Uint8Array, at: number): void {
  for (let i = 0; i < 16; i++) {
    const j = at + i * 4;
    W[i] = (block[j]! << 24) | (block[j + 1]! << 16) | (block[j + 2]! << 8) | block[j + 3]!;
  }
  for (let i = 16; i < 64; i++) {
    const a = W[i - 15]!;
    const b = W[i - 2]!;
    const s0 = ((a >>> 7) | (a << 25)) ^ ((a >>> 18) | (a << 14)) ^ (a >>> 3);
    const s1 = ((b >>> 17) | (b << 15)) ^ ((b >>> 19) | (b << 13)) ^ (b >>> 10);
    W[i] = (W[i - 16]! + s0 + W[i - 7]! + s1) | 0;
  }
  let a = h[0]!;
  let b = h[1]!;
  let c = h[2]!;
  let d = h[3]!;
  let e = h[4]!;
  let f = h[5]!;
  let g = h[6]!;
  let k = h[7]!;
  for (let i = 0; i < 64; i++) {
    const S1 = ((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7));
    const t1 = (k + S1 + ((e & f) ^ (~e & g)) + K[i]! + W[i]!) | 0;
    const S0 = ((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10));
    const t2 = (S0 + ((a & b) ^ (a & c) ^ (b & c))) | 0;
    k = g;
    g = f;
    f = e;
    e = (d + t1) | 0;
    d = c;
    c = b;
    b = a;
    a = (t1 + t2) | 0;
  }
  h[0] = (h[0]! + a) | 0;
  h[1] = (h[1]! + b) | 0;
  h[2] = (h[2]! + c) | 0;
  h[3] = (h[3]! + d) | 0;
  h[4] = (h[4]! + e) | 0;
  h[5] = (h[5]! + f) | 0;
  h[6] = (h[6]! + g) | 0;
  h[7] = (h[7]! + k) | 0;
}

/**
 * Finishes a hash whose state `h` has absorbed `prefixBytes` (whole blocks) with `msg[0..len)`: the remaining
 * blocks, the padding and the bit length.
 */
function finish(
  h: Uint32Array,
  prefixBytes: number,
  msg: Uint8Array,
  len: number,
  scratch: Uint8Array,
): void {
  let at = 0;
  for (; at + BLOCK <= len; at += BLOCK) compress(h, msg, at);
  const rest = len - at;
  scratch.fill(0);
  scratch.set(msg.subarray(at, len), 0);
  scratch[rest] = 0x80;
  const blocks = rest + 9 > BLOCK ? 2 : 1;
  const bits = (prefixBytes + len) * 8;
  const end = blocks * BLOCK;
  // Bit lengths here stay far below 2^53: the high word is what division leaves above 2^32.
  const high = Math.floor(bits / 0x100000000);
  const low = bits >>> 0;
  scratch[end - 8] = high >>> 24;
  scratch[end - 7] = high >>> 16;
  scratch[end - 6] = high >>> 8;
  scratch[end - 5] = high;
  scratch[end - 4] = low >>> 24;
  scratch[end - 3] = low >>> 16;
  scratch[end - 2] = low >>> 8;
  scratch[end - 1] = low;
  compress(h, scratch, 0);
  if (blocks === 2) compress(h, scratch, BLOCK);
}

/** An HMAC-SHA256 with a fixed key, giving lowercase hex digests. */
export class HmacSha256 {
  private readonly inner = new Uint32Array(8);
  private readonly outer = new Uint32Array(8);
  private readonly h = new Uint32Array(8);
  private readonly scratch = new Uint8Array(2 * BLOCK);
  private readonly digest = new Uint8Array(32);
  private buf = Buffer.alloc(256);

  constructor(key: Uint8Array) {
    const k = new Uint8Array(BLOCK);
    if (key.byteLength > BLOCK) {
      const h = IV.slice();
      finish(h, 0, key, key.byteLength, this.scratch);
      for (let i = 0; i < 8; i++) new DataView(k.buffer).setUint32(i * 4, h[i]!);
    } else k.set(key);
    const pad = new Uint8Array(BLOCK);
    this.inner.set(IV);
    for (let i = 0; i < BLOCK; i++) pad[i] = k[i]! ^ 0x36;
    compress(this.inner, pad, 0);
    this.outer.set(IV);
    for (let i = 0; i < BLOCK; i++) pad[i] = k[i]! ^ 0x5c;
    compress(this.outer, pad, 0);
  }

  /** The hex HMAC of `value`'s UTF-8 bytes. */
  hex(value: string): string {
    if (value.length * 3 > this.buf.length) this.buf = Buffer.alloc(value.length * 3);
    const len = this.buf.write(value, 0, 'utf8');
    const h = this.h;
    h.set(this.inner);
    finish(h, BLOCK, this.buf, len, this.scratch);
    const d = this.digest;
    for (let i = 0; i < 8; i++) {
      const w = h[i]!;
      d[i * 4] = w >>> 24;
      d[i * 4 + 1] = w >>> 16;
      d[i * 4 + 2] = w >>> 8;
      d[i * 4 + 3] = w;
    }
    h.set(this.outer);
    finish(h, BLOCK, d, 32, this.scratch);
    let out = '';
    for (let i = 0; i < 8; i++) {
      const w = h[i]!;
      out += HEX[w >>> 24]! + HEX[(w >>> 16) & 255]! + HEX[(w >>> 8) & 255]! + HEX[w & 255]!;
    }
    return out;
  }
}
