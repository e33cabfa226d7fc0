import { listDataAssets, type Workspace } from 'model-data-collector/internal';
import { type CollectionSource, fromAsset, listCollections, locate } from './catalog.js';
import type { Location } from './storage.js';

/** A collection folder that retention and erasure must cover. */
export interface CollectionFolder {
  readonly source: CollectionSource;
  readonly location: Location;
}

/**
 * Every folder collected data may be in: every version of every data asset (an older version may point at an
 * older path) and the unregistered collection folders of the default datastore, each once. A folder whose
 * datastore the workspace no longer defines is reported through `onSkip` and left out.
 */
export async function allCollectionFolders(
  ws: Workspace,
  onSkip: (source: CollectionSource, err: Error) => void = () => {},
): Promise<CollectionFolder[]> {
  const sources: CollectionSource[] = (await listDataAssets(ws)).map(fromAsset);
  sources.push(...(await listCollections(ws)).filter((s) => !s.asset));
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
