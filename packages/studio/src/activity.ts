import {
  type CollectionSource,
  listCollectionFiles,
  locate,
  type Storage,
} from '@model-data-collector/reader/internal';
import { MdcError, type Workspace } from 'model-data-collector/internal';
import type { CollectionActivity, DeploymentActivity, InstanceActivity } from './api-types.js';

/** Bytes read from the end of one file at most: a window's events of a busy instance, not its whole day. */
const MAX_READ_BYTES = 16 * 1024 * 1024;
const MINUTE_MS = 60_000;

/**
 * What each deployment wrote in the last `windowMinutes`, from the files themselves: events per collection
 * and per minute, and per instance (`{instance_id}.jsonl`) its newest write and how long its last event
 * waited before it was written. Works for any writer, running or not.
 */
export async function deploymentActivity(
  ws: Workspace,
  collections: readonly CollectionSource[],
  nowMs: number,
  windowMinutes: number,
): Promise<DeploymentActivity[]> {
  const sinceMs = Math.floor(nowMs / MINUTE_MS) * MINUTE_MS - (windowMinutes - 1) * MINUTE_MS;
  const groups = new Map<string, DeploymentActivity & { collections: CollectionActivity[] }>();
  for (const s of collections) {
    let activity: CollectionActivity;
    try {
      activity = await collectionActivity(ws, s, sinceMs, windowMinutes);
    } catch (err) {
      if (err instanceof MdcError && err.code === 'MDC_MISSING_PACKAGE') continue;
      throw err;
    }
    const key = `${s.endpoint}/${s.deployment}`;
    let g = groups.get(key);
    if (!g) {
      g = { endpoint: s.endpoint, deployment: s.deployment, events: 0, instances: [], collections: [] };
      groups.set(key, g);
    }
    g.collections.push(activity);
  }
  return [...groups.values()]
    .map((g) => ({
      ...g,
      events: g.collections.reduce((n, c) => n + c.events, 0),
      instances: [...new Set(g.collections.flatMap((c) => c.instances.map((i) => i.instanceId)))].sort(),
      collections: g.collections.sort((a, b) => a.collection.localeCompare(b.collection)),
    }))
    .sort(
      (a, b) =>
        b.events - a.events || `${a.endpoint}/${a.deployment}`.localeCompare(`${b.endpoint}/${b.deployment}`),
    );
}

async function collectionActivity(
  ws: Workspace,
  s: CollectionSource,
  sinceMs: number,
  windowMinutes: number,
): Promise<CollectionActivity> {
  const loc = locate(ws, s);
  const files = await listCollectionFiles(loc.storage, loc.path, { sinceMs });
  const perMinute = new Array<number>(windowMinutes).fill(0);
  const instances = new Map<string, InstanceActivity & { lastEventMs?: number }>();
  for (const f of files.logs) {
    const entry = await loc.storage.stat(f.path);
    if (!entry || entry.modifiedMs === undefined || entry.modifiedMs < sinceMs) continue;
    const instanceId = f.path.slice(f.path.lastIndexOf('/') + 1).replace(/\.jsonl$/, '');
    const times = await eventTimes(loc.storage, f.path, f.size);
    let events = 0;
    let lastEventMs: number | undefined;
    for (const t of times) {
      if (lastEventMs === undefined || t > lastEventMs) lastEventMs = t;
      const m = Math.floor((t - sinceMs) / MINUTE_MS);
      if (m < 0 || m >= windowMinutes) continue;
      perMinute[m]!++;
      events++;
    }
    const prev = instances.get(instanceId);
    const newer = !prev || entry.modifiedMs >= prev.lastWriteMs;
    const lastWriteMs = newer ? entry.modifiedMs : prev.lastWriteMs;
    const last = newer ? lastEventMs : prev.lastEventMs;
    instances.set(instanceId, {
      instanceId,
      path: newer ? f.path : prev.path,
      events: (prev?.events ?? 0) + events,
      bytes: (prev?.bytes ?? 0) + f.size,
      lastWriteMs,
      ...(last !== undefined
        ? {
            lastEventMs: last,
            lastEventTime: new Date(last).toISOString().replace('.000Z', 'Z'),
            // Event times are whole seconds: a lag under a second reads as 0.
            deliveryLagMs: Math.max(0, lastWriteMs - last - 999),
          }
        : {}),
    });
  }
  const list = [...instances.values()]
    .map(({ lastEventMs: _t, ...i }) => i)
    .sort((a, b) => b.lastWriteMs - a.lastWriteMs);
  const newest = list[0];
  return {
    collection: s.collection,
    events: list.reduce((n, i) => n + i.events, 0),
    bytes: list.reduce((n, i) => n + i.bytes, 0),
    ...(newest ? { lastWriteMs: newest.lastWriteMs } : {}),
    ...(newest?.lastEventTime ? { lastEventTime: maxTime(list) } : {}),
    instances: list,
    perMinute,
  };
}

function maxTime(list: readonly InstanceActivity[]): string {
  return list.reduce((m, i) => (i.lastEventTime && i.lastEventTime > m ? i.lastEventTime : m), '');
}

/** The `time` of each complete event line of a file (of its last MAX_READ_BYTES for a larger one). */
async function eventTimes(storage: Storage, path: string, size: number): Promise<number[]> {
  const start = Math.max(0, size - MAX_READ_BYTES);
  const text = Buffer.from(await storage.read(path, { start, end: size })).toString('utf8');
  const lines = text.split('\n');
  if (start > 0) lines.shift(); // started mid-line
  lines.pop(); // '' after the last newline, or a line still being written
  const out: number[] = [];
  for (const line of lines) {
    const t = timeOf(line);
    if (t !== undefined) out.push(t);
  }
  return out;
}

/** The event's `time`, without parsing a whole (possibly large) line. */
function timeOf(line: string): number | undefined {
  if (line.length < 65_536) {
    try {
      const e = JSON.parse(line) as { time?: unknown };
      return typeof e.time === 'string' ? Date.parse(e.time) : undefined;
    } catch {
      return undefined;
    }
  }
  const m = /"time"\s*:\s*"([^"]+)"/.exec(line.slice(0, 4096));
  if (!m) return undefined;
  const ms = Date.parse(m[1]!);
  return Number.isNaN(ms) ? undefined : ms;
}
