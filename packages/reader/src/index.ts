// The public API: what a program that reads collected data imports (see the package README). The other mdc
// packages use `@model-data-collector/reader/internal`, which adds the catalog, file listing, SQL and value
// helpers behind `mdc ls`, `mdc read` and the studio; those may change without notice.
export type { CollectionSource } from './catalog.js';
export { type CollectionDetails, describeCollection } from './describe.js';
export { type JoinOptions, type JoinPlan, type JoinStats, planJoin } from './join.js';
export { type OutputFormat, type WriteOptions, type WriteResult, writeResult } from './output.js';
export {
  type CollectionPlan,
  type ColumnDescription,
  Reader,
  type ReaderOptions,
  type ReadWarning,
  type ResultStream,
  type SelectOptions,
} from './reader.js';
export type { ColumnInfo, ColumnType, InferredSchema } from './schema.js';
export { Staging } from './staging.js';
export {
  datastoreStorage,
  LocalStorage,
  type Location,
  resolveLocation,
  type Storage,
  type StorageEntry,
} from './storage.js';
export type { TimeRange } from './time-range.js';
export type { Cell, Row } from './values.js';
export type { BlobMode } from './view-sql.js';
