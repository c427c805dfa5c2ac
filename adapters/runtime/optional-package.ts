/**
 * Loading the heavy packages some plugins need (level, avsc) only when a plugin is used,
 * so that the package's default entry works without them installed. They are optional
 * peer dependencies; a missing one is `ERR_MISSING_PACKAGE`, naming what to install.
 */
import { createRequire } from 'node:module';
import { TributaryError } from '../../core/errors.ts';

/** How Node, Deno and Bun word "this specifier does not resolve". */
const NOT_FOUND_CODES = new Set(['ERR_MODULE_NOT_FOUND', 'MODULE_NOT_FOUND']);
const NOT_FOUND_MESSAGE = /cannot find (?:module|package)|could not (?:find|resolve)|not found|relative import path/i;

/** True when `error` says a module could not be resolved (as opposed to failing while it ran). */
export function isModuleNotFound(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' && NOT_FOUND_CODES.has(code)) return true;
  return code === undefined && NOT_FOUND_MESSAGE.test(String((error as { message?: unknown }).message));
}

/** The error for a plugin whose package is not installed. */
export function missingPackageError(pkg: string, feature: string, cause?: unknown): TributaryError {
  return new TributaryError('ERR_MISSING_PACKAGE', `${feature} needs the "${pkg}" package, which is not installed (npm install ${pkg})`, {
    cause,
    details: { package: pkg },
  });
}

/**
 * Runs `load` (an `import('pkg')` written out literally, so that bundlers and Deno's
 * import map see it) and turns "not found" into `ERR_MISSING_PACKAGE`.
 */
export async function importOptional<T>(pkg: string, feature: string, load: () => Promise<T>): Promise<T> {
  try {
    return await load();
  } catch (error) {
    throw isModuleNotFound(error) ? missingPackageError(pkg, feature, error) : error;
  }
}

const requireHere = createRequire(import.meta.url);
const required = new Map<string, unknown>();

/**
 * Loads a CommonJS package synchronously, for plugins whose factory is synchronous
 * (a serializer is created, then used at once). Resolved from this package's location,
 * as a static import would be.
 */
export function requireOptional<T>(pkg: string, feature: string): T {
  if (required.has(pkg)) return required.get(pkg) as T;
  let loaded: T;
  try {
    loaded = requireHere(pkg) as T;
  } catch (error) {
    throw isModuleNotFound(error) ? missingPackageError(pkg, feature, error) : error;
  }
  required.set(pkg, loaded);
  return loaded;
}
