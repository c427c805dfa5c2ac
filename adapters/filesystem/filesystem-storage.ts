/**
 * `filesystemStorage`: the durable storage adapter, laid out the Kafka way — a
 * directory per partition (`<dir>/<topic>-<partition>/`) of segment files with sparse
 * offset and time indexes, and one atomically replaced metadata file. See README.md.
 * The open state, argument checks, offset order, read range and the serialization of
 * each log's mutations are the core's guard's (core/storage/guard.ts).
 */
import { readFileSync } from 'node:fs';
import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { GuardedStorage, PartitionLog, PartitionLogOptions, PartitionRef } from '../../core/contracts/storage.ts';
import { silentLogger, type Logger } from '../../core/contracts/logger.ts';
import { TributaryError, kafkaError } from '../../core/errors.ts';
import { guardStorage } from '../../core/storage/guard.ts';
import { FilesystemPartitionLog } from './partition-log.ts';
import { MetadataFile } from './metadata-file.ts';
import { makeDirectory, syncDirectory } from './file-io.ts';
import { storageError } from './fs-errors.ts';
import { lockDirectory, type DirectoryLock } from './dir-lock.ts';

/** Options of {@link filesystemStorage}. */
export interface FilesystemStorageOptions {
  /** Root directory (created when missing). */
  readonly dir: string;
  /** Where recovery and errors are reported (default: silent). */
  readonly logger?: Logger;
  /** Default segment size before rolling (Kafka's segment.bytes; default 1 GiB, at most 2 GiB - 1). */
  readonly segmentBytes?: number;
  /** Default segment age before rolling (Kafka's segment.ms; default 7 days). */
  readonly segmentMs?: number;
  /** Bytes of data between two sparse index entries (Kafka's index.interval.bytes; default 4096). */
  readonly indexIntervalBytes?: number;
  /**
   * Budget of file handles the partition logs may hold open (default 1024, or half the
   * process's open-file limit when that is lower, so sockets keep the rest). A working log
   * holds three (its active segment's data and two indexes); when the open logs hold more
   * than the budget, the least recently used idle ones are parked — their files closed,
   * their state kept in memory — and reopen on their next use. So any number of
   * partitions opens and restarts within the process's file limit. At most a few logs
   * open (recover) at once. The budget is soft: logs in use are never parked.
   */
  readonly maxOpenFiles?: number;
}

/** Default budget of open file handles for partition logs (see {@link FilesystemStorageOptions.maxOpenFiles}). */
export const DEFAULT_MAX_OPEN_FILES = 1024;
/** Handles a working partition log holds: the active segment's data, offset index and time index. */
export const HANDLES_PER_LOG = 3;

const GIB = 1024 * 1024 * 1024;
const DEFAULT_SEGMENT_BYTES = GIB;
const DEFAULT_SEGMENT_MS = 7 * 24 * 60 * 60 * 1000;
const DEFAULT_INDEX_INTERVAL = 4096;
/** Kafka's legal topic characters; anything else could escape the data directory. */
const TOPIC_PATTERN = /^[A-Za-z0-9._-]{1,249}$/;
/** Name of the metadata file in the root directory (no `-<n>` suffix: never a partition). */
export const METADATA_FILE = 'metadata.bin';

