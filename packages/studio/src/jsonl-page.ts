import type { Storage } from '@model-data-collector/reader/internal';
import type { FileRow, JsonValue } from './api-types.js';
import { badParam } from './http.js';

const CHUNK_BYTES = 256 * 1024;
/** Longest line read: an inline payload is at most 4 MB, its JSON escaping can double it. */
const MAX_LINE_BYTES = 64 * 1024 * 1024;
const PREVIEW_CHARS = 240;

/** One complete line of a file and where it starts. */
interface Line {
  readonly offset: number;
  readonly text: string;
}

/**
 * Reads up to `limit` lines starting at byte `offset` (which must start a line), a chunk at a time: a page
 * of a large file costs about the page's bytes, never the whole file.
 */
export async function readLines(
  storage: Storage,
  path: string,
  size: number,
  offset: number,
  limit: number,
): Promise<{ lines: Line[]; nextOffset?: number; tornTail?: Line }> {
  if (offset > size) throw badParam('offset', `is past the end of the file (${size} bytes)`);
  if (offset > 0) {
    const before = await storage.read(path, { start: offset - 1, end: offset });
    if (before[0] !== 0x0a) throw badParam('offset', 'does not start a line');
  }
  const lines: Line[] = [];
  let pos = offset;
  let pending: Buffer = Buffer.alloc(0);
  let pendingStart = offset;
  while (lines.length < limit && pos < size) {
    const want = Math.min(size, pos + Math.max(CHUNK_BYTES, pending.length));
    const chunk = Buffer.from(await storage.read(path, { start: pos, end: want }));
    if (chunk.length === 0) break;
    pos += chunk.length;
    pending = pending.length ? Buffer.concat([pending, chunk]) : chunk;
    let from = 0;
    for (;;) {
      const nl = pending.indexOf(0x0a, from);
      if (nl < 0 || lines.length >= limit) break;
      lines.push({ offset: pendingStart + from, text: pending.toString('utf8', from, nl) });
      from = nl + 1;
    }
    pendingStart += from;
    pending = pending.subarray(from);
    if (pending.length > MAX_LINE_BYTES)
      throw badParam('offset', `a line longer than ${MAX_LINE_BYTES} bytes`);
  }
  if (lines.length >= limit) return pendingStart < size ? { lines, nextOffset: pendingStart } : { lines };
  // End of file: what is left has no newline yet (a file being written, or cut short).
  return pending.length > 0
    ? { lines, tornTail: { offset: pendingStart, text: pending.toString('utf8') } }
    : { lines };
}

/** The table row of one event line. */
export function fileRow(line: Line): FileRow {
  const bytes = Buffer.byteLength(line.text) + 1;
  let e: unknown;
  try {
    e = JSON.parse(line.text);
  } catch {
    return { offset: line.offset, bytes, preview: line.text.slice(0, PREVIEW_CHARS), invalid: true };
  }
  if (typeof e !== 'object' || e === null || Array.isArray(e))
    return { offset: line.offset, bytes, preview: line.text.slice(0, PREVIEW_CHARS), invalid: true };
  const o = e as Record<string, JsonValue>;
  const str = (k: string) => (typeof o[k] === 'string' ? (o[k] as string) : undefined);
  const data = o.data;
  const preview = data === undefined ? '' : JSON.stringify(data);
  return {
    offset: line.offset,
    bytes,
    ...defined('time', str('time')),
    ...defined('correlationid', str('correlationid')),
    ...defined('id', str('id')),
    ...defined('type', str('type')),
    ...defined('collectdatatype', str('collectdatatype')),
    ...(Array.isArray(data) ? { rows: data.length } : {}),
    preview: preview.length > PREVIEW_CHARS ? `${preview.slice(0, PREVIEW_CHARS)}…` : preview,
  };
}

function defined<K extends string>(k: K, v: string | undefined): { [P in K]?: string } {
  return (v === undefined ? {} : { [k]: v }) as { [P in K]?: string };
}
