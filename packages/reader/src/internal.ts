// What the other mdc packages share, on top of the public API (index.ts). Not for users: it may change.

export { toArrowTable } from './arrow.js';
export { AUDIT_LOG_FILE, type AuditEntry } from './audit.js';
export { listCollections, locate, type ResolveOptions, resolveCollection } from './catalog.js';
export { allCollectionFolders, type CollectionFolder } from './collection-folders.js';
export {
  eventIdsWhere,
  type ForgetOptions,
  type ForgetResult,
  type ForgottenFile,
  forgetEvents,
} from './erase.js';
export { type CollectedFile, type CollectionFiles, findTornTails, listCollectionFiles } from './files.js';
export * from './index.js';
export { listTree, type TreeEntry, totals } from './ls.js';
export { OUTPUT_FORMATS, parseFormat } from './output.js';
export { limitSql, queryError, ResultStream } from './reader.js';
export {
  applyRetention,
  type RemovedPartition,
  type RetentionOptions,
  type RetentionResult,
} from './retention.js';
export { inferSchema } from './schema.js';
export { overlaps, parseTime, parseTimeRange } from './time-range.js';
export { isoTime, jsonText, plainText } from './values.js';
export { META_COLUMNS, PAYLOAD_COLUMNS, viewSql } from './view-sql.js';
