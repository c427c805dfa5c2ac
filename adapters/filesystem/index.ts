/** The filesystem storage adapter. */
export { filesystemStorage, type FilesystemStorageOptions } from './filesystem-storage.ts';
