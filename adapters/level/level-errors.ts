/**
 * Turns errors from `level` (abstract-level codes such as `LEVEL_LOCKED`, `LEVEL_IO_ERROR`,
 * or plain Node errors such as ENOTDIR from creating the directory) into coded
 * TributaryErrors, keeping the original as `cause`.
 */
import { TributaryError } from '../../core/errors.ts';

function codeOf(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/** The deepest `code` along the cause chain (level wraps the real reason in `cause`). */
function rootCode(error: unknown): string | undefined {
  let found: string | undefined;
  for (let e = error, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    found = codeOf(e) ?? found;
  }
  return found;
}

/**
 * The error for a database that failed to open: `ERR_STORAGE_LOCKED` when another
 * process or instance holds it, `ERR_STORAGE_OPEN` otherwise (unwritable or invalid
 * location, corrupt database, …).
 */
export function openError(location: string, error: unknown): TributaryError {
  const root = rootCode(error);
  if (root === 'LEVEL_LOCKED') {
    return new TributaryError('ERR_STORAGE_LOCKED', `LevelDB database at ${location} is locked by another process or instance`, { cause: error, details: { location } });
  }
  return new TributaryError('ERR_STORAGE_OPEN', `cannot open LevelDB database at ${location}: ${(error as Error)?.message ?? String(error)}`, {
    cause: error,
    details: { location, code: root },
  });
}

/**
 * The error for a failed read or write: `ERR_STORAGE_CLOSED` when the database is no
 * longer open, `ERR_STORAGE_IO` otherwise. A TributaryError passes through unchanged.
 */
export function ioError(operation: string, error: unknown): TributaryError {
  if (error instanceof TributaryError) return error;
  const code = codeOf(error);
  if (code === 'LEVEL_DATABASE_NOT_OPEN' || code === 'LEVEL_DATABASE_NOT_CLOSED') {
    return new TributaryError('ERR_STORAGE_CLOSED', `${operation}: the LevelDB database is not open`, { cause: error });
  }
  return new TributaryError('ERR_STORAGE_IO', `${operation} failed: ${(error as Error)?.message ?? String(error)}`, { cause: error, details: { code: rootCode(error) } });
}
