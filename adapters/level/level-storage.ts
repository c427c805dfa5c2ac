/**
 * `levelStorage({ location })`: the Storage adapter on `level` (LevelDB through
 * classic-level). One database holds every partition log and the metadata store; see
 * keys.ts for the key layout and level-partition-log.ts for how a log stays consistent.
 *
 * Durability: `append(…, { sync: true })` is a LevelDB sync write (the write-ahead log is
 * fdatasync'ed before the promise resolves). `sync()` issues one sync write of a marker
 * key; because LevelDB appends every write to the same log file in order, that fsync
 * also covers every earlier non-sync write in that file. One gap remains, and it is
 * LevelDB's: when LevelDB rolls to a new log file (every `writeBufferSize` bytes) it
 * closes the old one without fsync and relies on flushing the memtable to a table file,
 * which it does fsync, shortly after. A power loss inside that window can lose non-sync
 * writes made before the roll even though a later `sync()` returned. A process crash
 * cannot (the data is in the OS page cache), and sync appends are never exposed to it.
 */
import { loadLevel } from '../runtime/load-level.ts';
import type { Logger } from '../../core/contracts/logger.ts';
import { silentLogger } from '../../core/contracts/logger.ts';
import type { GuardedStorage, PartitionLogOptions, PartitionRef } from '../../core/contracts/storage.ts';
import { TributaryError } from '../../core/errors.ts';
import { guardStorage } from '../../core/storage/guard.ts';
import { KeyKind, SYNC_MARKER_KEY, decodePartitionKey, partitionPrefix, prefixEnd } from './keys.ts';
import { VIEW, type LevelDatabase } from './level-db.ts';
import { ioError, openError } from './level-errors.ts';
import { levelMetadata } from './level-metadata.ts';
import { LevelPartitionLog, type LevelLogContext } from './level-partition-log.ts';

/** LevelDB tuning passed to classic-level when the adapter opens the database itself. */
export interface LevelTuning {
  /** Memtable / log size before a flush to a table file (default here 16 MiB; LevelDB's 4 MiB). */
  readonly writeBufferSize?: number;
  /** Block cache size (default 8 MiB). */
  readonly cacheSize?: number;
  /** Snappy-compress table blocks (default true). */
  readonly compression?: boolean;
  /** Target table file size (default here 8 MiB; LevelDB's 2 MiB). */
  readonly maxFileSize?: number;
}

/** Options of {@link levelStorage}: a directory, or a database the caller owns. */
export interface LevelStorageOptions {
  /** Directory of the LevelDB database (created when missing). */
  readonly location?: string;
  /**
   * An existing `level` database to use instead (the caller opens and closes it; it may
   * be shared, since every key this adapter writes carries one of its prefix bytes).
   */
  readonly db?: LevelDatabase;
  /** Where recovery repairs are reported. */
  readonly logger?: Logger;
  /** Make every metadata write a sync write (default true). */
  readonly metadataSync?: boolean;
  /** LevelDB tuning, used only with `location`. */
  readonly leveldb?: LevelTuning;
}

const DEFAULT_TUNING: LevelTuning = { writeBufferSize: 16 * 1024 * 1024, maxFileSize: 8 * 1024 * 1024 };

function refKey(topic: string, partition: number): string {
  return `${partition}\u0000${topic}`;
}

