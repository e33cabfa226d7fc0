import {
  type CopyRecord,
  defaultAssetName,
  listCopies,
  listDataAssets,
  type Workspace,
} from 'model-data-collector/internal';
import { type CollectionSource, fromAsset, listCollections, locate } from './catalog.js';
import type { Location } from './storage.js';

/** A collection folder that retention and erasure must cover. */
export interface CollectionFolder {
  readonly source: CollectionSource;
  readonly location: Location;
}

/**
 * Every folder collected data may be in: every version of every data asset (an older version may point at an
 * older path), the unregistered collection folders of the default datastore, and the file copies destinations
 * wrote (the workspace's copy records; a stream is not a folder: see {@link streamCopies}), each once. A folder
 * whose datastore the workspace no longer defines is reported through `onSkip` and left out.
 */
export async function allCollectionFolders(
  ws: Workspace,
  onSkip: (source: CollectionSource, err: Error) => void = () => {},
): Promise<CollectionFolder[]> {
  const sources: CollectionSource[] = (await listDataAssets(ws)).map(fromAsset);
  sources.push(...(await listCollections(ws)).filter((s) => !s.asset));
  for (const c of await listCopies(ws)) {
    if (ws.datastores.get(c.datastore)?.type === 'nats' || c.type === 'nats') continue;
    sources.push({
      name: defaultAssetName(c.endpoint, c.deployment, c.collection),
      collection: c.collection,
      endpoint: c.endpoint,
      deployment: c.deployment,
      uri: c.uri,
    });
  }
  const seen = new Set<string>();
  const out: CollectionFolder[] = [];
  for (const source of sources) {
    let location: Location;
    try {
      location = locate(ws, source);
    } catch (err) {
      onSkip(source, err as Error);
      continue;
    }
    const key = `${location.storage.description}|${location.path}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push({ source, location });
  }
  return out;
}

/** The copies destinations sent to NATS JetStream streams: messages, not files (forget and retention say so). */
export async function streamCopies(ws: Workspace): Promise<CopyRecord[]> {
  return (await listCopies(ws)).filter((c) => (ws.datastores.get(c.datastore)?.type ?? c.type) === 'nats');
}
