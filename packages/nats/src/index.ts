// The public API is the datastore contract the SDK and the reader load this package by: `createUploader` for the
// collector's spool, `createStorage` for readers (a stream is not a file tree: it says so), `ensureStream` for
// `mdc datastore create --type nats`, `tailStream` for `mdc tail` and `eraseFromStream` for `mdc forget`.
// `@model-data-collector/nats/internal` adds the classes behind them; those may change without notice.

export type { NatsConfig } from './config.js';
export { type EraseOptions, eraseFromStream, type StreamErasure } from './erase.js';
export { createStorage } from './storage.js';
export { type EnsureStreamOptions, ensureStream, type TailOptions, tailStream } from './stream.js';
export { createUploader } from './uploader.js';
