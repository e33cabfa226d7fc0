import { type DuckDBConnection, DuckDBInstance, type DuckDBResult, type DuckDBType } from '@duckdb/node-api';
import type { Table } from 'apache-arrow';
import {
  type DataAsset,
  InvalidOptionError,
  listDataAssets,
  MdcError,
  openWorkspace,
  QueryFailedError,
  UnknownAssetError,
  type Workspace,
} from 'model-data-collector/internal';
import { toArrowTable } from './arrow.js';
import {
  type CollectionSource,
  listCollections,
  locate,
  type ResolveOptions,
  resolveCollection,
} from './catalog.js';
import { type CollectionFiles, findTornTails, listCollectionFiles } from './files.js';
import { type InferredSchema, inferSchema } from './schema.js';
import { Staging } from './staging.js';
import type { Location } from './storage.js';
import { parseTimeRange, type TimeRange } from './time-range.js';
import { type Cell, type Row, toCell } from './values.js';
import { type BlobMode, ident, viewSql } from './view-sql.js';

export interface ReaderOptions {
  /** Workspace folder, or an opened workspace. @default `MDC_WORKSPACE`, else `./mdc-workspace` */
  readonly workspace?: string | Workspace;
  /** Receives problems found while reading (a torn last line, a dropped column). @default kept in `warnings` only */
  readonly onWarning?: (warning: ReadWarning) => void;
  /** DuckDB worker threads. @default the number of cores */
  readonly threads?: number;
  /** DuckDB memory limit, e.g. `2GB`; past it, DuckDB spills to a temporary folder. @default 80% of RAM */
  readonly memoryLimit?: string;
  readonly env?: NodeJS.ProcessEnv;
}

/** Something the reader skipped and tells about instead of failing. */
export interface ReadWarning {
  readonly kind: 'torn-line' | 'column-dropped';
  readonly message: string;
  /** The file concerned, as a URI. */
  readonly uri?: string;
}

/** Which rows of a collection to read. */
export interface SelectOptions extends ResolveOptions {
  /** Earliest event time (inclusive): ISO 8601, `now`, a duration ago (`6h`), a Date or ms. */
  readonly since?: string | number | Date;
  /** Latest event time (exclusive). */
  readonly until?: string | number | Date;
  /** `follow` (default) reads the payloads `datainblob` events point at; `list` shows their `data_uri` instead. */
  readonly blobMode?: BlobMode;
  readonly signal?: AbortSignal;
}

/** How one collection is read: where its files are, what it holds and the SQL of its rows. */
export interface CollectionPlan {
  readonly source: CollectionSource;
  readonly location: Location;
  readonly files: CollectionFiles;
  readonly schema: InferredSchema;
  readonly range: TimeRange;
  /** Log files whose last line is incomplete (skipped). */
  readonly tornFiles: readonly string[];
  /** A SELECT of the collection's rows. */
  readonly sql: string;
}

/** A column of a result. */
export interface ColumnDescription {
  readonly name: string;
  /** DuckDB's type name, e.g. `BIGINT`, `TIMESTAMP`, `JSON`, `STRUCT(a INTEGER)`. */
  readonly type: string;
}

/** Rows of a query, streamed chunk by chunk (never all in memory). Iterate once. */
export class ResultStream implements AsyncIterable<Row> {
  readonly columns: readonly ColumnDescription[];
  private readonly types: DuckDBType[];
  constructor(private readonly result: DuckDBResult) {
    this.types = result.columnTypes();
    this.columns = result.columnNames().map((name, i) => {
      const t = result.columnType(i);
      return { name, type: t.alias ?? t.toString() };
    });
  }

