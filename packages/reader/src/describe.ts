import type { Reader, SelectOptions } from './reader.js';

/** What `mdc data show` prints: an asset's registration and what its files hold. */
export interface CollectionDetails {
  readonly name: string;
  readonly version?: string;
  readonly type: 'uri_folder';
  readonly path: string;
  readonly created?: string;
  readonly endpoint: string;
  readonly deployment: string;
  readonly collection: string;
  readonly kind: 'tabular' | 'payload';
  /** `.jsonl` files, stored payload files, and the bytes of both. */
  readonly files: number;
  readonly payloadFiles: number;
  readonly bytes: number;
  readonly events: number;
  readonly rows: number;
  /** Event times of the first and last event (ISO 8601), when there are events. */
  readonly firstTime?: string;
  readonly lastTime?: string;
  readonly columns: readonly { readonly name: string; readonly type: string }[];
}

/** Registration, size, counts, time range and columns of a collection (reads every file once). */
export async function describeCollection(
  reader: Reader,
  ref: string,
  options: SelectOptions = {},
): Promise<CollectionDetails> {
  const plan = await reader.plan(ref, options);
  const columns = (await reader.run(`DESCRIBE ${plan.sql}`)).map((r) => ({
    name: String(r.column_name),
    type: String(r.column_type),
  }));
  const [c] = await reader.run(
    `SELECT count(*) AS rows, count(DISTINCT event_id) AS events, strftime(min("time"), '%Y-%m-%dT%H:%M:%SZ') AS first, strftime(max("time"), '%Y-%m-%dT%H:%M:%SZ') AS last FROM (${plan.sql})`,
  );
  const s = plan.source;
  return {
    name: s.name,
    ...(s.version !== undefined ? { version: s.version } : {}),
    type: 'uri_folder',
    path: s.uri,
    ...(s.asset ? { created: s.asset.created } : {}),
    endpoint: s.endpoint,
    deployment: s.deployment,
    collection: s.collection,
    kind: plan.schema.kind,
    files: plan.files.logs.length,
    payloadFiles: plan.files.blobs.length,
    bytes: plan.files.bytes,
    events: Number(c?.events ?? 0),
    rows: Number(c?.rows ?? 0),
    ...(c?.first ? { firstTime: String(c.first) } : {}),
    ...(c?.last ? { lastTime: String(c.last) } : {}),
    columns,
  };
}
