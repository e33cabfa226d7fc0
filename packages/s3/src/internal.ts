// What the other mdc packages share, on top of the public API (index.ts). Not for users: it may change.

export * from './index.js';
export { assemble, PART_MARK, type Piece, partKey, partOffset, splitPartName } from './parts.js';
export { S3Storage, type S3StorageEntry } from './storage.js';
export { S3Uploader, s3Client } from './uploader.js';