  /** Rows as arrays of cells, one chunk (up to 2048 rows) at a time. */
  async *chunks(): AsyncGenerator<Cell[][]> {
    for (;;) {
      let chunk: Awaited<ReturnType<DuckDBResult['fetchChunk']>>;
      try {
        chunk = await this.result.fetchChunk();
      } catch (err) {
        throw queryError(err);
      }
      if (!chunk || chunk.rowCount === 0) return;
      // Converted with the result's column types: a chunk's vectors lose type aliases such as JSON.
      const n = chunk.rowCount;
      const rows: Cell[][] = Array.from({ length: n }, () => new Array<Cell>(this.types.length));
      for (let c = 0; c < this.types.length; c++) {
        const type = this.types[c]!;
        const values = chunk.getColumnValues(c);
        for (let r = 0; r < n; r++) rows[r]![c] = toCell(values[r]!, type, toCell);
      }
      yield rows;
    }
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<Row> {
    const names = this.columns.map((c) => c.name);
    for await (const rows of this.chunks()) {
      for (const r of rows) {
        const o: Row = {};
        for (let i = 0; i < names.length; i++) o[names[i]!] = r[i]!;
        yield o;
      }
    }
  }
}

/** Turns a DuckDB failure into MDC_QUERY_FAILED with DuckDB's own message. */
export function queryError(err: unknown): Error {
  if (err instanceof MdcError) return err;
  const message = err instanceof Error ? err.message : String(err);
  return new QueryFailedError(message.trim(), { cause: err });
}

/**
 * Reads what model-data-collector collected in a workspace: data assets, collections as rows, SQL over them
 * (embedded DuckDB), joins and exports.
 *
 * ```ts
 * await using reader = await Reader.open({ workspace: './mdc-workspace' });
 * for await (const row of reader.rows('model_inputs', { since: '1h' })) console.log(row);
 * const top = await reader.all('SELECT AGE, count(*) AS n FROM model_inputs GROUP BY 1 ORDER BY 2 DESC');
 * ```
 */
export class Reader {
  readonly warnings: ReadWarning[] = [];
  private readonly staging = new Staging();
  private readonly views = new Map<string, CollectionPlan>();
  private closed = false;

  private constructor(
    readonly workspace: Workspace,
    private readonly instance: DuckDBInstance,
    /** The DuckDB connection: for SQL the reader does not wrap. */
    readonly connection: DuckDBConnection,
    private readonly onWarning: ((w: ReadWarning) => void) | undefined,
  ) {}

  static async open(options: ReaderOptions = {}): Promise<Reader> {
    const ws =
      typeof options.workspace === 'object'
        ? options.workspace
        : openWorkspace(options.workspace, options.env);
    // Only the extensions built into the binary (json, parquet): nothing is ever downloaded.
    const config: Record<string, string> = {
      autoinstall_known_extensions: 'false',
      autoload_known_extensions: 'false',
      allow_community_extensions: 'false',
    };
    if (options.threads !== undefined) {
      if (!Number.isInteger(options.threads) || options.threads < 1)
        throw new InvalidOptionError(`threads must be a positive integer; got ${options.threads}`);
      config.threads = String(options.threads);
    }
    if (options.memoryLimit !== undefined) config.memory_limit = options.memoryLimit;
    let instance: DuckDBInstance;
    try {
      instance = await DuckDBInstance.create(':memory:', config);
    } catch (err) {
      throw new InvalidOptionError(`cannot start DuckDB: ${(err as Error).message}`, { cause: err });
    }
    const connection = await instance.connect();
    return new Reader(ws, instance, connection, options.onWarning);
  }

  /** Every version of every registered data asset, by name then version. */
  assets(): Promise<DataAsset[]> {
    return listDataAssets(this.workspace);
  }

  /** Every collection: the latest version of each data asset, and unregistered collection folders. */
  collections(): Promise<CollectionSource[]> {
    return listCollections(this.workspace);
  }

  /** What `ref` (`NAME[@VERSION]`, or a collection name) names. */
  resolve(ref: string, options: ResolveOptions = {}): Promise<CollectionSource> {
    return resolveCollection(this.workspace, ref, options);
  }