/** Creates the filesystem storage adapter (name `filesystem`, durable, segmented), guarded by the core. */
export function filesystemStorage(options: FilesystemStorageOptions): GuardedStorage {
  if (!options || typeof options.dir !== 'string' || options.dir === '') {
    throw new TributaryError('ERR_INVALID_ARGUMENT', 'filesystemStorage needs a `dir`');
  }
  const dir = options.dir;
  const logger = options.logger ?? silentLogger;
  const defaults = {
    segmentBytes: positive(options.segmentBytes, DEFAULT_SEGMENT_BYTES, 'segmentBytes'),
    segmentMs: positive(options.segmentMs, DEFAULT_SEGMENT_MS, 'segmentMs'),
    indexIntervalBytes: positive(options.indexIntervalBytes, DEFAULT_INDEX_INTERVAL, 'indexIntervalBytes'),
  };
  const maxOpenFiles = Math.floor(positive(options.maxOpenFiles, defaultMaxOpenFiles(), 'maxOpenFiles'));
  const budget = new HandleBudget(maxOpenFiles, logger);
  // Opening a log recovers it with its files open: only a few at once, whatever the caller asks.
  const opening = new Semaphore(Math.max(1, Math.min(8, Math.floor(maxOpenFiles / (2 * HANDLES_PER_LOG)))));
  const metadata = new MetadataFile(join(dir, METADATA_FILE));
  // Promises, so that two concurrent openPartition calls share one log and one recovery.
  const logs = new Map<string, Promise<FilesystemPartitionLog>>();
  let opened = false;
  let lock: DirectoryLock | undefined;
  let starting: Promise<void> | undefined;

  const partitionDir = (topic: string, partition: number) => {
    if (typeof topic !== 'string' || !TOPIC_PATTERN.test(topic) || topic === '.' || topic === '..') {
      throw kafkaError(17, `topic name ${JSON.stringify(topic)} is not valid (letters, digits, '.', '_', '-'; at most 249)`);
    }
    return join(dir, `${topic}-${partition}`);
  };

  return guardStorage({
    name: 'filesystem',
    supports: { durable: true, segmented: true },
    metadata,

    open() {
      // Shared, so that two concurrent open() calls do not race each other for the lock.
      starting ??= (async () => {
        try {
          await makeDirectory(dir);
        } catch (error) {
          throw storageError(error, 'create', dir);
        }
        const held = await lockDirectory(dir);
        try {
          await metadata.load();
        } catch (error) {
          await held.release().catch(() => undefined);
          throw error;
        }
        lock = held;
        opened = true;
      })().catch((error: unknown) => {
        starting = undefined;
        throw error;
      });
      return starting;
    },

    async openPartition(topic: string, partition: number, partitionOptions?: PartitionLogOptions): Promise<PartitionLog> {
      const path = partitionDir(topic, partition);
      const key = `${topic}-${partition}`;
      let log = logs.get(key);
      if (log === undefined) {
        const config = {
          dir: path,
          topic,
          partition,
          segmentBytes: positive(partitionOptions?.segmentBytes, defaults.segmentBytes, 'segmentBytes'),
          segmentMs: positive(partitionOptions?.segmentMs, defaults.segmentMs, 'segmentMs'),
          indexIntervalBytes: defaults.indexIntervalBytes,
          logger,
          onClose: () => {
            logs.delete(key);
            budget.forget(key);
          },
          onUse: (used: FilesystemPartitionLog) => budget.use(key, used),
        };
        log = opening.run(async () => {
          const opened = await FilesystemPartitionLog.open(config);
          budget.use(key, opened);
          return opened;
        });
        logs.set(key, log);
        log.catch(() => logs.delete(key));
      }
      return log;
    },

    async listPartitions(): Promise<PartitionRef[]> {
      let entries;
      try {
        entries = await readdir(dir, { withFileTypes: true });
      } catch (error) {
        throw storageError(error, 'list', dir);
      }
      const out: PartitionRef[] = [];
      for (const entry of entries) {
        const m = /^(.+)-(\d+)$/.exec(entry.name);
        if (entry.isDirectory() && m && TOPIC_PATTERN.test(m[1]!)) out.push({ topic: m[1]!, partition: Number(m[2]) });
      }
      return out.sort((a, b) => (a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : a.partition - b.partition));
    },

    async deletePartition(topic: string, partition: number) {
      const path = partitionDir(topic, partition);
      const key = `${topic}-${partition}`;
      const log = logs.get(key);
      logs.delete(key);
      budget.forget(key);
      if (log) await (await log.catch(() => undefined))?.abandon();
      try {
        await rm(path, { recursive: true, force: true });
        await syncDirectory(dir);
      } catch (error) {
        throw storageError(error, 'delete', path);
      }
    },

    async close() {
      if (starting) await starting.catch(() => undefined);
      if (!opened) return;
      opened = false;
      starting = undefined;
      const open = [...logs.values()];
      logs.clear();
      let failure: unknown;
      for (const log of open) {
        try {
          await (await log).close();
        } catch (error) {
          failure ??= error;
        }
      }
      try {
        await metadata.close();
      } catch (error) {
        failure ??= error;
      }
      // Released last, and even after a failure: the logs are closed either way, and a
      // lock left behind would only make the next open report a stale lock.
      await lock?.release().catch((error: unknown) => {
        failure ??= error;
      });
      lock = undefined;
      if (failure !== undefined) throw failure;
    },
  });
}

