import type { InferredSchema } from './schema.js';
import type { TimeRange } from './time-range.js';

/** The columns every row starts with, before the model's columns. */
export const META_COLUMNS = ['time', 'correlationid', 'row_index', 'id', 'event_id', 'modelversion'] as const;
/**
 * Extra columns of payload collections (`request`/`response`, or anything not tabular). `text` is the answer's
 * text: an OpenAI-compatible completion's first choice (streamed answers are stored as one), or a text body;
 * `streamstatus`, `ttftms` and `durationms` are a streamed answer's extension attributes.
 */
export const PAYLOAD_COLUMNS = [
  'path',
  'method',
  'datacontenttype',
  'data',
  'data_uri',
  'text',
  'streamstatus',
  'ttftms',
  'durationms',
] as const;

/** What `datainblob` events become: rows of the payload they point at, or one row each with `data_uri`. */
export type BlobMode = 'follow' | 'list';

/** Everything needed to write the SQL of one collection's rows. */
export interface ViewPlan {
  /** Local paths of the `.jsonl` files to read. */
  readonly logs: readonly string[];
  /** Local paths of stored payload files (named by event id). */
  readonly blobs: readonly string[];
  /** Local paths of the `.jsonl` files in folders that hold stored payloads. */
  readonly blobFolderLogs: readonly string[];
  readonly schema: InferredSchema;
  readonly range: TimeRange;
  readonly blobMode: BlobMode;
}

/** A SQL string literal. */
export function sqlString(s: string): string {
  return `'${s.replaceAll("'", "''")}'`;
}

/** A SQL identifier (always quoted: model columns may be any text). */
export function ident(s: string): string {
  return `"${s.replaceAll('"', '""')}"`;
}

/** Longest event line read: an SDK configured with a large `largePayloadBytes` writes long lines. */
const MAX_LINE_BYTES = 512 * 1024 * 1024;

const list = (paths: readonly string[]) => `[${paths.map(sqlString).join(', ')}]`;

function timestampLiteral(ms: number): string {
  return `TIMESTAMP ${sqlString(new Date(ms).toISOString().replace('T', ' ').replace('Z', ''))}`;
}

function timeFilter(range: TimeRange, col = 'time'): string {
  const parts = [];
  if (range.sinceMs !== undefined) parts.push(`${col} >= ${timestampLiteral(range.sinceMs)}`);
  if (range.untilMs !== undefined) parts.push(`${col} < ${timestampLiteral(range.untilMs)}`);
  return parts.join(' AND ');
}

function readEvents(paths: readonly string[], columns: Record<string, string>): string {
  const structure = `{${Object.entries(columns)
    .map(([k, t]) => `${JSON.stringify(k)}: ${JSON.stringify(t)}`)
    .join(', ')}}`;
  // Each line as one JSON value, then its fields: read_json's own newline_delimited reader, after a line torn
  // inside an object or array (a crashed writer's last line, with lines appended after it by a restarted
  // instance), took the next line for its continuation and lost it. ignore_errors: a torn or invalid line is
  // skipped (torn lines are reported by the reader), a value of an unexpected type becomes NULL.
  const objects = `read_ndjson_objects(${list(paths)}, ignore_errors = true, maximum_object_size = ${MAX_LINE_BYTES})`;
  return `(SELECT unnest(json_transform(json, ${sqlString(structure)})) FROM ${objects} WHERE json IS NOT NULL)`;
}

/** Output name of each model column: a name that clashes with a row column gets a `data_` prefix. */
export function modelColumnNames(schema: InferredSchema, blobMode: BlobMode): Map<string, string> {
  const taken = new Set<string>([...META_COLUMNS, ...(blobMode === 'list' ? ['data_uri'] : [])]);
  const out = new Map<string, string>();
  for (const c of schema.columns) {
    let name = c.name;
    while (taken.has(name.toLowerCase())) name = `data_${name}`;
    taken.add(name.toLowerCase());
    out.set(c.name, name);
  }
  return out;
}

