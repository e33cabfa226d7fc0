/**
 * How a datastore file lives on S3. `<file>` (e.g. `…/{instance_id}.jsonl`) is the whole file once its period
 * is over; until then, and for bytes that arrive after it was assembled, bytes `[o, o + n)` are the object
 * `<file>.part-<o as 16 digits>`. The file a reader sees is `<file>` (or nothing) followed by each part whose
 * offset equals the length so far; parts below that length are covered and skipped. Part names do not end in
 * `.jsonl`, so a plain `*.jsonl` glob sees only whole, assembled files.
 */
export const PART_MARK = '.part-';
const DIGITS = 16;

export function partKey(key: string, offset: number): string {
  return `${key}${PART_MARK}${String(offset).padStart(DIGITS, '0')}`;
}

/** The offset of a part of `key`, or undefined when `candidate` is not one. */
export function partOffset(key: string, candidate: string): number | undefined {
  if (!candidate.startsWith(key + PART_MARK)) return undefined;
  const digits = candidate.slice(key.length + PART_MARK.length);
  return /^\d{16}$/.test(digits) ? Number(digits) : undefined;
}

/** Splits an object name into the file it belongs to and its part offset (undefined for a whole file). */
export function splitPartName(name: string): { file: string; offset: number | undefined } {
  const i = name.lastIndexOf(PART_MARK);
  if (i < 0) return { file: name, offset: undefined };
  const digits = name.slice(i + PART_MARK.length);
  if (!/^\d{16}$/.test(digits)) return { file: name, offset: undefined };
  return { file: name.slice(0, i), offset: Number(digits) };
}

export interface Piece {
  /** Object key. */
  readonly key: string;
  /** Where the piece starts in the file. */
  readonly offset: number;
  /** Bytes of the object to skip (already covered by the pieces before it). */
  readonly skip: number;
  /** Bytes the piece adds to the file. */
  readonly size: number;
}

/**
 * The objects that make up one file, in order: the whole object (if any), then the parts that continue it.
 * A gap (a part missing in the middle) ends the file there; `gap` says so.
 */
export function assemble(
  whole: { key: string; size: number } | undefined,
  parts: readonly { key: string; offset: number; size: number }[],
): { pieces: Piece[]; size: number; gap: boolean } {
  const pieces: Piece[] = [];
  let size = 0;
  if (whole) {
    pieces.push({ key: whole.key, offset: 0, skip: 0, size: whole.size });
    size = whole.size;
  }
  let gap = false;
  for (const p of [...parts].sort((a, b) => a.offset - b.offset)) {
    if (p.offset + p.size <= size) continue;
    if (p.offset > size) {
      gap = true;
      break;
    }
    const skip = size - p.offset;
    pieces.push({ key: p.key, offset: size, skip, size: p.size - skip });
    size += p.size - skip;
  }
  return { pieces, size, gap };
}
