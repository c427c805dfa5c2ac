/** The in-memory storage adapter. */
export { memoryStorage, type MemoryStorageOptions } from './memory-storage.ts';
export type { CopyOnAppend } from './memory-partition-log.ts';