  /** Lists a collection's files (only the date folders in range), infers its columns and writes its SQL. */
  async plan(ref: string | CollectionSource, options: SelectOptions = {}): Promise<CollectionPlan> {
    this.checkOpen();
    const range = parseTimeRange(options.since, options.until);
    const source = typeof ref === 'string' ? await this.resolve(ref, options) : ref;
    const location = locate(this.workspace, source);
    const files = await listCollectionFiles(location.storage, location.path, range, {
      signal: options.signal,
    });
    const schema = await inferSchema(location.storage, files);
    const tornFiles = await findTornTails(location.storage, files.logs);
    const uriOf = (p: string) =>
      `${location.uri.replace(/\/+$/, '')}/${p.slice(location.path.length).replace(/^\/+/, '')}`;
    for (const f of tornFiles) {
      this.warn({
        kind: 'torn-line',
        uri: uriOf(f),
        message: `${uriOf(f)}: the last line is incomplete (the file is still being written, or was cut short); skipped`,
      });
    }
    for (const c of schema.droppedColumns) {
      this.warn({
        kind: 'column-dropped',
        message: `${source.name}: column "${c}" differs from another column only in letter case; it is not shown`,
      });
    }
    const logs = await this.staging.localPaths(
      location.storage,
      files.logs.map((f) => f.path),
    );
    const blobFolders = new Set(files.blobs.map((b) => b.path.slice(0, b.path.lastIndexOf('/'))));
    const blobFolderLogs = files.logs.filter((f) =>
      blobFolders.has(f.path.slice(0, f.path.lastIndexOf('/'))),
    );
    const blobs = await this.staging.localPaths(
      location.storage,
      files.blobs.map((f) => f.path),
    );
    const sql = viewSql({
      logs,
      blobs,
      blobFolderLogs: await this.staging.localPaths(
        location.storage,
        blobFolderLogs.map((f) => f.path),
      ),
      schema,
      range,
      blobMode: options.blobMode ?? 'follow',
    });
    return { source, location, files, schema, range, tornFiles, sql };
  }

  /** Rows of a collection, flattened: `time, correlationid, row_index, id, event_id, modelversion`, then the model's columns. */
  async *rows(ref: string, options: SelectOptions & { limit?: number } = {}): AsyncGenerator<Row> {
    const plan = await this.plan(ref, options);
    yield* await this.stream(limitSql(plan.sql, options.limit));
  }

