import { extname } from 'node:path';
import type { Reader, ReaderOptions, SelectOptions } from '@model-data-collector/reader/internal';
import { InvalidOptionError } from 'model-data-collector/internal';
import { readTableFile, type Table } from './table.js';

/** Rows of a collection (or data asset) in a time range. */
export interface CollectionQuery {
  readonly collection: string;
  readonly endpoint?: string;
  readonly deployment?: string;
  readonly sinceMs?: number;
  readonly untilMs?: number;
}

/**
 * Where a monitor gets its rows. The library ships {@link ReaderSource} (collected data through the reader,
 * files in CSV, JSON lines or Parquet); tests and other hosts can pass their own.
 */
export interface DataSource {
  /** The rows of a collection in [since, until), column by column. */
  collection(query: CollectionQuery): Promise<Table>;
  /** A training or ground-truth file. */
  file(path: string): Promise<Table>;
  /** A local folder next to the collection's data where run results may be kept, if there is one. */
  historyFolder?(query: CollectionQuery): Promise<string | undefined>;
  close?(): Promise<void>;
}

/** Tables held in memory, by collection name and by file path (tests, notebooks). */
export class MemorySource implements DataSource {
  constructor(
    private readonly collections: Readonly<Record<string, Table>> = {},
    private readonly files: Readonly<Record<string, Table>> = {},
  ) {}
  async collection(q: CollectionQuery): Promise<Table> {
    const t = this.collections[q.collection];
    if (!t) throw new InvalidOptionError(`no collection ${q.collection}`);
    return t;
  }
  async file(path: string): Promise<Table> {
    return this.files[path] ?? readTableFile(path);
  }
}

/** Reads collected data through `@model-data-collector/reader`. */
export class ReaderSource implements DataSource {
  private constructor(private readonly reader: Reader) {}

  static async open(options: ReaderOptions = {}): Promise<ReaderSource> {
    const { Reader } = await import('@model-data-collector/reader/internal');
    return new ReaderSource(await Reader.open(options));
  }

  async collection(q: CollectionQuery): Promise<Table> {
    const select: SelectOptions = {
      ...(q.endpoint ? { endpoint: q.endpoint } : {}),
      ...(q.deployment ? { deployment: q.deployment } : {}),
      ...(q.sinceMs !== undefined ? { since: q.sinceMs } : {}),
      ...(q.untilMs !== undefined ? { until: q.untilMs } : {}),
    };
    const plan = await this.reader.plan(q.collection, select);
    return this.sql(plan.sql);
  }

  async file(path: string): Promise<Table> {
    if (extname(path).toLowerCase() !== '.parquet') return readTableFile(path);
    const { existsSync } = await import('node:fs');
    if (!existsSync(path)) return readTableFile(path); // the not-found error
    return this.sql(`SELECT * FROM read_parquet('${path.replaceAll("'", "''")}')`);
  }

  async historyFolder(q: CollectionQuery): Promise<string | undefined> {
    const plan = await this.reader.plan(q.collection, {
      ...(q.endpoint ? { endpoint: q.endpoint } : {}),
      ...(q.deployment ? { deployment: q.deployment } : {}),
      since: Date.now(),
      until: Date.now() + 1,
    });
    return plan.location.storage.localPath?.(plan.location.path);
  }

  private async sql(sql: string): Promise<Table> {
    const stream = await this.reader.stream(sql);
    const names = stream.columns.map((c) => c.name);
    const cols = names.map(() => [] as unknown[]);
    let rows = 0;
    for await (const chunk of stream.chunks()) {
      for (const r of chunk) {
        for (let i = 0; i < cols.length; i++) {
          const v = r[i];
          cols[i]!.push(typeof v === 'bigint' ? Number(v) : v instanceof Date ? v.toISOString() : v);
        }
        rows++;
      }
    }
    return { rowCount: rows, columns: new Map(names.map((n, i) => [n, cols[i]!])) };
  }

  async close(): Promise<void> {
    await this.reader.close();
  }
}
