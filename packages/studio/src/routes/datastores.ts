import { datastoreStorage, listTree } from '@model-data-collector/reader/internal';
import type { FastifyInstance } from 'fastify';
import { azuremlUri, getDatastore, PathNotFoundError } from 'model-data-collector/internal';
import type {
  DatastoreSummary,
  FilePage,
  JsonValue,
  RecordResponse,
  TreeItem,
  TreeResponse,
} from '../api-types.js';
import type { StudioContext } from '../context.js';
import { badParam, datastorePath, intParam, type Query } from '../http.js';
import { fileRow, readLines } from '../jsonl-page.js';

const HEAD_BYTES = 64 * 1024;

type Params = { Params: { name: string }; Querystring: Query };

export function datastoreRoutes(app: FastifyInstance, ctx: StudioContext): void {
  const ws = ctx.workspace;

  app.get('/api/datastores', async (): Promise<{ datastores: DatastoreSummary[] }> => {
    const { entries } = await listTree(ws);
    return {
      datastores: entries.map((e) => ({
        name: e.name,
        type: e.type ?? 'local',
        location: e.location ?? '',
        files: e.files,
        bytes: e.bytes,
        ...(e.modifiedMs !== undefined ? { modifiedMs: e.modifiedMs } : {}),
      })),
    };
  });

  app.get<Params>('/api/datastores/:name/tree', async (req): Promise<TreeResponse> => {
    const name = req.params.name;
    const path = datastorePath(req.query);
    getDatastore(ws, name);
    const { uri, entries } = await listTree(ws, azuremlUri(name, path));
    const items: TreeItem[] = entries.map((e) => {
      const base = e.name.replace(/\/$/, '');
      return {
        name: base,
        kind: e.kind === 'folder' ? 'folder' : 'file',
        path: entries.length === 1 && e.kind === 'file' && e.uri === uri ? path : joinRel(path, base),
        files: e.files,
        bytes: e.bytes,
        ...(e.modifiedMs !== undefined ? { modifiedMs: e.modifiedMs } : {}),
      };
    });
    return { datastore: name, path, uri, items };
  });

  app.get<Params>('/api/datastores/:name/file', async (req): Promise<FilePage> => {
    const { name } = req.params;
    const path = datastorePath(req.query);
    const storage = datastoreStorage(ws, name);
    const entry = await storage.stat(path);
    if (entry?.kind !== 'file') throw new PathNotFoundError(azuremlUri(name, path), 'is not a file');
    const size = entry.size ?? 0;
    const base = { datastore: name, path, uri: azuremlUri(name, path), size };
    if (!path.endsWith('.jsonl')) {
      const head = Buffer.from(await storage.read(path, { start: 0, end: Math.min(size, HEAD_BYTES) }));
      return { ...base, kind: 'other', offset: 0, rows: [], head: printable(head) };
    }
    const offset = intParam(req.query, 'offset', 0, 0, Number.MAX_SAFE_INTEGER);
    const limit = intParam(req.query, 'limit', 50, 1, 500);
    const page = await readLines(storage, path, size, offset, limit);
    const rows = page.lines.map(fileRow);
    if (page.tornTail) rows.push({ ...fileRow(page.tornTail), invalid: true });
    return {
      ...base,
      kind: 'jsonl',
      offset,
      ...(page.nextOffset !== undefined ? { nextOffset: page.nextOffset } : {}),
      rows,
    };
  });

  app.get<Params>('/api/datastores/:name/record', async (req): Promise<RecordResponse> => {
    const { name } = req.params;
    const path = datastorePath(req.query);
    if (!path.endsWith('.jsonl')) throw badParam('path', 'records are lines of .jsonl files');
    const storage = datastoreStorage(ws, name);
    const entry = await storage.stat(path);
    if (entry?.kind !== 'file') throw new PathNotFoundError(azuremlUri(name, path), 'is not a file');
    const offset = intParam(req.query, 'offset', 0, 0, Number.MAX_SAFE_INTEGER);
    const { lines } = await readLines(storage, path, entry.size ?? 0, offset, 1);
    const line = lines[0];
    if (!line) throw badParam('offset', 'no complete line starts there');
    let record: JsonValue;
    try {
      record = JSON.parse(line.text) as JsonValue;
    } catch {
      throw badParam('offset', 'the line there is not valid JSON');
    }
    return { datastore: name, path, offset, record };
  });
}

function joinRel(folder: string, name: string): string {
  return folder ? `${folder}/${name}` : name;
}

/** Text of a payload file's start; a binary one is shown as a hex dump of its first bytes. */
function printable(buf: Buffer): string {
  const text = buf.toString('utf8');
  if (!text.includes('\uFFFD') && !hasControlBytes(buf)) return text;
  const hex = buf
    .subarray(0, 512)
    .toString('hex')
    .replace(/(.{2})/g, '$1 ');
  return `(binary, ${buf.length}+ bytes) ${hex}`;
}

/** Bytes below 0x20 other than tab, newline, form feed and carriage return: not text. */
function hasControlBytes(buf: Buffer): boolean {
  for (const b of buf) if (b < 0x20 && b !== 0x09 && b !== 0x0a && b !== 0x0c && b !== 0x0d) return true;
  return false;
}
