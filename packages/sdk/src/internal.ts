export { Collector, type CollectorOptions } from './collector.js';
export {
  BasicCorrelationContext,
  type CorrelationContext,
  currentCorrelationContext,
  runWithRequestContext,
} from './context.js';
export {
  DATA_ASSETS_DIR,
  type DataAsset,
  type DataAssetInput,
  defaultAssetName,
  listDataAssets,
  listDataAssetVersions,
  registerDataAsset,
} from './data-assets.js';
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
export * from './errors.js';
export { EventEncoder, type EventFields, eventSource, eventTime } from './event.js';
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
  type RollingRate,
  rolledFolder,
} from './layout.js';
export { LocalFileSink } from './local-file-sink.js';
export {
  Collection,
  DataCollectorRuntime,
  type EmitInput,
  getDefaultRuntime,
  type RuntimeOptions,
  setDefaultRuntime,
  TABLE_DATA_TYPE,
} from './runtime.js';
export { hashUnit, isSampled } from './sampling.js';
export { MemorySink, type Sink } from './sink.js';
export {
  type CloudDatastoreOptions,
  createUploader,
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
export type { CollectionStats, RuntimeStats } from './stats.js';
export { isArrowTable, type SerializedTable, serializeTable, stringifySlow } from './tabular.js';
export { AGENT, VERSION } from './version.js';
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
