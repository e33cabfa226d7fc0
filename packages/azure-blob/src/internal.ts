// What the other mdc packages share, on top of the public API (index.ts). Not for users: it may change.

export * from './index.js';
export { AzureBlobStorage, type AzureBlobStorageEntry } from './storage.js';
export { AzureBlobUploader, connectContainer } from './uploader.js';
