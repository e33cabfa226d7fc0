// What the other mdc packages share, on top of the public API (index.ts). Not for users: it may change.

export { collectionFilter, subjectOf, subjectToken } from './config.js';
export { eventIdOf } from './event-id.js';
export * from './index.js';
export { NatsStorage } from './storage.js';
export { checkStream, NatsUploader, requiredDuplicateWindowMs } from './uploader.js';
