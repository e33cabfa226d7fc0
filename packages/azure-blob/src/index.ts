export { type AzureBlobConfig, AzureBlobUploader, connectContainer, createUploader } from './uploader.js';
