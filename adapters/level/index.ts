/** The LevelDB storage adapter: `levelStorage({ location })`. */
export { levelStorage, type LevelStorageOptions, type LevelTuning } from './level-storage.ts';
export type { LevelDatabase } from './level-db.ts';
