export { assemble, PART_MARK, type Piece, partKey, partOffset, splitPartName } from './parts.js';
export { createStorage, S3Storage, type S3StorageEntry } from './storage.js';
export { createUploader, type S3Config, S3Uploader, s3Client } from './uploader.js';
