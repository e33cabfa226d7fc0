import {
  AmbiguousCollectionError,
  azuremlUri,
  type DataAsset,
  DEFAULT_BASE_URI,
  defaultAssetName,
  getDatastore,
  joinPath,
  listDataAssets,
  parseAzuremlUri,
  UnknownAssetError,
  type Workspace,
} from 'model-data-collector/internal';
import { datastoreStorage, type Location, resolveLocation } from './storage.js';

/** A readable collection: a registered data asset (one version of it) or a collection folder found in the datastore. */
export interface CollectionSource {
  /** The data asset name (`<endpoint>-<deployment>-<collection>` unless the deployment named it). */
  readonly name: string;
  /** The asset version, when registered. */
  readonly version?: string;
  readonly collection: string;
  readonly endpoint: string;
  readonly deployment: string;
  /** `azureml://datastores/<ds>/paths/<folder>` or a `file://` URL of the collection folder. */
  readonly uri: string;
  /** The registry record, when the collection is a registered asset. */
  readonly asset?: DataAsset;
}

export interface ResolveOptions {
  readonly endpoint?: string;
  readonly deployment?: string;
}

/**
 * Every collection of the workspace: the latest version of each registered data asset, and the collection
 * folders under the default base path that no asset points at (e.g. files copied from Azure).
 */
export async function listCollections(ws: Workspace): Promise<CollectionSource[]> {
  const assets = await listDataAssets(ws);
  const latest = new Map<string, DataAsset>();
  for (const a of assets) latest.set(a.name, a); // oldest first, so the last one wins
  const sources: CollectionSource[] = [...latest.values()].map(fromAsset);
  const known = new Set(sources.map((s) => normalizeUri(s.uri)));
  for (const f of await discoverFolders(ws)) if (!known.has(normalizeUri(f.uri))) sources.push(f);
  return sources.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** A data asset as a source of rows. */
export function fromAsset(a: DataAsset): CollectionSource {
  return {
    name: a.name,
    version: a.version,
    collection: a.collection,
    endpoint: a.endpoint,
    deployment: a.deployment,
    uri: a.path,
    asset: a,
  };
}

/** `modelDataCollector/<endpoint>/<deployment>/<collection>` folders of the default datastore. */
async function discoverFolders(ws: Workspace): Promise<CollectionSource[]> {
  const base = parseAzuremlUri(DEFAULT_BASE_URI);
  if (getDatastore(ws, base.datastore).type !== 'local') return [];
  const storage = datastoreStorage(ws, base.datastore);
  const out: CollectionSource[] = [];
  for (const ep of await storage.list(base.path)) {
    if (ep.kind !== 'folder') continue;
    for (const dep of await storage.list(ep.path)) {
      if (dep.kind !== 'folder') continue;
      for (const col of await storage.list(dep.path)) {
        if (col.kind !== 'folder') continue;
        out.push({
          name: defaultAssetName(ep.name, dep.name, col.name),
          collection: col.name,
          endpoint: ep.name,
          deployment: dep.name,
          uri: azuremlUri(base.datastore, joinPath(base.path, ep.name, dep.name, col.name)),
        });
      }
    }
  }
  return out;
}

function normalizeUri(uri: string): string {
  if (/^azureml:/i.test(uri)) {
    const p = parseAzuremlUri(uri);
    return `${p.datastore}:${p.path}`;
  }
  return uri.replace(/\/+$/, '');
}

/**
 * Finds what `ref` names: `NAME[@VERSION]` of a data asset, a collection's default asset name, or a collection
 * name (`model_inputs`), narrowed by endpoint and deployment. Throws MDC_UNKNOWN_ASSET or MDC_AMBIGUOUS_COLLECTION.
 */
export async function resolveCollection(
  ws: Workspace,
  ref: string,
  options: ResolveOptions = {},
): Promise<CollectionSource> {
  const at = ref.lastIndexOf('@');
  const name = at > 0 ? ref.slice(0, at) : ref;
  const version = at > 0 ? ref.slice(at + 1) : undefined;
  const assets = (await listDataAssets(ws)).filter((a) => a.name === name);
  if (assets.length > 0) {
    if (version === undefined || version === 'latest') return fromAsset(assets.at(-1)!);
    const hit = assets.find((a) => a.version === version);
    if (!hit) {
      throw new UnknownAssetError(
        `data asset "${name}" has no version "${version}" (versions: ${assets.map((a) => a.version).join(', ')})`,
      );
    }
    return fromAsset(hit);
  }
  if (version !== undefined) throw new UnknownAssetError(`no data asset named "${name}"`);
  const all = await listCollections(ws);
  const byName = all.find((s) => s.name === name);
  if (byName) return byName;
  const matches = all.filter(
    (s) =>
      s.collection === name &&
      (options.endpoint === undefined || s.endpoint === options.endpoint) &&
      (options.deployment === undefined || s.deployment === options.deployment),
  );
  if (matches.length === 1) return matches[0]!;
  if (matches.length > 1) {
    throw new AmbiguousCollectionError(
      name,
      matches.map((m) => `${m.endpoint}/${m.deployment}`),
    );
  }
  const known = all.map((s) => s.name);
  const where = [
    options.endpoint ? `endpoint ${options.endpoint}` : '',
    options.deployment ? `deployment ${options.deployment}` : '',
  ]
    .filter(Boolean)
    .join(', ');
  throw new UnknownAssetError(
    `no data asset or collection named "${name}"${where ? ` in ${where}` : ''} (known: ${known.length ? known.join(', ') : `none; nothing has been collected in workspace ${ws.dir} yet`})`,
  );
}

/** Where a collection's files are. Throws MDC_UNKNOWN_DATASTORE for a datastore the workspace lacks. */
export function locate(ws: Workspace, source: CollectionSource): Location {
  return resolveLocation(ws, source.uri);
}
