/**
 * The `level` package, loaded when a level storage opens its own database rather than
 * when the adapter is imported: the default registry names the adapter, and the default
 * entry must run without level (an optional peer dependency) installed.
 */
import type * as LevelModule from 'level';
import { importOptional } from './optional-package.ts';

/** Imports `level`; `ERR_MISSING_PACKAGE` when it is not installed. */
export function loadLevel(): Promise<typeof LevelModule> {
  return importOptional('level', 'The level storage adapter', () => import('level'));
}
