/**
 * Small helpers over node:fs/promises file handles: positional reads and writes that
 * loop until done, directory fsync, and whole-file reads that tolerate a missing file.
 */
import { mkdir, open, readFile, type FileHandle } from 'node:fs/promises';
import { errnoOf } from './fs-errors.ts';

/**
 * Reads up to `length` bytes at `position` into a fresh buffer (not from Node's shared
 * pool, so the returned view owns its memory); shorter at end of file.
 */
export async function readAt(handle: FileHandle, position: number, length: number): Promise<Uint8Array> {
  const buffer = Buffer.allocUnsafeSlow(length);
  let filled = 0;
  while (filled < length) {
    const { bytesRead } = await handle.read(buffer, filled, length - filled, position + filled);
    if (bytesRead === 0) break;
    filled += bytesRead;
  }
  return new Uint8Array(buffer.buffer, buffer.byteOffset, filled);
}

/** Writes all of `bytes` at `position`. */
export async function writeAt(handle: FileHandle, bytes: Uint8Array, position: number): Promise<void> {
  let written = 0;
  while (written < bytes.length) {
    const { bytesWritten } = await handle.write(bytes, written, bytes.length - written, position + written);
    written += bytesWritten;
  }
}

/** Makes a directory's entries (created, renamed, deleted files) durable. */
export async function syncDirectory(path: string): Promise<void> {
  const handle = await open(path, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** A whole file, or undefined when it does not exist. */
export async function readFileIfExists(path: string): Promise<Uint8Array | undefined> {
  try {
    return new Uint8Array(await readFile(path));
  } catch (error) {
    if (errnoOf(error) === 'ENOENT') return undefined;
    throw error;
  }
}

/**
 * Creates a directory (and missing parents); true when it did not exist. Tries the
 * plain mkdir first because Node's recursive mkdir reports ENOENT instead of EROFS on
 * a read-only filesystem, which would hide the real cause.
 */
export async function makeDirectory(path: string): Promise<boolean> {
  try {
    await mkdir(path);
    return true;
  } catch (error) {
    const errno = errnoOf(error);
    if (errno === 'EEXIST') return false;
    if (errno !== 'ENOENT') throw error;
  }
  return (await mkdir(path, { recursive: true })) !== undefined;
}
