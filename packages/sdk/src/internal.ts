// What the other mdc packages share, on top of the public API (index.ts). Not for scoring scripts: it may change.

export {
  DATA_ASSETS_DIR,
  type DataAsset,
  type DataAssetInput,
  defaultAssetName,
  listDataAssets,
  listDataAssetVersions,
  registerDataAsset,
} from './data-assets.js';
export { COPIES_DIR, type CopyRecord, listCopies, recordCopy } from './datastore/copies.js';
export { CopyChannel, type DestinationStats } from './datastore/copy-channel.js';
export { DESTINATION_METRICS } from './datastore/destination-metrics.js';
export { type DestinationSnapshot, destinationStats, FanOutSink } from './datastore/fan-out-sink.js';
export { LocalFileSink } from './datastore/local-file-sink.js';
export { type DatastoreLocation, locateDatastoreUri } from './datastore/locate.js';
export { STORED } from './datastore/sink.js';
export {
  type CollectionConfig,
  type DeploymentConfig,
  type DeploymentYaml,
  loadDeploymentFile,
  MAX_CUSTOM_COLLECTIONS,
  PAYLOAD_COLLECTIONS,
  resolveDeployment,
} from './deployment-config.js';
export { DEPLOYMENT_KEYS } from './deployment-keys.js';
export { EventEncoder, type EventFields, eventSource, eventTime } from './event.js';
export * from './index.js';
export type { KeyTree, YamlKey } from './key-check.js';
export {
  azuremlUri,
  type DatastorePath,
  DEFAULT_BASE_URI,
  DEFAULT_DATASTORE,
  isAzuremlUri,
  joinPath,
  parseAzuremlUri,
  parseRollingRate,
  periodStart,
  ROLLING_RATES,
  rolledFolder,
} from './layout.js';
export { Collection, type EmitInput, TABLE_DATA_TYPE } from './runtime/collection.js';
export { RUNTIME_SETTINGS, SPOOL_SETTINGS } from './runtime/settings.js';
export { hashUnit, isSampled } from './sampling.js';
export {
  type CloudDatastoreOptions,
  createUploader,
  DATASTORE_KINDS,
  DATASTORE_PACKAGES,
  isS3Uri,
  openCloudDatastore,
  requireDatastorePackage,
  resolveS3Uri,
  type S3Location,
} from './spool/cloud-datastore.js';
export { DATASTORE_METRICS, datastoreUp } from './spool/metrics.js';
export { datastoreStats, SpoolingSink, type SpoolingSinkOptions } from './spool/spooling-sink.js';
export type { DatastoreStats } from './spool/stats.js';
export type { DatastorePackage, Uploader, UploaderContext } from './spool/uploader.js';
export { isArrowTable, type SerializedTable, serializeTable, stringifySlow } from './tabular.js';
export {
  type DatastoreConfig,
  DEFAULT_WORKSPACE_DIR,
  getDatastore,
  localDatastoreRoot,
  openWorkspace,
  resolveWorkspaceDir,
  WORKSPACE_FILE,
  type Workspace,
} from './workspace.js';
export {
  addDatastore,
  datastoreLocation,
  redactDatastore,
  removeDatastore,
  spoolUsage,
} from './workspace-datastores.js';
export { readYamlFile, validate } from './yaml-file.js';
