// The public API is the datastore contract the SDK and the reader load this package by: `createUploader` for the
// collector's uploads, `createStorage` for reading. `@model-data-collector/azure-blob/internal` adds the classes
// behind them; those may change without notice.
export { createStorage } from './storage.js';
export { type AzureBlobConfig, createUploader } from './uploader.js';
