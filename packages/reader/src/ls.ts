import { PathNotFoundError, type Workspace } from 'model-data-collector/internal';
import { mapLimit } from './files.js';
import { datastoreStorage, type Location, resolveLocation, type Storage } from './storage.js';

/** One line of `mdc ls`. */
export interface TreeEntry {
  readonly name: string;
  readonly kind: 'file' | 'folder' | 'datastore';
  /** How to name it again (`azureml://…`). */
  readonly uri: string;
  /** Files below (1 for a file) and their bytes. */
  readonly files: number;
  readonly bytes: number;
  /** Newest modification below, ms since the epoch. */
  readonly modifiedMs?: number;
  /** Datastores: `local`, `azure_blob` or `s3`, and where. */
  readonly type?: string;
  readonly location?: string;
}

/** What is at a path: its entries, with sizes and file counts of each folder. No path: the datastores. */
export async function listTree(
  ws: Workspace,
  target?: string,
): Promise<{ uri: string; entries: TreeEntry[] }> {
  if (target === undefined || target === '') return { uri: ws.dir, entries: await listDatastores(ws) };
  const loc = resolveLocation(ws, target);
  const self = await loc.storage.stat(loc.path);
  if (!self) throw new PathNotFoundError(loc.uri);
  if (self.kind === 'file') {
    return {
      uri: loc.uri,
      entries: [
        {
          name: self.name,
          kind: 'file',
          uri: loc.uri,
          files: 1,
          bytes: self.size ?? 0,
          modifiedMs: self.modifiedMs,
        },
      ],
    };
  }
  const entries = await loc.storage.list(loc.path);
  const out = await mapLimit(entries, 8, async (e): Promise<TreeEntry> => {
    const uri = childUri(loc, e.name);
    if (e.kind === 'file')
      return { name: e.name, kind: 'file', uri, files: 1, bytes: e.size ?? 0, modifiedMs: e.modifiedMs };
    const t = await totals(loc.storage, e.path);
    return { name: `${e.name}/`, kind: 'folder', uri, ...t };
  });
  return { uri: loc.uri, entries: out };
}

function childUri(loc: Location, name: string): string {
  return `${loc.uri.replace(/\/+$/, '')}/${name}`;
}

async function listDatastores(ws: Workspace): Promise<TreeEntry[]> {
  const out: TreeEntry[] = [];
  for (const [name, ds] of [...ws.datastores].sort(([a], [b]) => (a < b ? -1 : 1))) {
    const uri = `azureml://datastores/${name}/paths/`;
    if (ds.type !== 'local') {
      const where =
        ds.type === 's3'
          ? `s3://${ds.bucket}/${ds.prefix ?? ''}`
          : ds.type === 'nats'
            ? `${ds.url} stream ${ds.stream}`
            : `${ds.account_url ?? 'azure'}/${ds.container}`;
      out.push({ name, kind: 'datastore', uri, files: 0, bytes: 0, type: ds.type, location: where });
      continue;
    }
    const storage = datastoreStorage(ws, name);
    out.push({
      name,
      kind: 'datastore',
      uri,
      type: 'local',
      location: storage.localPath!(''),
      ...(await totals(storage, '')),
    });
  }
  return out;
}

/** Files, bytes and newest modification below a folder. */
export async function totals(
  storage: Storage,
  folder: string,
): Promise<{ files: number; bytes: number; modifiedMs?: number }> {
  let files = 0;
  let bytes = 0;
  let modifiedMs: number | undefined;
  const walk = async (dir: string): Promise<void> => {
    const entries = await storage.list(dir);
    const folders: string[] = [];
    for (const e of entries) {
      if (e.kind === 'folder') folders.push(e.path);
      else {
        files++;
        bytes += e.size ?? 0;
        if (e.modifiedMs !== undefined && (modifiedMs === undefined || e.modifiedMs > modifiedMs))
          modifiedMs = e.modifiedMs;
      }
    }
    await mapLimit(folders, 8, walk);
  };
  await walk(folder);
  return { files, bytes, ...(modifiedMs !== undefined ? { modifiedMs } : {}) };
}