function structType(schema: InferredSchema): string {
  return `STRUCT(${schema.columns.map((c) => `${ident(c.name)} ${c.type}`).join(', ')})[]`;
}

function jsonStructure(schema: InferredSchema): string {
  return JSON.stringify([Object.fromEntries(schema.columns.map((c) => [c.name, c.type]))]);
}

/** The SELECT that yields one collection's rows. */
export function viewSql(plan: ViewPlan): string {
  return plan.schema.kind === 'payload' ? payloadSql(plan) : tabularSql(plan);
}

function emptySql(plan: ViewPlan): string {
  const cols = [
    'NULL::TIMESTAMP AS "time"',
    'NULL::VARCHAR AS correlationid',
    'NULL::BIGINT AS row_index',
    'NULL::VARCHAR AS id',
    'NULL::VARCHAR AS event_id',
    'NULL::VARCHAR AS modelversion',
  ];
  if (plan.schema.kind === 'payload') {
    cols.push('NULL::VARCHAR AS path', 'NULL::VARCHAR AS method', 'NULL::VARCHAR AS datacontenttype');
    cols.push('NULL::JSON AS data', 'NULL::VARCHAR AS data_uri', 'NULL::VARCHAR AS text');
    cols.push('NULL::VARCHAR AS streamstatus', 'NULL::BIGINT AS ttftms', 'NULL::BIGINT AS durationms');
  } else {
    const names = modelColumnNames(plan.schema, plan.blobMode);
    for (const c of plan.schema.columns) cols.push(`NULL::${c.type} AS ${ident(names.get(c.name)!)}`);
    if (plan.blobMode === 'list') cols.push('NULL::VARCHAR AS data_uri');
  }
  return `SELECT ${cols.join(', ')} WHERE false`;
}

function tabularSql(plan: ViewPlan): string {
  if (plan.logs.length === 0 || (plan.schema.columns.length === 0 && plan.blobMode === 'follow')) {
    return emptySql(plan);
  }
  const names = modelColumnNames(plan.schema, plan.blobMode);
  const where = timeFilter(plan.range);
  const meta = { id: 'VARCHAR', time: 'TIMESTAMP', correlationid: 'VARCHAR', modelversion: 'VARCHAR' };
  const listMode = plan.blobMode === 'list';
  const rowColumns = (uri: string) =>
    [
      '"time"',
      'correlationid',
      'row_index',
      `CASE WHEN n > 1 THEN correlationid || '_' || row_index ELSE correlationid END AS id`,
      'event_id',
      'modelversion',
      // JSON is an alias type; the cast keeps it on the column (struct fields lose it).
      ...plan.schema.columns.map(
        (c) => `r.${ident(c.name)}${c.type === 'JSON' ? '::JSON' : ''} AS ${ident(names.get(c.name)!)}`,
      ),
      ...(listMode ? [`${uri} AS data_uri`] : []),
    ].join(', ');
  const unnestFrom = (src: string) =>
    `(SELECT "time", correlationid, id AS event_id, modelversion, len(data) AS n, generate_subscripts(data, 1) - 1 AS row_index, unnest(data) AS r FROM ${src})`;
  const parts: string[] = [];
  if (plan.schema.columns.length > 0) {
    const ev = `(SELECT * FROM ${readEvents(plan.logs, { ...meta, data: structType(plan.schema) })}${where ? ` WHERE ${where}` : ''})`;
    parts.push(`SELECT ${rowColumns('NULL::VARCHAR')} FROM ${unnestFrom(ev)}`);
  }
  if (listMode) {
    const ptr = `(SELECT * FROM ${readEvents(plan.logs, { ...meta, datainblob: 'VARCHAR', data: 'VARCHAR' })} WHERE datainblob = 'true'${where ? ` AND ${where}` : ''})`;
    const cols = [
      '"time"',
      'correlationid',
      '0::BIGINT AS row_index',
      'correlationid AS id',
      'id AS event_id',
      'modelversion',
      ...plan.schema.columns.map((c) => `NULL::${c.type} AS ${ident(names.get(c.name)!)}`),
      'data AS data_uri',
    ];
    parts.push(`SELECT ${cols.join(', ')} FROM ${ptr}`);
  } else if (plan.blobs.length > 0 && plan.blobFolderLogs.length > 0 && plan.schema.columns.length > 0) {
    const ptr = `(SELECT id, "time", correlationid, modelversion FROM ${readEvents(plan.blobFolderLogs, { ...meta, datainblob: 'VARCHAR' })} WHERE datainblob = 'true'${where ? ` AND ${where}` : ''})`;
    const blob = `(SELECT parse_filename(filename) AS id, try(from_json(try(decode(content)), ${sqlString(jsonStructure(plan.schema))})) AS data FROM read_blob(${list(plan.blobs)}))`;
    const joined = `(SELECT p.*, b.data FROM ${ptr} p JOIN ${blob} b USING (id))`;
    parts.push(`SELECT ${rowColumns('NULL::VARCHAR')} FROM ${unnestFrom(joined)}`);
  }
  return parts.length === 0 ? emptySql(plan) : parts.join('\nUNION ALL\n');
}

