import { azuremlUri, isAzuremlUri, parseAzuremlUri } from '../layout.js';
import { isS3Uri, resolveS3Uri } from '../spool/cloud-datastore.js';
import { type DatastoreConfig, getDatastore, type Workspace } from '../workspace.js';

/** A path inside one of the workspace's datastores (or an implicit S3 datastore of a bucket). */
export interface DatastoreLocation {
  readonly datastore: string;
  readonly config: DatastoreConfig;
  /** Whether the workspace defines the datastore (an `s3://` URI of an unknown bucket does not). */
  readonly defined: boolean;
  /** Path inside the datastore. */
  readonly path: string;
  /** The URI of a path inside the datastore, in the form the user gave (`azureml://` or `s3://`). */
  readonly uri: (path: string) => string;
}

/**
 * Resolves a datastore URI, `azureml://datastores/<ds>/paths/<p>` (short or long form) or `s3://bucket/p`;
 * undefined for anything else (a local folder, a `file://` URI). One resolver for the write side (a
 * collection's `data.path`) and the read side (what a user types to `mdc read`). Throws MDC_UNKNOWN_DATASTORE
 * for an `azureml://` URI naming a datastore the workspace does not define.
 */
export function locateDatastoreUri(ws: Workspace, uri: string): DatastoreLocation | undefined {
  if (isAzuremlUri(uri)) {
    const p = parseAzuremlUri(uri);
    const config = getDatastore(ws, p.datastore);
    return {
      datastore: p.datastore,
      config,
      defined: true,
      path: p.path,
      uri: (path) => azuremlUri(p.datastore, path),
    };
  }
  if (isS3Uri(uri)) {
    const s3 = resolveS3Uri(ws, uri);
    return { ...s3, defined: ws.datastores.has(s3.datastore) };
  }
  return undefined;
}
