import {
  DATASTORE_PACKAGES,
  type DatastoreConfig,
  InvalidOptionError,
  type Workspace,
} from 'model-data-collector/internal';
import { appendAudit } from './audit.js';
import { allCollectionFolders, streamCopies } from './collection-folders.js';
import { listCollectionFiles } from './files.js';
import type { Reader } from './reader.js';
import type { Storage } from './storage.js';

export interface ForgetOptions {
  /** Events whose `correlationid` is one of these are removed. */
  readonly correlationIds?: readonly string[];
  /** Events whose `id` is one of these are removed (what {@link eventIdsWhere} finds). */
  readonly eventIds?: readonly string[];
  /** Find and count, change nothing. @default false */
  readonly dryRun?: boolean;
  /** What the user asked, as the audit log records it. @default the ids */
  readonly request?: Readonly<Record<string, unknown>>;
  readonly onWarning?: (message: string) => void;
}

/** One `.jsonl` file that held forgotten events. */
export interface ForgottenFile {
  readonly uri: string;
  readonly removed: number;
  readonly kept: number;
  /** No event was left, so the file was deleted instead of rewritten. */
  readonly deleted: boolean;
}

/** A NATS JetStream stream destinations copied events to: their messages are deleted by sequence. */
export interface ForgottenStream {
  readonly datastore: string;
  /** `nats:<servers>/<stream>`. */
  readonly description: string;
  /** Messages read, and those of forgotten events (deleted, unless a dry run). */
  readonly scanned: number;
  readonly removed: number;
  /** Why the stream could not be searched (nothing was deleted from it). */
  readonly error?: string;
}

export interface ForgetResult {
  readonly dryRun: boolean;
  /** Events removed from files (a stream's messages are counted in {@link streams}). */
  readonly events: number;
  readonly files: readonly ForgottenFile[];
  readonly streams: readonly ForgottenStream[];
  /** Payloads stored in their own file (`datainblob`) of the removed events, deleted with them. */
  readonly payloadFiles: readonly string[];
  /** The audit log the run was appended to (not in a dry run). */
  readonly auditLog?: string;
}

const NEWLINE = 0x0a;

/**
 * Removes events from every collection on every datastore, destination copies included: each `.jsonl` file
 * holding one is rewritten without it through the storage's atomic replace (a reader sees the old file or the new
 * one), or deleted when nothing is left, and the event's separately stored payload is deleted too. Other lines
 * keep their exact bytes. A NATS stream a destination copied to has its messages of those events deleted by
 * sequence. Appends what was done to the workspace's audit log.
 */
export async function forgetEvents(ws: Workspace, options: ForgetOptions): Promise<ForgetResult> {
  const ids = new Set(options.correlationIds ?? []);
  const eventIds = new Set(options.eventIds ?? []);
  for (const id of [...ids, ...eventIds]) {
    if (typeof id !== 'string' || id === '')
      throw new InvalidOptionError('an id to forget must be a non-empty string');
  }
  const needles = [...ids, ...eventIds].map((id) => Buffer.from(JSON.stringify(id).slice(1, -1)));
  const files: ForgottenFile[] = [];
  const payloadFiles: string[] = [];
  let events = 0;
  const folders =
    needles.length === 0
      ? []
      : await allCollectionFolders(ws, (s, err) =>
          options.onWarning?.(`collection ${s.name} (${s.uri}) skipped: ${err.message}`),
        );
  for (const { location } of folders) {
    const { storage } = location;
    const uriOf = (p: string) =>
      `${location.uri.replace(/\/+$/, '')}/${p.slice(location.path.length).replace(/^\/+/, '')}`;
    const listed = await listCollectionFiles(storage, location.path);
    for (const log of listed.logs) {
      const bytes = Buffer.from(await storage.read(log.path));
      if (!needles.some((n) => bytes.includes(n))) continue;
      const { kept, removed, payloads } = filterLines(bytes, needles, ids, eventIds);
      if (removed === 0) continue;
      const folder = log.path.slice(0, log.path.lastIndexOf('/'));
      const keptEvents = countLines(kept);
      if (!options.dryRun) {
        // Payloads first: a line never points at a missing file, even if the run stops half way.
        for (const p of payloads) await storage.remove!(`${folder}/${p}`);
        if (kept.byteLength === 0) await storage.remove!(log.path);
        else await replace(storage, log.path, kept);
      }
      for (const p of payloads) payloadFiles.push(uriOf(`${folder}/${p}`));
      files.push({ uri: uriOf(log.path), removed, kept: keptEvents, deleted: kept.byteLength === 0 });
      events += removed;
    }
  }
  const streams =
    needles.length === 0
      ? []
      : await forgetInStreams(
          ws,
          (line) => eventToForget(line, needles, ids, eventIds) !== undefined,
          options,
        );
  let auditLog: string | undefined;
  if (!options.dryRun) {
    auditLog = await appendAudit(ws, {
      time: new Date().toISOString(),
      action: 'forget',
      request: options.request ?? {
        ...(ids.size ? { correlationIds: [...ids] } : {}),
        ...(eventIds.size ? { eventIds: [...eventIds] } : {}),
      },
      events,
      files: [
        ...files.map((f) => f.uri),
        ...payloadFiles,
        ...streams.filter((x) => !x.error).map((x) => `${x.description}: ${x.removed} message(s)`),
      ],
    });
  }
  return {
    dryRun: options.dryRun === true,
    events,
    files,
    streams,
    payloadFiles,
    ...(auditLog ? { auditLog } : {}),
  };
}

