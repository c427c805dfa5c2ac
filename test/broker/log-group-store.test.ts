/**
 * Committed offsets in an append-and-compact log (issue 13 #9): a commit appends its own
 * size and never rewrites the metadata store; snapshots bound the log; a snapshot cut short
 * is ignored; tombstones hold; offsets kept in the metadata store move into the log.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { memoryStorage } from '../../adapters/memory/index.ts';
import { GROUP_OFFSETS_TOPIC, LogGroupStore } from '../../core/broker/groups/log-group-store.ts';
import { json, offsetKey } from '../../core/broker/groups/metadata-group-store.ts';
import type { OffsetAndMetadata } from '../../core/broker/groups/offset-and-metadata.ts';
import type { GuardedStorage, MetadataStore } from '../../core/contracts/storage.ts';
import { encodeBatchSync } from '../../core/records/record-batch.ts';
import { batchInfoOf } from '../../core/storage/batch-info.ts';
import { call, startedBroker } from './helpers.ts';
import { commitBody } from './group-helpers.ts';

const storages: GuardedStorage[] = [];
afterEach(async () => {
  for (const s of storages.splice(0)) await s.close().catch(() => undefined);
});

async function openStorage(): Promise<GuardedStorage> {
  const storage = memoryStorage();
  await storage.open();
  storages.push(storage);
  return storage;
}

const at = (offset: number): OffsetAndMetadata => ({ offset, leaderEpoch: -1, metadata: '', commitTimestamp: 1, expireTimestamp: null });
// Small segments, so that trimming after a snapshot frees them.
const storeOver = (storage: GuardedStorage, compactAfter?: number) =>
  new LogGroupStore({ openLog: () => storage.openPartition(GROUP_OFFSETS_TOPIC, 0, { segmentBytes: 1024 }), legacy: storage.metadata, ...(compactAfter !== undefined ? { compactAfter } : {}) });

function offsetsOf(groups: Awaited<ReturnType<LogGroupStore['load']>>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const g of groups) for (const o of g.offsets) out[`${g.groupId}/${o.topic}/${o.partition}`] = o.value.offset;
  return out;
}

describe('the offsets log', () => {
  it('a commit appends about its own size and does not write the metadata store, however many offsets are stored', async () => {
    const storage = memoryStorage();
    let metadataWrites = 0;
    const inner = storage.metadata;
    const counting: MetadataStore = {
      get: (k) => inner.get(k),
      list: (p) => inner.list(p),
      put: (k, v) => (metadataWrites++, inner.put(k, v)),
      delete: (k) => (metadataWrites++, inner.delete(k)),
      write: (ops) => (metadataWrites++, inner.write(ops)),
    };
    const b = await startedBroker({ storage: { ...storage, metadata: counting } });
    try {
      await b.topics.create({ name: 't', numPartitions: 100, replicationFactor: 1 });
      for (let g = 0; g < 50; g++) {
        const offsets = Array.from({ length: 100 }, (_, p) => ['t', p, g + p, null] as [string, number, number, string | null]);
        expect((await call(b, 8, 8, commitBody(`g${g}`, -1, '', offsets))).topics[0].partitions[0].errorCode).toBe(0);
      }
      const log = await b.storage.openPartition(GROUP_OFFSETS_TOPIC, 0);
      const before = log.sizeBytes();
      const writes = metadataWrites;
      await call(b, 8, 8, commitBody('g0', -1, '', [['t', 0, 12345, null]]));
      expect(metadataWrites).toBe(writes);
      expect(log.sizeBytes() - before).toBeGreaterThan(0);
      expect(log.sizeBytes() - before).toBeLessThan(400);
      expect(b.groups.fetchOffsets('g0', [{ name: 't', partitionIndexes: [0, 1] }]).topics[0]!.partitions.map((p) => p.committedOffset)).toEqual([12345, 1]);
    } finally {
      await b.close();
    }
  });

  it('snapshots keep the log near the live entries, and a reload sees the latest values and no deleted group', async () => {
    const storage = await openStorage();
    const store = storeOver(storage, 10);
    await store.load();
    for (let i = 0; i < 500; i++) await store.writeOffsets('g', [{ topic: 't', partition: i % 5, value: at(i) }]);
    await store.writeOffsets('gone', [{ topic: 't', partition: 0, value: at(1) }]);
    await store.writeMeta('gone', { protocolType: 'consumer', emptySince: 5 });
    await store.deleteGroup('gone', [{ topic: 't', partition: 0 }]);
    for (let i = 0; i < 20; i++) await store.writeOffsets('h', [{ topic: 'u', partition: 0, value: at(i) }]);
    const log = await storage.openPartition(GROUP_OFFSETS_TOPIC, 0);
    // 523 records written (about 60 KiB); what is held is a snapshot of 6 entries, fewer
    // than 10 records after it, and at most a segment before it.
    expect(log.endOffset()).toBeGreaterThan(500);
    expect(log.sizeBytes()).toBeLessThan(4096);
    const reloaded = await storeOver(storage).load();
    expect(offsetsOf(reloaded)).toEqual({ 'g/t/0': 495, 'g/t/1': 496, 'g/t/2': 497, 'g/t/3': 498, 'g/t/4': 499, 'h/u/0': 19 });
    expect(reloaded.find((g) => g.groupId === 'gone')).toBeUndefined();
  });

  it('ignores a snapshot cut short by a crash (no end marker) and writes a whole one', async () => {
    const storage = await openStorage();
    const store = storeOver(storage);
    await store.load();
    await store.writeOffsets('g', [{ topic: 't', partition: 0, value: at(7) }, { topic: 't', partition: 1, value: at(8) }]);
    const log = await storage.openPartition(GROUP_OFFSETS_TOPIC, 0);
    const enc = new TextEncoder();
    // The first batch of a snapshot, with one entry changed and the other missing, and nothing after it.
    const partial = encodeBatchSync({
      baseOffset: log.endOffset(),
      records: [
        { key: enc.encode('\u0000snapshot-begin'), value: null },
        { key: enc.encode(offsetKey('g', 't', 0)), value: json(at(99)) },
      ],
    });
    await log.append(partial, batchInfoOf(partial));
    const reloaded = storeOver(storage);
    expect(offsetsOf(await reloaded.load())).toEqual({ 'g/t/0': 7, 'g/t/1': 8 });
    await reloaded.writeOffsets('g', [{ topic: 't', partition: 2, value: at(9) }]);
    expect(offsetsOf(await storeOver(storage).load())).toEqual({ 'g/t/0': 7, 'g/t/1': 8, 'g/t/2': 9 });
  });

  it('moves offsets kept in the metadata store into the log, then deletes them there', async () => {
    const storage = await openStorage();
    await storage.metadata.put(offsetKey('old', 't', 3), json(at(42)));
    await storage.metadata.put('group-meta/old', json({ protocolType: 'consumer', emptySince: 10 }));
    const groups = await storeOver(storage).load();
    expect(offsetsOf(groups)).toEqual({ 'old/t/3': 42 });
    expect(groups[0]!.meta).toEqual({ protocolType: 'consumer', emptySince: 10 });
    expect(await storage.metadata.list('group-')).toEqual([]);
    expect(offsetsOf(await storeOver(storage).load())).toEqual({ 'old/t/3': 42 });
  });

  it('a topic cannot be created under the internal name', async () => {
    const b = await startedBroker();
    try {
      const r = await call(b, 19, 7, { topics: [{ name: GROUP_OFFSETS_TOPIC, numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] }], timeoutMs: 1000, validateOnly: false });
      expect(r.topics[0].errorCode).toBe(17);
    } finally {
      await b.close();
    }
  });
});
