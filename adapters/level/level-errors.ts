/**
 * Turns errors from `level` (abstract-level codes such as `LEVEL_LOCKED`, `LEVEL_IO_ERROR`,
 * or plain Node errors such as ENOTDIR from creating the directory) into coded
 * TributaryErrors, keeping the original as `cause`. The codes match the filesystem
 * adapter's: `ERR_STORAGE_FULL` and `ERR_STORAGE_READ_ONLY` (Kafka 56) for a full or
 * read-only disk, `KAFKA_STORAGE_ERROR` (56) for other I/O failures.
 */
import { TributaryError } from '../../core/errors.ts';

/** Kafka's KAFKA_STORAGE_ERROR. */
const KAFKA_STORAGE_ERROR = 56;

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

/** The whole cause chain's messages (LevelDB reports errno only as text: "IO error: …: No space left on device"). */
function messages(error: unknown): string {
  let text = '';
  for (let e = error, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    text += ` ${(e as { message?: unknown }).message ?? ''} ${codeOf(e) ?? ''}`;
  }
  return text;
}

/** `ERR_STORAGE_FULL` / `ERR_STORAGE_READ_ONLY` when the error says so, else undefined. */
function diskError(operation: string, error: unknown): TributaryError | undefined {
  const text = messages(error);
  if (/No space left on device|ENOSPC|EDQUOT|quota exceeded/i.test(text)) {
    return new TributaryError('ERR_STORAGE_FULL', `${operation}: no space left on the device`, { cause: error, kafkaCode: KAFKA_STORAGE_ERROR, retriable: true });
  }
  if (/Read-only file system|EROFS|Permission denied|EACCES|EPERM/i.test(text)) {
    return new TributaryError('ERR_STORAGE_READ_ONLY', `${operation}: storage is read-only or not permitted`, { cause: error, kafkaCode: KAFKA_STORAGE_ERROR, retriable: false });
  }
  return undefined;
}

/**
 * The error for a database that failed to open: `ERR_STORAGE_LOCKED` when another
 * process or instance holds it, `ERR_STORAGE_FULL` / `ERR_STORAGE_READ_ONLY` for a full
 * or read-only disk, `ERR_STORAGE_OPEN` otherwise (invalid location, corrupt database, …).
 */
export function openError(location: string, error: unknown): TributaryError {
  const root = rootCode(error);
  if (root === 'LEVEL_LOCKED') {
    return new TributaryError('ERR_STORAGE_LOCKED', `LevelDB database at ${location} is locked by another process or instance`, { cause: error, details: { location } });
  }
  const disk = diskError(`open LevelDB database at ${location}`, error);
  if (disk) return disk;
  return new TributaryError('ERR_STORAGE_OPEN', `cannot open LevelDB database at ${location}: ${(error as Error)?.message ?? String(error)}`, {
    cause: error,
    details: { location, code: root },
  });
}

/**
 * The error for a failed read or write: `ERR_STORAGE_CLOSED` when the database is no
 * longer open, `ERR_STORAGE_FULL` / `ERR_STORAGE_READ_ONLY` for a full or read-only disk,
 * `KAFKA_STORAGE_ERROR` otherwise. A TributaryError passes through unchanged. LevelDB
 * keeps refusing writes after a failed one until the database is reopened, which the
 * adapter does by itself before the next write (see level-storage.ts).
 */
export function ioError(operation: string, error: unknown): TributaryError {
  if (error instanceof TributaryError) return error;
  const code = codeOf(error);
  if (code === 'LEVEL_DATABASE_NOT_OPEN' || code === 'LEVEL_DATABASE_NOT_CLOSED') {
    return new TributaryError('ERR_STORAGE_CLOSED', `${operation}: the LevelDB database is not open`, { cause: error });
  }
  const disk = diskError(operation, error);
  if (disk) return disk;
  return new TributaryError('KAFKA_STORAGE_ERROR', `${operation} failed: ${(error as Error)?.message ?? String(error)}`, {
    cause: error,
    kafkaCode: KAFKA_STORAGE_ERROR,
    retriable: true,
    details: { code: rootCode(error) },
  });
}