function payloadSql(plan: ViewPlan): string {
  if (plan.logs.length === 0) return emptySql(plan);
  const where = ['id IS NOT NULL', timeFilter(plan.range)].filter(Boolean).join(' AND ');
  const ev = `(SELECT * FROM ${readEvents(plan.logs, {
    id: 'VARCHAR',
    time: 'TIMESTAMP',
    correlationid: 'VARCHAR',
    modelversion: 'VARCHAR',
    path: 'VARCHAR',
    method: 'VARCHAR',
    datacontenttype: 'VARCHAR',
    datainblob: 'VARCHAR',
    data: 'JSON',
    streamstatus: 'VARCHAR',
    ttftms: 'BIGINT',
    durationms: 'BIGINT',
  })} WHERE ${where})`;
  const follow = plan.blobMode === 'follow' && plan.blobs.length > 0;
  const content = `try(decode(b.content))`;
  const data = follow
    ? `CASE WHEN e.datainblob = 'true' THEN (CASE WHEN b.content IS NULL THEN NULL WHEN e.datacontenttype ILIKE '%json%' THEN try_cast(${content} AS JSON) WHEN e.datacontenttype ILIKE 'text/%' THEN to_json(${content}) ELSE NULL END) ELSE e.data END`
    : `CASE WHEN e.datainblob = 'true' THEN NULL ELSE e.data END`;
  const cols = [
    'e."time"',
    'e.correlationid',
    '0::BIGINT AS row_index',
    'e.correlationid AS id',
    'e.id AS event_id',
    'e.modelversion',
    'e.path',
    'e.method',
    'e.datacontenttype',
    `${data} AS data`,
    `CASE WHEN e.datainblob = 'true' THEN e.data->>'$' END AS data_uri`,
    'e.streamstatus',
    'e.ttftms',
    'e.durationms',
  ];
  const from = follow
    ? `${ev} e LEFT JOIN (SELECT parse_filename(filename) AS id, content FROM read_blob(${list(plan.blobs)})) b ON b.id = e.id`
    : `${ev} e`;
  const text = `CASE WHEN json_type(data) = 'VARCHAR' THEN data->>'$' WHEN data->>'$.object' IN ('chat.completion', 'text_completion') THEN coalesce(data->>'$.choices[0].message.content', data->>'$.choices[0].text') END`;
  const out = [...PAYLOAD_COLUMNS].map((c) => (c === 'text' ? `${text} AS text` : c));
  return `SELECT ${[...META_COLUMNS.map((c) => (c === 'time' ? '"time"' : c)), ...out].join(', ')} FROM (SELECT ${cols.join(', ')} FROM ${from})`;
}
