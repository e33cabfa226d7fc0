import type { FileHandle } from 'node:fs/promises';

/** The chunks left after the first `n` bytes (a vectored write may write less than it was given). */
export function skipBytes(chunks: readonly Uint8Array[], n: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  let skip = n;
  for (const c of chunks) {
    if (skip >= c.byteLength) {
      skip -= c.byteLength;
      continue;
    }
    out.push(skip > 0 ? c.subarray(skip) : c);
    skip = 0;
  }
  return out;
}

/** Writes every chunk at the file's position (appends for an `a`-mode handle), continuing after short writes. */
export async function writeAll(fh: FileHandle, chunks: readonly Uint8Array[]): Promise<void> {
  let pending = chunks.slice();
  while (pending.length > 0) {
    const { bytesWritten } = await fh.writev(pending as NodeJS.ArrayBufferView[]);
    pending = skipBytes(pending, bytesWritten);
  }
}