function positive(value: number | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !(value > 0) || !Number.isFinite(value)) {
    throw new TributaryError('ERR_INVALID_ARGUMENT', `${name} must be a positive number, got ${value}`);
  }
  return value;
}

/**
 * The open partition logs in least-recently-used order and the handles they hold. After
 * each use, while the logs hold more handles than the budget, the least recently used
 * idle log is parked (its files closed). Parking is asynchronous; a log in use is skipped.
 */
class HandleBudget {
  readonly #max: number;
  readonly #logger: Logger;
  /** Logs that may hold handles, least recently used first (a Map keeps insertion order). */
  readonly #open = new Map<string, FilesystemPartitionLog>();

  constructor(max: number, logger: Logger) {
    this.#max = max;
    this.#logger = logger;
  }

  use(key: string, log: FilesystemPartitionLog): void {
    const open = this.#open;
    if (open.get(key) === log) {
      // Already the most recent: nothing to do (the common case of one busy partition).
      if (open.size === 1) return;
      open.delete(key);
    }
    open.set(key, log);
    // Counted as HANDLES_PER_LOG a working log (O(1) on the hot path); the exact count
    // (older segments a log read add one each) only once that estimate is over the budget.
    if (open.size * HANDLES_PER_LOG <= this.#max) return;
    let held = 0;
    for (const l of open.values()) held += l.openHandles;
    for (const [k, l] of open) {
      if (held <= this.#max) break;
      if (l === log) continue;
      const handles = l.openHandles;
      if (l.isParked) {
        open.delete(k);
        continue;
      }
      void l.park().then((parked) => {
        if (parked && this.#open.get(k) === l && l.isParked) this.#open.delete(k);
      });
      held -= handles;
    }
    if (held > this.#max) this.#logger.debug('more files open than the budget: every log is in use', { held, budget: this.#max });
  }

  forget(key: string): void {
    this.#open.delete(key);
  }
}

/** At most `limit` tasks at once; the others wait in order. */
class Semaphore {
  readonly #limit: number;
  #running = 0;
  readonly #waiting: Array<() => void> = [];

  constructor(limit: number) {
    this.#limit = limit;
  }

  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.#running >= this.#limit) await new Promise<void>((resolve) => this.#waiting.push(resolve));
    else this.#running++;
    try {
      return await task();
    } finally {
      const next = this.#waiting.shift();
      if (next) next();
      else this.#running--;
    }
  }
}

/**
 * {@link DEFAULT_MAX_OPEN_FILES}, or half the process's soft limit on open files when that
 * is lower (read from /proc/self/limits where there is one; elsewhere the constant).
 */
export function defaultMaxOpenFiles(): number {
  let limit = Infinity;
  try {
    const m = /^Max open files\s+(\d+)/m.exec(readFileSync('/proc/self/limits', 'utf8'));
    if (m) limit = Number(m[1]);
  } catch {
    // No procfs (macOS, Windows): keep the constant.
  }
  return Math.max(HANDLES_PER_LOG, Math.min(DEFAULT_MAX_OPEN_FILES, Math.floor(limit / 2)));
}
