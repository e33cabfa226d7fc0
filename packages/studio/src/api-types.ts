// The JSON shapes of the studio's HTTP API, shared by the server and the page (types only, no runtime code).

/** Every error answer: `{ error: { code, message } }` with a 4xx/5xx status. */
export interface ApiError {
  readonly error: { readonly code: string; readonly message: string };
}

/** A JSON value as the API sends cells: times as ISO 8601 text, big integers and bytes as text. */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

export interface InfoResponse {
  readonly workspace: string;
  readonly version: string;
}

export interface DatastoreSummary {
  readonly name: string;
  /** `local`, `azure_blob` or `s3`. */
  readonly type: string;
  readonly location: string;
  readonly files: number;
  readonly bytes: number;
  readonly modifiedMs?: number;
}

export interface TreeItem {
  readonly name: string;
  readonly kind: 'file' | 'folder';
  /** Path inside the datastore, `/`-separated. */
  readonly path: string;
  readonly files: number;
  readonly bytes: number;
  readonly modifiedMs?: number;
}

export interface TreeResponse {
  readonly datastore: string;
  readonly path: string;
  readonly uri: string;
  readonly items: readonly TreeItem[];
}

/** One event line of a `.jsonl` file, with its place in the file so the raw record can be fetched. */
export interface FileRow {
  /** Byte offset of the line in the file. */
  readonly offset: number;
  readonly bytes: number;
  readonly time?: string;
  readonly correlationid?: string;
  readonly id?: string;
  readonly type?: string;
  readonly collectdatatype?: string;
  /** Rows in `data` (tabular events). */
  readonly rows?: number;
  /** The start of `data` as JSON text (at most a few hundred characters). */
  readonly preview: string;
  /** Set when the line is not valid JSON (a torn or corrupt line). */
  readonly invalid?: boolean;
}

export interface FilePage {
  readonly datastore: string;
  readonly path: string;
  readonly uri: string;
  readonly size: number;
  readonly kind: 'jsonl' | 'other';
  /** Byte offset this page starts at. */
  readonly offset: number;
  /** Byte offset of the next page, absent at the end of the file. */
  readonly nextOffset?: number;
  readonly rows: readonly FileRow[];
  /** Files that are not event logs (stored payloads): the start of their text. */
  readonly head?: string;
}

export interface RecordResponse {
  readonly datastore: string;
  readonly path: string;
  readonly offset: number;
  readonly record: JsonValue;
}

export interface AssetItem {
  readonly name: string;
  /** Registered versions, oldest first (empty for a collection folder that is not registered). */
  readonly versions: readonly string[];
  readonly collection: string;
  readonly endpoint: string;
  readonly deployment: string;
  readonly uri: string;
  readonly created?: string;
}

export interface ColumnItem {
  readonly name: string;
  readonly type: string;
}

export interface PeriodCount {
  /** Start of the period, ISO 8601. */
  readonly start: string;
  readonly events: number;
  readonly rows: number;
}

export interface AssetDetail {
  readonly name: string;
  readonly version?: string;
  readonly versions: readonly string[];
  readonly uri: string;
  readonly created?: string;
  readonly endpoint: string;
  readonly deployment: string;
  readonly collection: string;
  readonly kind: 'tabular' | 'payload';
  readonly files: number;
  readonly payloadFiles: number;
  readonly bytes: number;
  readonly events: number;
  readonly rows: number;
  readonly firstTime?: string;
  readonly lastTime?: string;
  readonly columns: readonly ColumnItem[];
  /** `minute`, `hour`, `day`, `month` or `year`. */
  readonly period: string;
  readonly periods: readonly PeriodCount[];
}

export interface RecordsPage {
  readonly name: string;
  readonly columns: readonly ColumnItem[];
  readonly rows: readonly (readonly JsonValue[])[];
  /** Rows matching the time range and filters. */
  readonly total: number;
  readonly offset: number;
  readonly limit: number;
}

export interface ColumnSummary {
  readonly name: string;
  readonly type: string;
  readonly kind: 'number' | 'category' | 'time' | 'other';
  readonly count: number;
  readonly nulls: number;
  readonly nullRate: number;
  readonly distinct?: number;
  readonly min?: JsonValue;
  readonly max?: JsonValue;
  readonly mean?: number;
  /** Numbers: equal-width bins over [min, max]. */
  readonly histogram?: readonly { readonly lo: number; readonly hi: number; readonly count: number }[];
  /** Categories: the most frequent values. */
  readonly top?: readonly { readonly value: string; readonly count: number }[];
}

export interface SummaryResponse {
  readonly name: string;
  readonly rows: number;
  readonly columns: readonly ColumnSummary[];
}

export interface RequestCollection {
  readonly collection: string;
  readonly name: string;
  readonly columns: readonly ColumnItem[];
  readonly rows: readonly (readonly JsonValue[])[];
}

export interface RequestGroup {
  readonly endpoint: string;
  readonly deployment: string;
  readonly collections: readonly RequestCollection[];
}

export interface RequestResponse {
  readonly correlationId: string;
  readonly groups: readonly RequestGroup[];
}

export interface RecentRequest {
  readonly correlationId: string;
  readonly time: string;
  readonly endpoint: string;
  readonly deployment: string;
  readonly collections: readonly string[];
}

export interface RecentRequestsResponse {
  readonly requests: readonly RecentRequest[];
}

export interface InstanceActivity {
  readonly instanceId: string;
  /** Newest file of the instance in the window. */
  readonly path: string;
  readonly events: number;
  readonly bytes: number;
  readonly lastWriteMs: number;
  readonly lastEventTime?: string;
  /** Last write minus the time of the last event in it: how long events waited before reaching the datastore. */
  readonly deliveryLagMs?: number;
}

export interface CollectionActivity {
  readonly collection: string;
  readonly events: number;
  readonly bytes: number;
  readonly lastWriteMs?: number;
  readonly lastEventTime?: string;
  readonly instances: readonly InstanceActivity[];
  /** Events per minute over the window, oldest first (`windowMinutes` values). */
  readonly perMinute: readonly number[];
}

export interface CollectionMetrics {
  readonly collected: number;
  readonly written: number;
  readonly dropped: number;
  readonly failed: number;
  readonly sampledOut: number;
}

export interface DeploymentActivity {
  readonly endpoint: string;
  readonly deployment: string;
  readonly events: number;
  readonly instances: readonly string[];
  readonly collections: readonly CollectionActivity[];
}

/** A running `mdc serve` / `mdc proxy` whose `/metrics` the studio reads (given with `--metrics URL`). */
export interface MetricsSource {
  readonly url: string;
  readonly ok: boolean;
  readonly error?: string;
  /** Events waiting in memory, and the queue's capacity. */
  readonly queueEvents?: number;
  readonly queueMaxEvents?: number;
  readonly collections?: Readonly<Record<string, CollectionMetrics>>;
}

export interface DeploymentsResponse {
  readonly nowMs: number;
  readonly windowMinutes: number;
  /** Start of the first per-minute bucket, ms since the epoch. */
  readonly sinceMs: number;
  readonly deployments: readonly DeploymentActivity[];
  readonly metrics: readonly MetricsSource[];
}
