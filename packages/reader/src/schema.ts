import type { CollectedFile, CollectionFiles } from './files.js';
import type { Storage } from './storage.js';

/** SQL types the reader gives model columns. Nested values (objects, arrays) stay JSON. */
export type ColumnType = 'BIGINT' | 'DOUBLE' | 'BOOLEAN' | 'VARCHAR' | 'JSON';

export interface ColumnInfo {
  readonly name: string;
  readonly type: ColumnType;
}

/**
 * What a collection holds: `tabular` when every event's `data` is an array of row objects (what collect()
 * writes), else `payload` (HTTP bodies of any shape, one row per event with `data` as JSON).
 */
export interface InferredSchema {
  readonly kind: 'tabular' | 'payload';
  /** Model columns in first-seen order (tabular only). */
  readonly columns: readonly ColumnInfo[];
  readonly sampledEvents: number;
  /** Names dropped because they differ from an earlier column only in letter case (SQL names ignore case). */
  readonly droppedColumns: readonly string[];
}

export interface SampleOptions {
  /** Files sampled at most (spread evenly, first and last always). @default 64 */
  readonly maxFiles?: number;
  /** Bytes read from the start of each file. @default 262144 */
  readonly headBytes?: number;
  /** Bytes read from the end of each larger file. @default 65536 */
  readonly tailBytes?: number;
  /** Largest stored payload file read whole to learn its columns. @default 67108864 */
  readonly maxBlobBytes?: number;
}

/** Longest first line read to learn a file's columns. */
const MAX_SAMPLE_LINE = 256 * 1024 * 1024;

interface ColumnState {
  name: string;
  int: boolean;
  float: boolean;
  bool: boolean;
  string: boolean;
  nested: boolean;
}

/** Infers the kind and the columns of a collection from a sample of its events (never reads every file). */
export async function inferSchema(
  storage: Storage,
  files: CollectionFiles,
  options: SampleOptions = {},
): Promise<InferredSchema> {
  const maxFiles = options.maxFiles ?? 64;
  const head = options.headBytes ?? 256 * 1024;
  const tail = options.tailBytes ?? 64 * 1024;
  const columns = new Map<string, ColumnState>();
  const dropped = new Set<string>();
  let tabular = 0;
  let other = 0;
  let pointers = 0;
  let sampled = 0;
  const addRow = (row: Record<string, unknown>) => {
    for (const key in row) {
      const lower = key.toLowerCase();
      let c = columns.get(lower);
      if (!c) {
        c = { name: key, int: false, float: false, bool: false, string: false, nested: false };
        columns.set(lower, c);
      } else if (c.name !== key) {
        dropped.add(key);
        continue;
      }
      observe(c, row[key]);
    }
  };
  const onEvent = (e: Record<string, unknown>) => {
    sampled++;
    if (e.datainblob === 'true' || e.datainblob === true) {
      pointers++;
      return;
    }
    const rows = e.data;
    if (Array.isArray(rows) && rows.every(isRowObject)) {
      tabular++;
      for (const r of rows) addRow(r as Record<string, unknown>);
    } else other++;
  };
  for (const f of pick(files.logs, maxFiles)) {
    let first = await storage.read(f.path, { start: 0, end: Math.min(f.size, head) });
    // A line longer than the head (a large table kept inline): read on until its end.
    for (
      let n = head * 4;
      first.indexOf(0x0a) < 0 && first.length < f.size && n <= 4 * MAX_SAMPLE_LINE;
      n *= 4
    )
      first = await storage.read(f.path, { start: 0, end: Math.min(f.size, n) });
    parseLines(first, false, first.length >= f.size, onEvent);
    if (f.size > head) {
      const start = Math.max(head, f.size - tail);
      parseLines(await storage.read(f.path, { start, end: f.size }), true, true, onEvent);
    }
  }
  // Events all stored on their own (large tables): learn the columns from a stored payload.
  if (pointers > 0 && other === 0) {
    for (const b of files.blobs
      .filter((x) => x.size <= (options.maxBlobBytes ?? 64 * 1024 * 1024))
      .slice(0, 2)) {
      const text = Buffer.from(await storage.read(b.path)).toString('utf8');
      if (!text.startsWith('[')) continue;
      try {
        const rows = JSON.parse(text) as unknown;
        if (Array.isArray(rows) && rows.every(isRowObject)) {
          tabular++;
          for (const r of rows.slice(0, 10_000)) addRow(r as Record<string, unknown>);
        }
      } catch {
        // not JSON: a binary payload
      }
    }
  }
  const kind = other === 0 && (tabular > 0 || sampled === 0) ? 'tabular' : 'payload';
  return {
    kind,
    columns: kind === 'tabular' ? [...columns.values()].map((c) => ({ name: c.name, type: typeOf(c) })) : [],
    sampledEvents: sampled,
    droppedColumns: [...dropped],
  };
}

function isRowObject(v: unknown): boolean {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function observe(c: ColumnState, v: unknown): void {
  switch (typeof v) {
    case 'number':
      if (Number.isInteger(v) && Number.isSafeInteger(v)) c.int = true;
      else c.float = true;
      return;
    case 'boolean':
      c.bool = true;
      return;
    case 'string':
      c.string = true;
      return;
    case 'object':
      if (v !== null) c.nested = true;
      return;
  }
}

function typeOf(c: ColumnState): ColumnType {
  if (c.nested) return 'JSON';
  const kinds = [c.int || c.float, c.bool, c.string].filter(Boolean).length;
  if (kinds === 0) return 'JSON';
  if (kinds > 1) return 'VARCHAR';
  if (c.string) return 'VARCHAR';
  if (c.bool) return 'BOOLEAN';
  return c.float ? 'DOUBLE' : 'BIGINT';
}

/** Up to `n` files spread over the list, always the first and the last. */
function pick(files: readonly CollectedFile[], n: number): CollectedFile[] {
  if (files.length <= n) return [...files];
  const out: CollectedFile[] = [];
  for (let i = 0; i < n; i++) out.push(files[Math.round((i * (files.length - 1)) / (n - 1))]!);
  return out;
}

/** Parses the complete JSON lines of a chunk; a partial first line (mid-file start) or last line is skipped. */
function parseLines(
  buf: Uint8Array,
  skipFirst: boolean,
  atEnd: boolean,
  onEvent: (e: Record<string, unknown>) => void,
): void {
  const text = Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength).toString('utf8');
  const lines = text.split('\n');
  if (skipFirst) lines.shift();
  if (!atEnd || !text.endsWith('\n')) lines.pop();
  for (const line of lines) {
    if (line.trim() === '') continue;
    try {
      const e = JSON.parse(line) as unknown;
      if (isRowObject(e)) onEvent(e as Record<string, unknown>);
    } catch {
      // a torn or corrupt line: the read reports it
    }
  }
}