  /**
   * Makes collections and data assets usable by name in SQL: each name the SQL mentions that is a data asset
   * (`"credit-default-blue-model_inputs"`) or a collection (`model_inputs`) becomes a temporary view.
   */
  async prepare(sql: string, options: SelectOptions = {}): Promise<string[]> {
    this.checkOpen();
    const names = new Set<string>();
    try {
      for (const n of this.connection.getTableNames(sql, false)) names.add(n);
    } catch {
      // not parseable: running it reports DuckDB's parse error
    }
    // DuckDB's table-name extraction misses some statements (e.g. JOIN … USING): also take every word or
    // quoted identifier of the SQL that names a collection or data asset.
    const known = new Set<string>();
    for (const s of await this.collections()) known.add(s.name).add(s.collection);
    for (const a of await this.assets()) known.add(`${a.name}@${a.version}`);
    for (const m of sql.matchAll(/"((?:[^"]|"")+)"|([A-Za-z_][A-Za-z0-9_]*)/g)) {
      const word = m[1] !== undefined ? m[1].replaceAll('""', '"') : m[2]!;
      if (known.has(word)) names.add(word);
    }
    const made: string[] = [];
    for (const name of names) {
      if (this.views.has(name)) continue;
      let plan: CollectionPlan;
      try {
        plan = await this.plan(name, options);
      } catch (err) {
        if (err instanceof UnknownAssetError) continue; // a table of the SQL itself, or DuckDB says it is missing
        throw err;
      }
      await this.run(`CREATE OR REPLACE TEMP VIEW ${ident(name)} AS ${plan.sql}`);
      this.views.set(name, plan);
      made.push(name);
    }
    return made;
  }

  /** Runs SQL (after {@link prepare}) and streams its result. */
  async query(sql: string, options: SelectOptions = {}): Promise<ResultStream> {
    await this.prepare(sql, options);
    return this.stream(sql);
  }

  /** Runs SQL and returns its result as an Apache Arrow Table (needs the optional `apache-arrow` package). */
  async toArrow(sql: string, options: SelectOptions = {}): Promise<Table> {
    return toArrowTable(await this.query(sql, options));
  }

  /** Runs SQL and returns every row (for small results). */
  async all(sql: string, options: SelectOptions = {}): Promise<Row[]> {
    const out: Row[] = [];
    for await (const r of await this.query(sql, options)) out.push(r);
    return out;
  }

  /** Streams the result of SQL as is (no views are prepared). */
  async stream(sql: string): Promise<ResultStream> {
    this.checkOpen();
    try {
      return new ResultStream(await this.connection.stream(sql));
    } catch (err) {
      throw await this.explain(err);
    }
  }

  /** Runs a statement for its effect (or a small result). */
  async run(sql: string): Promise<Row[]> {
    this.checkOpen();
    try {
      const r = await this.connection.runAndReadAll(sql);
      const names = r.columnNames();
      return r.convertRows(toCell).map((row) => Object.fromEntries(names.map((n, i) => [n, row[i] as Cell])));
    } catch (err) {
      throw await this.explain(err);
    }
  }

  /**
   * DuckDB's "table does not exist" suggests names from its own catalog ("did you mean duckdb_columns?"):
   * replaced by the closest collection or data asset, and the list of them.
   */
  private async explain(err: unknown): Promise<Error> {
    const e = queryError(err);
    const missing = /Catalog Error: Table with name (.+?) does not exist!?/i.exec(e.message);
    if (!missing) return e;
    const sources = await this.collections().catch(() => []);
    if (sources.length === 0) return e;
    const collections = [...new Set(sources.map((s) => s.collection))];
    const assets = sources.map((s) => s.name);
    const guess = closest(missing[1]!, [...collections, ...assets]);
    const rest = e.message
      .split('\n')
      .slice(1)
      .filter((l) => !/^Did you mean /i.test(l))
      .join('\n');
    return new QueryFailedError(
      `Catalog Error: no collection, data asset or table named ${missing[1]}${guess ? `: did you mean ${guess}?` : ''}${rest ? `\n${rest.replace(/\n+$/, '')}` : ''}\n(collections: ${collections.join(', ')}; data assets: ${assets.join(', ')})`,
      { cause: err },
    );
  }

  private warn(w: ReadWarning): void {
    this.warnings.push(w);
    this.onWarning?.(w);
  }

  private checkOpen(): void {
    if (this.closed) throw new InvalidOptionError('the reader is closed');
  }

  /** Closes DuckDB and removes staged files. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.connection.closeSync();
    this.instance.closeSync();
    await this.staging.close();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}

/** The name nearest to `word` (edit distance, case-insensitive) when it is a likely typo of it. */
function closest(word: string, names: readonly string[]): string | undefined {
  const w = word.toLowerCase();
  let best: string | undefined;
  let bestD = Math.max(1, Math.floor(w.length / 4)) + 1;
  for (const name of names) {
    const d = editDistance(w, name.toLowerCase());
    if (d < bestD) {
      best = name;
      bestD = d;
    }
  }
  return best;
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++)
      cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = cur;
  }
  return prev[b.length]!;
}

/** `SELECT * FROM (sql) LIMIT n`, or sql itself without a limit. */
export function limitSql(sql: string, limit: number | undefined): string {
  if (limit === undefined) return sql;
  if (!Number.isInteger(limit) || limit < 0)
    throw new InvalidOptionError(`limit must be a whole number ≥ 0; got ${limit}`);
  return `SELECT * FROM (${sql}) LIMIT ${limit}`;
}
