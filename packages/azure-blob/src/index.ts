export { AzureBlobStorage, type AzureBlobStorageEntry, createStorage } from './storage.js';
export { type AzureBlobConfig, AzureBlobUploader, connectContainer, createUploader } from './uploader.js';
