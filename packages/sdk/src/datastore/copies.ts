import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Workspace } from '../workspace.js';

/** Folder of the registry of destination copies inside a workspace: `copies/<hash of the uri>.json`. */
export const COPIES_DIR = 'copies';

/**
 * A collection folder a destination copy was written to (`data_collector.destinations`). Copies are not data
 * assets; they are recorded so that `mdc forget` and `mdc retention apply` reach them too.
 */
export interface CopyRecord {
  /** `azureml://datastores/<ds>/paths/<base>/<endpoint>/<deployment>/<collection>`. */
  readonly uri: string;
  readonly datastore: string;
  /** The datastore's type when the copy was first written: `local`, `azure_blob`, `s3` or `nats`. */
  readonly type: string;
  readonly endpoint: string;
  readonly deployment: string;
  readonly collection: string;
  /** ISO time of the first write. */
  readonly created: string;
}

/** Records a copy once (several processes may record the same one: the file is created with `wx`). */
export async function recordCopy(ws: Workspace, record: Omit<CopyRecord, 'created'>): Promise<void> {
  const dir = join(ws.dir, COPIES_DIR);
  const file = join(dir, `${createHash('sha256').update(record.uri).digest('hex').slice(0, 32)}.json`);
  const full: CopyRecord = { ...record, created: new Date().toISOString() };
  await mkdir(dir, { recursive: true });
  try {
    await writeFile(file, `${JSON.stringify(full, null, 2)}\n`, { flag: 'wx' });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
}

/** Every copy recorded in the workspace, by uri. */
export async function listCopies(ws: Workspace): Promise<CopyRecord[]> {
  let names: string[];
  try {
    names = (await readdir(join(ws.dir, COPIES_DIR))).filter((n) => n.endsWith('.json'));
  } catch {
    return [];
  }
  const all = await Promise.all(
    names.map(async (n) => JSON.parse(await readFile(join(ws.dir, COPIES_DIR, n), 'utf8')) as CopyRecord),
  );
  return all.sort((a, b) => (a.uri < b.uri ? -1 : a.uri > b.uri ? 1 : 0));
}
