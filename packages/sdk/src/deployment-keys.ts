import type { KeyTree, YamlKey } from './key-check.js';

const used: YamlKey = { local: true };
const ignored: YamlKey = { local: false };

/** `data_collector.collections.<name>.data` (Azure's DataAsset). */
const DATA_ASSET_KEYS: KeyTree = { name: used, path: used, version: used, data_id: ignored };

/** `data_collector.collections.<name>`. */
const COLLECTION_KEYS: KeyTree = {
  enabled: used,
  data: { local: true, keys: DATA_ASSET_KEYS },
  client_id: ignored,
  /** mdc's extension: copies of the collection's events in other datastores. */
  destinations: used,
};

/** `data_collector`; `destination`, `sampling_strategy` and `enabled` are from Azure's earlier preview schema. */
const DATA_COLLECTOR_KEYS: KeyTree = {
  collections: { local: true, each: COLLECTION_KEYS },
  rolling_rate: used,
  sampling_rate: used,
  redact: used,
  retention_days: used,
  /** What mdc serve keeps of one streamed answer for its response event (docs/serve.md). */
  max_stream_capture_bytes: used,
  /** mdc's extension: copies of every collection's events in other datastores. */
  destinations: used,
  request_logging: { local: false, keys: { capture_headers: ignored } },
  destination: ignored,
  sampling_strategy: ignored,
  enabled: ignored,
};

/** `model` when it is a mapping (an inline model, Azure's model asset schema). */
const MODEL_KEYS: KeyTree = {
  path: used,
  name: used,
  version: used,
  type: ignored,
  description: ignored,
  tags: ignored,
  properties: ignored,
  flavors: ignored,
  stage: ignored,
  job_name: ignored,
  datastore: ignored,
  id: ignored,
  latest_version: ignored,
  creation_context: ignored,
  intellectual_property: ignored,
  system_metadata: ignored,
  utc_time_created: ignored,
};

/**
 * Every key of Azure ML's managed (and Kubernetes) online deployment YAML, and whether `mdc serve` and the SDK act
 * on it locally. The one list: strict key checking, `mdc validate` and `mdc serve`'s "not used locally" line all
 * read it. Mappings with `keys` refuse other keys; the others (environment, probes, scale settings …) are Azure's
 * business and are not looked into.
 */
export const DEPLOYMENT_KEYS: KeyTree = {
  $schema: ignored,
  name: used,
  endpoint_name: used,
  description: ignored,
  tags: ignored,
  properties: ignored,
  id: ignored,
  type: ignored,
  model: { local: true, keys: MODEL_KEYS },
  model_mount_path: ignored,
  code_configuration: { local: true, keys: { code: used, scoring_script: used } },
  environment: ignored,
  environment_variables: ignored,
  instance_type: ignored,
  instance_count: used,
  app_insights_enabled: ignored,
  scale_settings: ignored,
  request_settings: {
    local: true,
    keys: {
      request_timeout_ms: used,
      max_concurrent_requests_per_instance: used,
      max_queue_wait_ms: ignored,
    },
  },
  liveness_probe: ignored,
  readiness_probe: ignored,
  egress_public_network_access: ignored,
  private_network_connection: ignored,
  data_collector: { local: true, keys: DATA_COLLECTOR_KEYS },
  /** Kubernetes online deployments. */
  resources: ignored,
  /** Read-only fields that `az ml online-deployment show` prints; accepted so its output can be reused. */
  provisioning_state: ignored,
  creation_context: ignored,
  /** An endpoint key in Azure; mdc reads it from the deployment (key or none). */
  auth_mode: used,
};
