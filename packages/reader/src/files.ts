import { joinPath } from 'model-data-collector/internal';
import type { Storage, StorageEntry } from './storage.js';
import { overlaps, type TimeRange } from './time-range.js';

/** A collected file, with the time period its folder stands for. */
export interface CollectedFile {
  readonly path: string;
  readonly size: number;
  /** Start and end (ms, UTC) of the rolled period of the file's folder; the whole time line above a year folder. */
  readonly periodStartMs: number;
  readonly periodEndMs: number;
}

/** The files of one collection folder. */
export interface CollectionFiles {
  /** `{instance_id}.jsonl` files of events. */
  readonly logs: CollectedFile[];
  /** Other files: payloads stored on their own (`datainblob`), named by the event id. */
  readonly blobs: CollectedFile[];
  readonly bytes: number;
}

// yyyy, MM, dd, HH, mm: the folder levels of the layout, whatever the rolling rate stopped at.
export const DATE_LEVELS = [/^\d{4}$/, /^\d{2}$/, /^\d{2}$/, /^\d{2}$/, /^\d{2}$/];

/** Start and end (ms, UTC) of the period of a date folder, from its path's numbers (yyyy[, MM[, dd[, HH[, mm]]]]). */
export function periodOf(parts: readonly number[]): [number, number] {
  const [y = 0, mo = 1, d = 1, h = 0, mi = 0] = parts;
  const start = Date.UTC(y, mo - 1, d, h, mi);
  const end =
    parts.length === 1
      ? Date.UTC(y + 1, 0, 1)
      : parts.length === 2
        ? Date.UTC(y, mo, 1)
        : parts.length === 3
          ? Date.UTC(y, mo - 1, d + 1)
          : parts.length === 4
            ? Date.UTC(y, mo - 1, d, h + 1)
            : Date.UTC(y, mo - 1, d, h, mi + 1);
  return [start, end];
}

/**
 * Lists the files of a collection folder (`{yyyy}/{MM}/{dd}/{HH}[/{mm}]/…`). Date folders outside `range` are
 * neither listed nor opened; folders that are not part of the date layout are ignored.
 */
export async function listCollectionFiles(
  storage: Storage,
  folder: string,
  range: TimeRange = {},
  options: { signal?: AbortSignal } = {},
): Promise<CollectionFiles> {
  const logs: CollectedFile[] = [];
  const blobs: CollectedFile[] = [];
  const walk = async (dir: string, parts: number[]): Promise<void> => {
    options.signal?.throwIfAborted();
    const [start, end] = parts.length === 0 ? [-8.64e15, 8.64e15] : periodOf(parts);
    const entries = await storage.list(dir, options);
    const folders: StorageEntry[] = [];
    for (const e of entries) {
      if (e.kind === 'file') {
        const f = { path: e.path, size: e.size ?? 0, periodStartMs: start, periodEndMs: end };
        if (e.name.endsWith('.jsonl')) logs.push(f);
        else if (!e.name.startsWith('.')) blobs.push(f);
      } else if (parts.length < DATE_LEVELS.length && DATE_LEVELS[parts.length]!.test(e.name))
        folders.push(e);
    }
    const next = folders
      .map((f) => ({ f, parts: [...parts, Number(f.name)] }))
      .filter((x) => {
        const [s, en] = periodOf(x.parts);
        return overlaps(range, s, en);
      });
    await mapLimit(next, 8, (x) => walk(x.f.path, x.parts));
  };
  await walk(joinPath(folder), []);
  const byPath = (a: CollectedFile, b: CollectedFile) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0);
  logs.sort(byPath);
  blobs.sort(byPath);
  return { logs, blobs, bytes: [...logs, ...blobs].reduce((n, f) => n + f.size, 0) };
}

/** Paths of log files whose last line has no newline yet (a file still being written, or cut short). */
export async function findTornTails(storage: Storage, logs: readonly CollectedFile[]): Promise<string[]> {
  const torn: string[] = [];
  await mapLimit(logs, 16, async (f) => {
    if (f.size === 0) return;
    const last = await storage.read(f.path, { start: f.size - 1, end: f.size });
    if (last[0] !== 0x0a) torn.push(f.path);
  });
  return torn.sort();
}

/** Runs `fn` over `items` with at most `limit` at a time. */
export async function mapLimit<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T) => Promise<R>,
): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}
