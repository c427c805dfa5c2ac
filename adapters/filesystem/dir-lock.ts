/**
 * An exclusive lock on a data directory, so that two brokers (or two storages in one
 * process) never write the same segments: each would truncate the other's "torn" tail
 * on open and both would append at the same positions. Kafka takes an OS lock on a
 * `.lock` file; Node has no flock, so the lock is a `.lock` file created exclusively
 * and holding the owner's pid and host name. A lock of this host whose pid no longer
 * runs is stale (the owner was killed) and is taken over. A lock of another host (a
 * second container on a shared volume, say) cannot be checked and counts as held.
 */
import { link, readFile, rename, unlink, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import process from 'node:process';
import { TributaryError } from '../../core/errors.ts';
import { errnoOf, storageError } from './fs-errors.ts';

/** Name of the lock file in the data directory. */
export const LOCK_FILE = '.lock';

/** Written into the lock beside the pid: a pid means nothing on another host. */
const HOST = hostname();

/** Lock paths held by this process: a pid check cannot tell two instances of one process apart. */
const heldHere = new Set<string>();

/** A held directory lock. */
export interface DirectoryLock {
  /** Removes the lock file; safe to call twice. */
  release(): Promise<void>;
}

/**
 * Takes the lock of `dir` (which must exist). `ERR_STORAGE_LOCKED` when a running
 * process, or another storage in this process, holds it.
 */
export async function lockDirectory(dir: string): Promise<DirectoryLock> {
  const path = join(dir, LOCK_FILE);
  if (heldHere.has(path)) throw lockedError(path, process.pid);
  // Reserve before the first await so that two concurrent opens in one process cannot both pass.
  heldHere.add(path);
  try {
    await acquire(path);
  } catch (error) {
    heldHere.delete(path);
    // Nobody can write to a read-only filesystem, so there is nothing to exclude:
    // opening it to read what is stored stays possible (writes fail with their own code).
    if (error instanceof TributaryError && errnoOf(error.cause) === 'EROFS') return { release: async () => {} };
    throw error;
  }
  let held = true;
  return {
    async release() {
      if (!held) return;
      held = false;
      heldHere.delete(path);
      try {
        await unlink(path);
      } catch (error) {
        // Already gone (someone removed it by hand) is fine; anything else must be heard.
        if (errnoOf(error) !== 'ENOENT') throw storageError(error, 'remove the lock file', path);
      }
    },
  };
}

async function acquire(path: string): Promise<void> {
  // The pid goes into a private file that is then hard-linked to `.lock`: link() fails
  // if `.lock` exists, so the lock appears atomically *with* its content and nobody ever
  // reads an empty lock file and mistakes it for a stale one.
  const mine = `${path}.${process.pid}.tmp`;
  try {
    await writeFile(mine, `${process.pid} ${HOST}\n`);
  } catch (error) {
    throw storageError(error, 'create the lock file', mine);
  }
  try {
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        await link(mine, path);
        return;
      } catch (error) {
        if (errnoOf(error) !== 'EEXIST') throw storageError(error, 'create the lock file', path);
      }
      const owner = await readOwner(path);
      if (owner === undefined) continue; // removed meanwhile: try again
      if (owner.host !== undefined && owner.host !== HOST) throw lockedError(path, owner);
      // Our own pid, but no instance here holds it: left by an earlier process that had
      // the same pid (a container's pid 1 after a restart).
      if (owner.pid !== process.pid && isRunning(owner.pid)) throw lockedError(path, owner);
      await breakStaleLock(path, owner);
    }
    throw lockedError(path, await readOwner(path));
  } finally {
    await unlink(mine).catch(() => undefined);
  }
}

/**
 * Removes a stale lock, but only if it is still the one we judged stale: it is moved
 * aside first (atomic), and put back when another process took it over meanwhile.
 */
async function breakStaleLock(path: string, stale: LockOwner): Promise<void> {
  const aside = `${path}.${process.pid}.stale`;
  try {
    await rename(path, aside);
  } catch (error) {
    if (errnoOf(error) === 'ENOENT') return;
    throw storageError(error, 'remove a stale lock file', path);
  }
  const moved = await readOwner(aside);
  if (moved?.text !== stale.text) {
    await link(aside, path).catch(() => undefined);
    await unlink(aside).catch(() => undefined);
    throw lockedError(path, moved);
  }
  await unlink(aside).catch(() => undefined);
}

/** What a lock file says: pid (NaN when unreadable: a damaged lock is stale) and host (absent in old files). */
interface LockOwner {
  readonly pid: number;
  readonly host: string | undefined;
  readonly text: string;
}

/** The owner named in a lock file; undefined when the file is gone. */
async function readOwner(path: string): Promise<LockOwner | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if (errnoOf(error) === 'ENOENT') return undefined;
    throw storageError(error, 'read the lock file', path);
  }
  const m = /^\s*(\d+)(?:[ \t]+(\S+))?\s*$/.exec(text);
  return { pid: m ? Number(m[1]) : Number.NaN, host: m?.[2], text };
}

/** Signal 0 checks that a process exists without touching it; EPERM means it exists under another user. */
function isRunning(pid: number): boolean {
  if (!Number.isSafeInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return errnoOf(error) === 'EPERM';
  }
}

function lockedError(path: string, owner: LockOwner | number | undefined): TributaryError {
  const pid = typeof owner === 'number' ? owner : owner?.pid;
  const host = typeof owner === 'object' && owner.host !== undefined && owner.host !== HOST ? ` on host ${owner.host}` : '';
  const who = pid === process.pid && host === '' ? 'another storage in this process' : `process ${pid ?? 'unknown'}${host}`;
  return new TributaryError(
    'ERR_STORAGE_LOCKED',
    `Data directory is locked by ${who} (${path}); close it first, or remove the file if no such broker runs`,
    { details: { path, pid, host: typeof owner === 'object' ? owner.host : HOST } },
  );
}
