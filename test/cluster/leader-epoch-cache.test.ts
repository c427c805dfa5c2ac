/**
 * The leader-epoch cache (partition/leader-epoch-cache.ts) and its persistence
 * (leader-epoch-store.ts), in the spirit of Kafka's LeaderEpochFileCacheTest: assignment,
 * end offsets per epoch, truncation from either end, and the cache rebuilt from batch
 * headers when the stored one is missing or behind the log.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { memoryStorage } from '../../adapters/memory/index.ts';
import { LeaderEpochCache } from '../../core/broker/partition/leader-epoch-cache.ts';
import { leaderEpochKey, loadLeaderEpochs, saveLeaderEpochs } from '../../core/broker/partition/leader-epoch-store.ts';
import { Partition } from '../../core/broker/partition/partition.ts';
import { checkBatches } from '../../core/broker/partition/produce-validation.ts';
import type { Storage } from '../../core/contracts/storage.ts';
import { batchOf } from '../broker/helpers.ts';

const entries = (c: LeaderEpochCache) => c.entries.map((e) => [e.epoch, e.startOffset]);

describe('leader-epoch cache', () => {
  it('answers the log end for the latest epoch, and undefined for an undefined epoch', () => {
    const c = new LeaderEpochCache();
    c.assign(2, 10);
    expect(c.endOffsetFor(2, 11)).toEqual({ epoch: 2, endOffset: 11 });
    expect(c.endOffsetFor(-1, 11)).toEqual({ epoch: -1, endOffset: -1 });
    expect(c.latestEpoch).toBe(2);
  });

  it('answers an empty cache with undefined for any epoch', () => {
    const c = new LeaderEpochCache();
    expect(c.endOffsetFor(0, 0)).toEqual({ epoch: -1, endOffset: -1 });
    expect(c.latestEpoch).toBeUndefined();
  });

  it('keeps the first start offset of an epoch, unless an earlier one comes', () => {
    const c = new LeaderEpochCache();
    expect(c.assign(2, 6)).toBe(true);
    expect(c.assign(2, 7)).toBe(false);
    expect(entries(c)).toEqual([[2, 6]]);
    // The same epoch at an earlier offset replaces it (the log was truncated below it).
    expect(c.assign(2, 5)).toBe(true);
    expect(entries(c)).toEqual([[2, 5]]);
  });

  it('answers the next epoch\'s start and the largest epoch at or below the requested one', () => {
    const c = new LeaderEpochCache([{ epoch: 0, startOffset: 10 }, { epoch: 2, startOffset: 13 }, { epoch: 4, startOffset: 17 }]);
    expect(c.endOffsetFor(0, 20)).toEqual({ epoch: 0, endOffset: 13 });
    expect(c.endOffsetFor(1, 20)).toEqual({ epoch: 0, endOffset: 13 });
    expect(c.endOffsetFor(2, 20)).toEqual({ epoch: 2, endOffset: 17 });
    expect(c.endOffsetFor(3, 20)).toEqual({ epoch: 2, endOffset: 17 });
    expect(c.endOffsetFor(4, 20)).toEqual({ epoch: 4, endOffset: 20 });
  });

  it('answers an epoch below the first with the first epoch\'s start (Kafka: the data before it is gone)', () => {
    const c = new LeaderEpochCache([{ epoch: 5, startOffset: 11 }, { epoch: 6, startOffset: 12 }, { epoch: 7, startOffset: 13 }]);
    expect(c.endOffsetFor(4, 20)).toEqual({ epoch: 4, endOffset: 11 });
  });

  it('answers an epoch above every known one with undefined', () => {
    const c = new LeaderEpochCache([{ epoch: 2, startOffset: 11 }]);
    expect(c.endOffsetFor(3, 20)).toEqual({ epoch: -1, endOffset: -1 });
  });

  it('drops the entries an assignment contradicts (epoch or offset not increasing)', () => {
    const c = new LeaderEpochCache([{ epoch: 2, startOffset: 6 }, { epoch: 3, startOffset: 8 }, { epoch: 4, startOffset: 11 }]);
    c.assign(3, 7);
    expect(entries(c)).toEqual([[2, 6], [3, 7]]);
    c.assign(5, 7);
    expect(entries(c)).toEqual([[2, 6], [5, 7]]);
    // An older epoch at a later offset removes the newer ones too (they describe a truncated log).
    c.assign(1, 20);
    expect(entries(c)).toEqual([[1, 20]]);
  });

  it('truncates from the end: entries starting at or after the offset go', () => {
    const make = () => new LeaderEpochCache([{ epoch: 2, startOffset: 6 }, { epoch: 3, startOffset: 8 }, { epoch: 4, startOffset: 11 }]);
    let c = make();
    expect(c.truncateFromEnd(12)).toBe(false);
    expect(entries(c)).toEqual([[2, 6], [3, 8], [4, 11]]);
    c = make();
    c.truncateFromEnd(9);
    expect(entries(c)).toEqual([[2, 6], [3, 8]]);
    c = make();
    c.truncateFromEnd(8);
    expect(entries(c)).toEqual([[2, 6]]);
    c = make();
    c.truncateFromEnd(5);
    expect(entries(c)).toEqual([]);
    c = make();
    expect(c.truncateFromEnd(-1)).toBe(false);
    expect(entries(c)).toHaveLength(3);
  });

  it('truncates from the start: the last entry before the offset moves to it', () => {
    const make = () => new LeaderEpochCache([{ epoch: 2, startOffset: 6 }, { epoch: 3, startOffset: 8 }, { epoch: 4, startOffset: 11 }]);
    let c = make();
    expect(c.truncateFromStart(5)).toBe(false);
    expect(entries(c)).toEqual([[2, 6], [3, 8], [4, 11]]);
    c = make();
    c.truncateFromStart(8);
    expect(entries(c)).toEqual([[3, 8], [4, 11]]);
    c = make();
    c.truncateFromStart(9);
    expect(entries(c)).toEqual([[3, 9], [4, 11]]);
    c = make();
    c.truncateFromStart(11);
    expect(entries(c)).toEqual([[4, 11]]);
    c = make();
    c.truncateFromStart(15);
    expect(entries(c)).toEqual([[4, 15]]);
    expect(c.endOffsetFor(3, 20)).toEqual({ epoch: 3, endOffset: 15 });
  });

  it('follows many leader changes', () => {
    const c = new LeaderEpochCache();
    for (let epoch = 0; epoch < 10; epoch++) c.assign(epoch, epoch * 3);
    expect(c.entries).toHaveLength(10);
    for (let epoch = 0; epoch < 9; epoch++) expect(c.endOffsetFor(epoch, 100)).toEqual({ epoch, endOffset: (epoch + 1) * 3 });
    expect(c.epochForOffset(4)).toBe(1);
    expect(c.epochForOffset(27)).toBe(9);
  });

  it('refuses negative epochs and offsets', () => {
    const c = new LeaderEpochCache();
    expect(() => c.assign(-1, 0)).toThrow(RangeError);
    expect(() => c.assign(0, -5)).toThrow(RangeError);
  });
});

describe('leader-epoch cache persistence', () => {
  const storages: Storage[] = [];
  afterEach(async () => {
    for (const s of storages.splice(0)) await s.close();
  });

  /** A log written by leaders of epochs 0 (2 batches), 3 (1 batch), 5 (2 batches): offsets 0-1, 2, 3-4. */
  async function writtenLog() {
    const storage = memoryStorage();
    storages.push(storage);
    await storage.open();
    const log = await storage.openPartition('t', 0);
    const p = new Partition('t', 0, log, 1, [1], 0);
    const write = (value: string) => {
      const records = batchOf([value]);
      return p.appendAsLeader(records, checkBatches(records, { maxMessageBytes: 1 << 20, segmentBytes: 1 << 30, apiVersion: 9 }), undefined).done;
    };
    p.makeLeader(0, [1], [1]);
    await write('a');
    await write('b');
    p.makeLeader(3, [1], [1]);
    await write('c');
    p.makeLeader(5, [1], [1]);
    await write('d');
    await write('e');
    return { storage, log, partition: p };
  }

  it('rebuilds a missing cache from the batch headers', async () => {
    const { storage, log } = await writtenLog();
    const key = leaderEpochKey('T', 0);
    const loaded = await loadLeaderEpochs(log, storage.metadata, key);
    expect(loaded.rebuilt).toBe(true);
    expect(entries(loaded.cache)).toEqual([[0, 0], [3, 2], [5, 3]]);
  });

  it('keeps a stored cache that covers the log, cut to the log end', async () => {
    const { storage, log } = await writtenLog();
    const key = leaderEpochKey('T', 0);
    // A leader of epoch 7 was elected at offset 5 but wrote nothing; the log end is 5.
    await saveLeaderEpochs(storage.metadata, key, new LeaderEpochCache([{ epoch: 0, startOffset: 0 }, { epoch: 3, startOffset: 2 }, { epoch: 5, startOffset: 3 }, { epoch: 7, startOffset: 5 }]));
    const loaded = await loadLeaderEpochs(log, storage.metadata, key);
    expect(loaded.rebuilt).toBe(false);
    expect(entries(loaded.cache)).toEqual([[0, 0], [3, 2], [5, 3]]);
  });

  it('rebuilds a stored cache that is behind the log\'s last batch (a crash between append and save)', async () => {
    const { storage, log } = await writtenLog();
    const key = leaderEpochKey('T', 0);
    await saveLeaderEpochs(storage.metadata, key, new LeaderEpochCache([{ epoch: 0, startOffset: 0 }, { epoch: 3, startOffset: 2 }]));
    const loaded = await loadLeaderEpochs(log, storage.metadata, key);
    expect(loaded.rebuilt).toBe(true);
    expect(entries(loaded.cache)).toEqual([[0, 0], [3, 2], [5, 3]]);
  });

  it('rebuilds an unreadable stored cache', async () => {
    const { storage, log } = await writtenLog();
    const key = leaderEpochKey('T', 0);
    await storage.metadata.put(key, new TextEncoder().encode('{not json'));
    const loaded = await loadLeaderEpochs(log, storage.metadata, key);
    expect(loaded.rebuilt).toBe(true);
    expect(entries(loaded.cache)).toEqual([[0, 0], [3, 2], [5, 3]]);
  });

  it('a partition saves its cache when a new leader epoch starts and when it truncates', async () => {
    const storage = memoryStorage();
    storages.push(storage);
    await storage.open();
    const key = leaderEpochKey('T', 0);
    const log = await storage.openPartition('t', 0);
    const p = new Partition('t', 0, log, 1, [1], 0, 0, { topicId: 'T', saveEpochs: (c) => saveLeaderEpochs(storage.metadata, key, c) });
    p.makeLeader(4, [1], [1]);
    const records = batchOf(['x']);
    await p.appendAsLeader(records, checkBatches(records, { maxMessageBytes: 1 << 20, segmentBytes: 1 << 30, apiVersion: 9 }), undefined).done;
    await p.settle();
    expect(JSON.parse(new TextDecoder().decode(await storage.metadata.get(key)))).toEqual([{ epoch: 4, startOffset: 0 }]);
    p.makeLeader(6, [1], [1]);
    await p.settle();
    expect(JSON.parse(new TextDecoder().decode(await storage.metadata.get(key)))).toEqual([{ epoch: 4, startOffset: 0 }, { epoch: 6, startOffset: 1 }]);
    await p.truncateTo(1);
    expect(JSON.parse(new TextDecoder().decode(await storage.metadata.get(key)))).toEqual([{ epoch: 4, startOffset: 0 }]);
  });
});