/** Builds the LevelDB storage adapter (`name: 'level'`, durable), guarded by the core. Call `open()` first. */
export function levelStorage(options: LevelStorageOptions = {}): GuardedStorage {
  if (options.db === undefined && (typeof options.location !== 'string' || options.location === '')) {
    throw new TributaryError('ERR_INVALID_ARGUMENT', 'levelStorage needs a `location` directory or a `db`');
  }
  const logger = options.logger ?? silentLogger;
  const location = options.location ?? '(caller database)';
  const owned = options.db === undefined;
  let db: LevelDatabase | undefined;
  let state: 'new' | 'open' | 'closed' = 'new';
  let opening: Promise<void> | undefined;
  const logs = new Map<string, Promise<LevelPartitionLog>>();
  /** Per partition: the tail of its open/delete operations, which must not interleave. */
  const lifecycle = new Map<string, Promise<unknown>>();

  /**
   * LevelDB refuses every write after one failed (its sticky background error: a full
   * disk once, and never again until the database is reopened). The adapter therefore
   * remembers a failed write and, before the next write, closes and reopens a database it
   * owns — as the filesystem adapter recovers by itself once there is room again. A
   * reopen that fails (still full) leaves the flag set, and the next write tries again.
   * Reads are not held up; one that runs during the reopen itself may fail (retriable).
   * A caller's database is the caller's to reopen.
   */
  let broken = false;
  let reopening: Promise<void> | undefined;
  const reopen = (current: LevelDatabase): Promise<void> => {
    reopening ??= (async () => {
      try {
        if (current.status === 'open') await current.close();
        await current.open();
        broken = false;
        logger.warn('level storage: reopened the database after a failed write; writes are accepted again', { location });
      } catch (error) {
        throw openError(location, error);
      } finally {
        reopening = undefined;
      }
    })();
    return reopening;
  };
  /** Runs one write: first recovers from an earlier failed write, then notes whether this one fails. */
  const writing = async <T>(current: LevelDatabase, write: () => Promise<T>): Promise<T> => {
    if (owned && (broken || reopening !== undefined)) await (reopening ?? reopen(current));
    try {
      return await write();
    } catch (error) {
      if (owned && current.status === 'open' && (error as { code?: unknown } | null)?.code !== 'LEVEL_DATABASE_NOT_OPEN') broken = true;
      throw error;
    }
  };
  /** The database as the logs and the metadata store see it: its writes go through {@link writing}. */
  let facade: LevelDatabase | undefined;
  const recovering = (current: LevelDatabase): LevelDatabase =>
    new Proxy(current, {
      get(target, key) {
        const value = Reflect.get(target, key, target) as unknown;
        if (typeof value !== 'function') return value;
        if (key === 'batch' || key === 'put' || key === 'del' || key === 'clear') {
          return (...args: unknown[]) => writing(target, () => (value as (...a: unknown[]) => Promise<unknown>).apply(target, args));
        }
        if (key === 'get' && owned) {
          return async (...args: unknown[]) => {
            // A reopen that failed left the database closed: try again before reading.
            if (broken && target.status === 'closed') await (reopening ?? reopen(target));
            return (value as (...a: unknown[]) => Promise<unknown>).apply(target, args);
          };
        }
        return (value as (...a: unknown[]) => unknown).bind(target);
      },
    });

  const database = (): LevelDatabase => {
    if (state !== 'open' || db === undefined) throw new TributaryError('ERR_STORAGE_CLOSED', `level storage at ${location} is not open`);
    return (facade ??= recovering(db));
  };

  const syncDatabase = async (): Promise<void> => {
    try {
      await database().put(SYNC_MARKER_KEY, new Uint8Array(0), { ...VIEW, sync: true });
    } catch (error) {
      throw ioError('sync', error);
    }
  };

  const context = (): LevelLogContext => ({
    db: database(),
    logger,
    syncDatabase,
    released(log) {
      logs.delete(refKey(log.topic, log.partition));
    },
  });

  const serialized = <T>(key: string, task: () => Promise<T>): Promise<T> => {
    const run = (lifecycle.get(key) ?? Promise.resolve()).then(task);
    const tail = run.catch(() => {});
    lifecycle.set(key, tail);
    void tail.then(() => {
      if (lifecycle.get(key) === tail) lifecycle.delete(key);
    });
    return run;
  };

  const doOpen = async (): Promise<void> => {
    if (owned) {
      const { Level } = await loadLevel();
      const fresh: LevelDatabase = new Level<Uint8Array, Uint8Array>(options.location!, {
        keyEncoding: 'view',
        valueEncoding: 'view',
        ...DEFAULT_TUNING,
        ...options.leveldb,
      });
      try {
        await fresh.open();
      } catch (error) {
        throw openError(location, error);
      }
      db = fresh;
      facade = undefined;
      broken = false;
    } else {
      db = options.db!;
      facade = undefined;
      if (db.status !== 'open') {
        try {
          await db.open();
        } catch (error) {
          throw openError(location, error);
        }
      }
    }
    state = 'open';
  };

  return guardStorage({
    name: 'level',
    supports: Object.freeze({ durable: true, segmented: false }),
    metadata: levelMetadata(database, options.metadataSync ?? true),

    open() {
      if (state === 'open') return Promise.resolve();
      if (state === 'closed' && !owned) return Promise.reject(new TributaryError('ERR_STORAGE_CLOSED', 'level storage over a caller database cannot reopen after close'));
      opening ??= doOpen().finally(() => {
        opening = undefined;
      });
      return opening;
    },

    openPartition(topic: string, partition: number, partitionOptions?: PartitionLogOptions) {
      let ctx: LevelLogContext;
      try {
        partitionPrefix(KeyKind.data, topic, partition); // validates the name and number
        ctx = context();
      } catch (error) {
        return Promise.reject(error);
      }
      const key = refKey(topic, partition);
      const existing = logs.get(key);
      if (existing) return existing;
      const opened = serialized(key, () => LevelPartitionLog.open(ctx, topic, partition, partitionOptions));
      logs.set(key, opened);
      opened.catch(() => {
        if (logs.get(key) === opened) logs.delete(key);
      });
      return opened;
    },

    async listPartitions(): Promise<PartitionRef[]> {
      let keys: Uint8Array[];
      try {
        keys = await database().keys({ ...VIEW, gte: Uint8Array.of(KeyKind.partition), lt: Uint8Array.of(KeyKind.partition + 1) }).all();
      } catch (error) {
        throw ioError('list partitions', error);
      }
      return keys.map(decodePartitionKey).sort((a, b) => (a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : a.partition - b.partition));
    },

    deletePartition(topic: string, partition: number) {
      let current: LevelDatabase;
      try {
        partitionPrefix(KeyKind.data, topic, partition);
        current = database();
      } catch (error) {
        return Promise.reject(error);
      }
      const key = refKey(topic, partition);
      const open = logs.get(key);
      return serialized(key, async () => {
        if (open) await (await open.catch(() => undefined))?.release(false);
        try {
          // The registry entry goes first (synced): from then on the partition does not
          // exist, and a crash during the range deletes leaves keys that the next
          // creation of this partition clears before its first write.
          await current.del(partitionPrefix(KeyKind.partition, topic, partition), { ...VIEW, sync: true });
          const data = partitionPrefix(KeyKind.data, topic, partition);
          const index = partitionPrefix(KeyKind.index, topic, partition);
          await current.clear({ ...VIEW, gte: data, lt: prefixEnd(data) });
          await current.clear({ ...VIEW, gte: index, lt: prefixEnd(index) });
        } catch (error) {
          throw ioError(`delete partition ${topic}-${partition}`, error);
        }
      });
    },

    async close() {
      if (opening) await opening.catch(() => {});
      if (state !== 'open') {
        state = state === 'new' ? 'new' : 'closed';
        return;
      }
      const pending = [...logs.values()];
      for (const log of pending) await (await log.catch(() => undefined))?.release(false);
      await Promise.allSettled([...lifecycle.values()]);
      try {
        await syncDatabase();
      } finally {
        state = 'closed';
        if (owned) {
          const closing = db!;
          db = undefined;
          try {
            await closing.close();
          } catch (error) {
            throw ioError('close', error);
          }
        }
      }
    },
  });
}
