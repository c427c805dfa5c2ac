/**
 * Persistence of leader-epoch caches: one metadata-store entry per partition,
 * `leader-epochs/<topic id>:<partition>` (JSON entries), written whenever the cache
 * changes (Kafka's leader-epoch-checkpoint file). The log stays the truth: a cache that
 * is missing, unreadable or behind the log's last batch is rebuilt from the batch
 * headers (partitionLeaderEpoch, baseOffset); one that names offsets the log no longer
 * has (a crash lost the unsynced tail, retention moved the start) is cut to the log.
 */
import type { MetadataStore, PartitionLog } from '../../contracts/storage.ts';
import { batchSizeAt, readBatchHeader } from '../../records/batch-header.ts';
import { type EpochEntry, LeaderEpochCache } from './leader-epoch-cache.ts';

const PREFIX = 'leader-epochs/';
const SCAN_CHUNK_BYTES = 1 << 20;
const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** The metadata-store key of a partition's epoch cache. */
export function leaderEpochKey(topicId: string, partition: number): string {
  return `${PREFIX}${topicId}:${partition}`;
}

/** Writes the cache under `key`. */
export function saveLeaderEpochs(store: MetadataStore, key: string, cache: LeaderEpochCache): Promise<void> {
  return store.put(key, encoder.encode(JSON.stringify(cache.toJSON())));
}

/** Deletes a partition's stored cache (the partition is deleted). */
export function deleteLeaderEpochs(store: MetadataStore, key: string): Promise<void> {
  return store.delete(key);
}

function parse(bytes: Uint8Array | undefined): EpochEntry[] | undefined {
  if (!bytes) return undefined;
  try {
    const value = JSON.parse(decoder.decode(bytes)) as unknown;
    if (!Array.isArray(value)) return undefined;
    const entries: EpochEntry[] = [];
    for (const e of value as Array<Partial<EpochEntry>>) {
      if (!Number.isInteger(e?.epoch) || !Number.isSafeInteger(e?.startOffset) || e.epoch! < 0 || e.startOffset! < 0) return undefined;
      entries.push({ epoch: e.epoch!, startOffset: e.startOffset! });
    }
    return entries;
  } catch {
    return undefined;
  }
}

/** Visits every batch header of the log from `from` (offset order). */
async function scanHeaders(log: PartitionLog, from: number, visit: (epoch: number, baseOffset: number) => void): Promise<void> {
  const end = log.endOffset();
  let offset = Math.max(from, log.startOffset());
  while (offset < end) {
    const read = await log.read(offset, SCAN_CHUNK_BYTES, { minOneBatch: true });
    if (read.bytes === 0) break;
    let next = offset;
    for (const chunk of read.chunks) {
      for (let pos = 0; pos + 61 <= chunk.length; ) {
        const size = batchSizeAt(chunk, pos);
        if (size < 0 || pos + size > chunk.length) break;
        const h = readBatchHeader(chunk, pos);
        pos += size;
        const last = h.baseOffset + h.lastOffsetDelta;
        if (last < offset) continue;
        if (h.partitionLeaderEpoch >= 0) visit(h.partitionLeaderEpoch, h.baseOffset);
        next = Math.max(next, last + 1);
      }
    }
    if (next <= offset) break;
    offset = next;
  }
}

/** The cache rebuilt from the log's batch headers alone. */
export async function rebuildLeaderEpochs(log: PartitionLog): Promise<LeaderEpochCache> {
  const cache = new LeaderEpochCache();
  await scanHeaders(log, log.startOffset(), (epoch, baseOffset) => {
    const latest = cache.latestEpoch;
    if (latest === undefined || epoch > latest) cache.assign(epoch, baseOffset);
  });
  return cache;
}

/** The epoch of the log's last batch, or undefined when the log is empty. */
async function lastBatchEpoch(log: PartitionLog): Promise<number | undefined> {
  const end = log.endOffset();
  if (end <= log.startOffset()) return undefined;
  let epoch: number | undefined;
  await scanHeaders(log, end - 1, (e) => (epoch = e));
  return epoch;
}

/**
 * Loads a partition's cache: the stored one cut to the log, or one rebuilt from the log
 * when none is stored or the stored one is behind the log's last batch. `rebuilt` tells
 * the caller to save it.
 */
export async function loadLeaderEpochs(log: PartitionLog, store: MetadataStore, key: string): Promise<{ cache: LeaderEpochCache; rebuilt: boolean; changed: boolean }> {
  const stored = parse(await store.get(key));
  if (stored) {
    const cache = new LeaderEpochCache(stored);
    let changed = cache.truncateFromEnd(log.endOffset());
    const last = await lastBatchEpoch(log);
    const latest = cache.latestEpoch;
    // Behind the log's last batch (a crash between an append and the save): rebuild.
    if (last === undefined || (latest !== undefined && last <= latest)) {
      changed = cache.truncateFromStart(log.startOffset()) || changed;
      return { cache, rebuilt: false, changed };
    }
  }
  const cache = await rebuildLeaderEpochs(log);
  return { cache, rebuilt: true, changed: cache.entries.length > 0 || stored !== undefined };
}
