// The public API is the datastore contract the SDK and the reader load this package by: `createUploader` for the
// collector's uploads, `createStorage` for reading. `@model-data-collector/s3/internal` adds the classes and the
// part-object naming behind them; those may change without notice.
export { createStorage } from './storage.js';
export { createUploader, type S3Config } from './uploader.js';
