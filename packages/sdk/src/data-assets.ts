import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { InvalidOptionError } from './errors.js';
import { isPathSegment } from './layout.js';
import type { Workspace } from './workspace.js';

/** Folder of the data-asset registry inside a workspace: `data-assets/<name>/<version>.json`. */
export const DATA_ASSETS_DIR = 'data-assets';

/** A registered data asset: a name and version pointing at a collection's folder (type `uri_folder`). */
export interface DataAsset {
  readonly name: string;
  readonly version: string;
  readonly type: 'uri_folder';
  /** `azureml://datastores/<ds>/paths/<folder>` or a `file://` URL. */
  readonly path: string;
  /** ISO time of registration. */
  readonly created: string;
  readonly endpoint: string;
  readonly deployment: string;
  readonly collection: string;
}

export type DataAssetInput = Omit<DataAsset, 'version' | 'created' | 'type'> & { readonly version?: string };

/** `<endpoint>-<deployment>-<collection>`, the default asset name. */
export function defaultAssetName(endpoint: string, deployment: string, collection: string): string {
  return `${endpoint}-${deployment}-${collection}`;
}

/**
 * Registers an asset. With no version given, the newest version whose path is the same is reused, and a
 * changed path makes version max+1. Safe when several processes register at once (files are created with `wx`).
 */
export async function registerDataAsset(
  ws: Workspace,
  input: DataAssetInput,
  now = new Date(),
): Promise<DataAsset> {
  if (!/^[A-Za-z0-9_.-]+$/.test(input.name) || !isPathSegment(input.name))
    throw new InvalidOptionError(`data asset name ${JSON.stringify(input.name)} is not valid`);
  if (input.version !== undefined && !isPathSegment(input.version))
    throw new InvalidOptionError(`data asset version ${JSON.stringify(input.version)} is not valid`);
  const existing = await listDataAssetVersions(ws, input.name);
  if (input.version !== undefined) {
    const same = existing.find((a) => a.version === input.version);
    if (same) return same;
  } else {
    const latest = existing.at(-1);
    if (latest && latest.path === input.path) return latest;
  }
  const version =
    input.version ??
    String(
      (existing
        .map((a) => Number(a.version))
        .filter(Number.isFinite)
        .sort((a, b) => a - b)
        .at(-1) ?? 0) + 1,
    );
  const asset: DataAsset = { ...input, version, type: 'uri_folder', created: now.toISOString() };
  const dir = join(ws.dir, DATA_ASSETS_DIR, input.name);
  await mkdir(dir, { recursive: true });
  try {
    await writeFile(join(dir, `${version}.json`), `${JSON.stringify(asset, null, 2)}\n`, { flag: 'wx' });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    return JSON.parse(await readFile(join(dir, `${version}.json`), 'utf8')) as DataAsset;
  }
  return asset;
}

/** Every version of an asset, oldest first (numeric versions in numeric order). */
export async function listDataAssetVersions(ws: Workspace, name: string): Promise<DataAsset[]> {
  // `..` or a path is no asset name: it would list another folder's files.
  if (!isPathSegment(name)) return [];
  const dir = join(ws.dir, DATA_ASSETS_DIR, name);
  let files: string[];
  try {
    files = (await readdir(dir)).filter((f) => f.endsWith('.json'));
  } catch {
    return [];
  }
  const assets = await Promise.all(
    files.map(async (f) => JSON.parse(await readFile(join(dir, f), 'utf8')) as DataAsset),
  );
  return assets.sort((a, b) => compareVersions(a.version, b.version));
}

/** Every asset of the workspace, each with all its versions, by name. */
export async function listDataAssets(ws: Workspace): Promise<DataAsset[]> {
  let names: string[];
  try {
    names = await readdir(join(ws.dir, DATA_ASSETS_DIR));
  } catch {
    return [];
  }
  const all = await Promise.all(names.sort().map((n) => listDataAssetVersions(ws, n)));
  return all.flat();
}

function compareVersions(a: string, b: string): number {
  const na = Number(a);
  const nb = Number(b);
  if (Number.isFinite(na) && Number.isFinite(nb)) return na - nb;
  return a.localeCompare(b);
}