/** The part of `@model-data-collector/nats` forget uses (loaded only when a copy went to a stream). */
interface NatsEraser {
  eraseFromStream(
    config: DatastoreConfig,
    options: { match: (line: Uint8Array) => boolean; dryRun?: boolean },
  ): Promise<{ description: string; scanned: number; removed: number }>;
}

/** Deletes the matching messages of every stream a destination copied to, once per datastore. */
async function forgetInStreams(
  ws: Workspace,
  match: (line: Uint8Array) => boolean,
  options: ForgetOptions,
): Promise<ForgottenStream[]> {
  const names = [...new Set((await streamCopies(ws)).map((c) => c.datastore))];
  const out: ForgottenStream[] = [];
  for (const datastore of names) {
    const config = ws.datastores.get(datastore);
    if (!config) {
      options.onWarning?.(`stream datastore ${datastore} is no longer defined in the workspace: skipped`);
      continue;
    }
    try {
      const mod = (await import(DATASTORE_PACKAGES.nats)) as NatsEraser;
      const r = await mod.eraseFromStream(config, { match, dryRun: options.dryRun === true });
      out.push({ datastore, ...r });
    } catch (err) {
      const description = config.type === 'nats' ? `nats:${config.url}/${config.stream}` : datastore;
      out.push({ datastore, description, scanned: 0, removed: 0, error: (err as Error).message });
    }
  }
  return out;
}

async function replace(storage: Storage, path: string, body: Uint8Array): Promise<void> {
  if (!storage.replace) throw new InvalidOptionError(`${storage.description} cannot rewrite files`);
  await storage.replace(path, body);
}

/** The lines of a file without the events to forget (the others byte for byte), and the payload files to delete. */
function filterLines(
  bytes: Buffer,
  needles: readonly Buffer[],
  ids: ReadonlySet<string>,
  eventIds: ReadonlySet<string>,
): { kept: Buffer; removed: number; payloads: string[] } {
  const keep: Buffer[] = [];
  const payloads: string[] = [];
  let removed = 0;
  let start = 0;
  while (start < bytes.length) {
    const nl = bytes.indexOf(NEWLINE, start);
    const end = nl === -1 ? bytes.length : nl + 1;
    const line = bytes.subarray(start, end);
    start = end;
    // A last line without its newline is still being written: kept as it is.
    const event = nl === -1 ? undefined : eventToForget(line, needles, ids, eventIds);
    if (event) {
      removed++;
      if (String(event.datainblob) === 'true' && typeof event.id === 'string') payloads.push(event.id);
      continue;
    }
    keep.push(line);
  }
  return { kept: Buffer.concat(keep), removed, payloads };
}

/** The event of a line when it is one to forget (its correlation id or id is listed). */
function eventToForget(
  line: Uint8Array,
  needles: readonly Buffer[],
  ids: ReadonlySet<string>,
  eventIds: ReadonlySet<string>,
): { id?: unknown; datainblob?: unknown } | undefined {
  const buf = Buffer.from(line.buffer, line.byteOffset, line.byteLength);
  if (!needles.some((n) => buf.includes(n))) return undefined;
  let event: { id?: unknown; correlationid?: unknown; datainblob?: unknown } | undefined;
  try {
    event = JSON.parse(buf.toString('utf8'));
  } catch {
    return undefined;
  }
  const hit =
    event &&
    ((typeof event.correlationid === 'string' && ids.has(event.correlationid)) ||
      (typeof event.id === 'string' && eventIds.has(event.id)));
  return hit ? event : undefined;
}

function countLines(b: Buffer): number {
  let n = 0;
  for (let i = b.indexOf(NEWLINE); i !== -1; i = b.indexOf(NEWLINE, i + 1)) n++;
  return n;
}

/**
 * The ids of the events with a row matching a SQL condition (`mdc forget --where`), over every collection. A
 * collection the condition cannot apply to (a column it does not have) is reported through `onSkip`.
 */
export async function eventIdsWhere(
  reader: Reader,
  where: string,
  onSkip: (collection: string, message: string) => void = () => {},
): Promise<string[]> {
  const ids = new Set<string>();
  for (const source of await reader.collections()) {
    try {
      const plan = await reader.plan(source);
      if (plan.files.logs.length === 0) continue;
      const rows = await reader.run(
        `SELECT DISTINCT event_id FROM (${plan.sql}) WHERE (${where}) AND event_id IS NOT NULL`,
      );
      for (const r of rows) ids.add(String(r.event_id));
    } catch (err) {
      onSkip(source.name, (err as Error).message.split('\n')[0] ?? String(err));
    }
  }
  return [...ids];
}
