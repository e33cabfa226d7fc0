export { toArrowTable } from './arrow.js';
export {
  type CollectionSource,
  listCollections,
  locate,
  type ResolveOptions,
  resolveCollection,
} from './catalog.js';
export { type CollectionDetails, describeCollection } from './describe.js';
export { type CollectedFile, type CollectionFiles, findTornTails, listCollectionFiles } from './files.js';
export { type JoinOptions, type JoinPlan, type JoinStats, planJoin } from './join.js';
export { listTree, type TreeEntry, totals } from './ls.js';
export {
  OUTPUT_FORMATS,
  type OutputFormat,
  parseFormat,
  type WriteOptions,
  type WriteResult,
  writeResult,
} from './output.js';
export {
  type CollectionPlan,
  type ColumnDescription,
  limitSql,
  queryError,
  Reader,
  type ReaderOptions,
  type ReadWarning,
  ResultStream,
  type SelectOptions,
} from './reader.js';
export { type ColumnInfo, type ColumnType, type InferredSchema, inferSchema } from './schema.js';
export { Staging } from './staging.js';
export {
  datastoreStorage,
  LocalStorage,
  type Location,
  resolveLocation,
  type Storage,
  type StorageEntry,
} from './storage.js';
export { overlaps, parseTime, parseTimeRange, type TimeRange } from './time-range.js';
export { type Cell, isoTime, jsonText, plainText, type Row } from './values.js';
export { type BlobMode, META_COLUMNS, PAYLOAD_COLUMNS, viewSql } from './view-sql.js';
