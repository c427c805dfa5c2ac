/**
 * The offset manager on its own (no broker, no handlers): commits checked against
 * membership, fetches, restore after a restart, removal of a deleted topic's offsets and
 * retention (KIP-211), on a manual clock and an in-memory group store. Also the front's
 * wiring of a custom GroupStore.
 */
import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../core/contracts/logger.ts';
import { memoryStorage } from '../../adapters/memory/index.ts';
import { GroupCoordinator } from '../../core/broker/groups/coordinator.ts';
import { KafkaCode } from '../../core/kafka-error-codes.ts';
import { MetadataGroupStore } from '../../core/broker/groups/metadata-group-store.ts';
import type { CommitRequest } from '../../core/broker/groups/offset-manager.ts';
import { type Managers, MemoryGroupStore, joinRequest, managers } from './group-managers.ts';
import { ManualTimers, assignment } from './group-helpers.ts';

type Offsets = Array<[topic: string, partition: number, offset: number, metadata?: string | null]>;

function commit(groupId: string, offsets: Offsets, from: Partial<CommitRequest> = {}): CommitRequest {
  const topics = new Map<string, CommitRequest['topics'][number]['partitions'][number][]>();
  for (const [t, p, o, meta] of offsets) {
    if (!topics.has(t)) topics.set(t, []);
    topics.get(t)!.push({ partitionIndex: p, committedOffset: o, committedLeaderEpoch: -1, commitTimestamp: -1, committedMetadata: meta ?? null });
  }
  return { groupId, generationId: -1, memberId: '', groupInstanceId: null, retentionTimeMs: -1, topics: [...topics].map(([name, partitions]) => ({ name, partitions })), ...from };
}

function errors(result: Array<{ partitions: Array<{ errorCode: number }> }>): number[] {
  return result.flatMap((t) => t.partitions.map((p) => p.errorCode));
}

function offsetOf(m: Managers, groupId: string, topic: string, partition: number): number {
  return m.offsets.fetchOffsets(groupId, [{ name: topic, partitionIndexes: [partition] }]).topics[0]!.partitions[0]!.committedOffset;
}

/** A one-member Stable consumer group subscribed to `topics`; returns the member id and generation. */
async function stableMember(m: Managers, groupId: string, topics: string[]): Promise<{ memberId: string; generationId: number }> {
  const { memberId } = await m.membership.join(joinRequest(groupId, '', { topics }));
  const joined = await m.membership.join(joinRequest(groupId, memberId, { topics }));
  await m.membership.sync({ groupId, generationId: joined.generationId, memberId, groupInstanceId: null, protocolType: null, protocolName: null, assignments: [{ memberId, assignment: assignment('t', [0]) }] });
  return { memberId, generationId: joined.generationId };
}

describe('OffsetManager: commit and fetch', () => {
  it('creates a group that only stores offsets on its first simple commit, persists and fetches them', async () => {
    const m = managers();
    const result = await m.offsets.commitOffsets(commit('g', [['t', 0, 42, 'meta'], ['t', 1, 7]]));
    expect(result).toEqual([{ name: 't', partitions: [{ partitionIndex: 0, errorCode: KafkaCode.NONE }, { partitionIndex: 1, errorCode: KafkaCode.NONE }] }]);
    expect(m.store.offset('g', 't', 0)).toEqual({ offset: 42, leaderEpoch: -1, metadata: 'meta', commitTimestamp: m.timers.now(), expireTimestamp: null });
    expect(m.membership.group('g')!.protocolType).toBeNull();

    expect(m.offsets.fetchOffsets('g', [{ name: 't', partitionIndexes: [0, 1, 2] }])).toEqual({
      errorCode: KafkaCode.NONE,
      topics: [
        {
          name: 't',
          partitions: [
            { partitionIndex: 0, committedOffset: 42, committedLeaderEpoch: -1, metadata: 'meta', errorCode: KafkaCode.NONE },
            { partitionIndex: 1, committedOffset: 7, committedLeaderEpoch: -1, metadata: '', errorCode: KafkaCode.NONE },
            { partitionIndex: 2, committedOffset: -1, committedLeaderEpoch: -1, metadata: '', errorCode: KafkaCode.NONE },
          ],
        },
      ],
    });
    const all = m.offsets.fetchOffsets('g', null);
    expect(all.topics.map((t) => [t.name, t.partitions.map((p) => p.partitionIndex)])).toEqual([['t', [0, 1]]]);
  });

  it('answers per partition: unknown partitions and oversized metadata fail, the rest commit', async () => {
    const m = managers({ offsetMetadataMaxBytes: 4 });
    const result = await m.offsets.commitOffsets(commit('g', [['t', 0, 1, 'ok'], ['t', 9, 1], ['u', 0, 1, 'too long']]));
    expect(errors(result)).toEqual([KafkaCode.NONE, KafkaCode.UNKNOWN_TOPIC_OR_PARTITION, KafkaCode.OFFSET_METADATA_TOO_LARGE]);
    expect(offsetOf(m, 'g', 't', 0)).toBe(1);
    expect(offsetOf(m, 'g', 'u', 0)).toBe(-1);
  });

  it('writes nothing and keeps no group when no partition could be committed', async () => {
    const m = managers();
    expect(errors(await m.offsets.commitOffsets(commit('g', [['nope', 0, 1]])))).toEqual([KafkaCode.UNKNOWN_TOPIC_OR_PARTITION]);
    expect(m.membership.group('g')).toBeUndefined();
    expect(m.store.writes).toEqual([]);
  });

  it('keeps a new group whose first commit is still being written when another commit to it fails', async () => {
    // A commit with nothing to write used to drop the group as unused while the first
    // commit's write was in flight; that commit then answered COORDINATOR_NOT_AVAILABLE
    // although its offset was stored (and came back after a restart).
    const m = managers();
    const first = m.offsets.commitOffsets(commit('g', [['t', 0, 5]]));
    const second = m.offsets.commitOffsets(commit('g', [['nope', 0, 1]]));
    expect(errors(await second)).toEqual([KafkaCode.UNKNOWN_TOPIC_OR_PARTITION]);
    expect(errors(await first)).toEqual([KafkaCode.NONE]);
    expect(offsetOf(m, 'g', 't', 0)).toBe(5);
    expect(m.membership.group('g')!.state).toBe('Empty');
  });

  it('refuses a commit naming a generation of a group it does not know', async () => {
    const m = managers();
    expect(errors(await m.offsets.commitOffsets(commit('g', [['t', 0, 1]], { generationId: 3, memberId: 'm' })))).toEqual([KafkaCode.ILLEGAL_GENERATION]);
    expect(m.membership.group('g')).toBeUndefined();
  });

  it('keeps nothing in memory when the store fails the write', async () => {
    const m = managers();
    m.store.failNext = true;
    expect(errors(await m.offsets.commitOffsets(commit('g', [['t', 0, 5]])))).toEqual([KafkaCode.COORDINATOR_NOT_AVAILABLE]);
    expect(m.membership.group('g')).toBeUndefined();
    expect(offsetOf(m, 'g', 't', 0)).toBe(-1);
  });

  it('takes commits from the current generation of a group with members, and only from it', async () => {
    const m = managers();
    const { memberId, generationId } = await stableMember(m, 'g', ['t']);
    expect(errors(await m.offsets.commitOffsets(commit('g', [['t', 0, 10]], { generationId: generationId + 1, memberId })))).toEqual([KafkaCode.ILLEGAL_GENERATION]);
    expect(errors(await m.offsets.commitOffsets(commit('g', [['t', 0, 11]], { generationId, memberId })))).toEqual([KafkaCode.NONE]);
    expect(offsetOf(m, 'g', 't', 0)).toBe(11);
  });

  it('refuses everything while the coordinator loads', async () => {
    const m = managers();
    m.phase = 'loading';
    expect(errors(await m.offsets.commitOffsets(commit('g', [['t', 0, 1], ['t', 1, 1]])))).toEqual([KafkaCode.COORDINATOR_LOAD_IN_PROGRESS, KafkaCode.COORDINATOR_LOAD_IN_PROGRESS]);
    expect(m.offsets.fetchOffsets('g', null)).toEqual({ errorCode: KafkaCode.COORDINATOR_LOAD_IN_PROGRESS, topics: [] });
    expect(m.offsets.fetchOffsets('g', [{ name: 't', partitionIndexes: [0] }]).topics[0]!.partitions[0]!.errorCode).toBe(KafkaCode.COORDINATOR_LOAD_IN_PROGRESS);
  });
});

describe('OffsetManager: restore, topic deletion, group deletion', () => {
  it('restores stored groups and removes offsets of partitions that no longer exist', async () => {
    const m = managers();
    await m.store.writeMeta('g', { protocolType: 'consumer', emptySince: 5 });
    await m.store.writeOffsets('g', [
      { topic: 't', partition: 0, value: { offset: 3, leaderEpoch: 1, metadata: '', commitTimestamp: 1, expireTimestamp: null } },
      { topic: 'gone', partition: 0, value: { offset: 9, leaderEpoch: 1, metadata: '', commitTimestamp: 1, expireTimestamp: null } },
    ]);
    expect(await m.offsets.load()).toBe(1);
    const group = m.membership.group('g')!;
    expect(group).toMatchObject({ state: 'Empty', protocolType: 'consumer', stateTimestamp: 5 });
    expect(m.offsets.committedTopics('g')).toEqual(['t']);
    expect(m.store.offset('g', 'gone', 0)).toBeUndefined();
    expect(offsetOf(m, 'g', 't', 0)).toBe(3);
  });

  it('forgets every group\'s offsets of a deleted topic', async () => {
    const m = managers();
    await m.offsets.commitOffsets(commit('a', [['t', 0, 1], ['t', 1, 2], ['u', 0, 3]]));
    await m.offsets.commitOffsets(commit('b', [['t', 2, 4]]));
    expect(await m.offsets.removeTopicOffsets('t')).toBe(3);
    expect(offsetOf(m, 'a', 't', 0)).toBe(-1);
    expect(m.store.offset('b', 't', 2)).toBeUndefined();
    expect(offsetOf(m, 'a', 'u', 0)).toBe(3);
  });

  it('removes a commit written while its group was deleted, so that the group does not come back after a restart', async () => {
    // The commit's write is queued before the deletion, which removes only the offsets it
    // knew of; the commit answers COORDINATOR_NOT_AVAILABLE and must not leave its offset stored.
    const storage = memoryStorage();
    await storage.open();
    const m = managers({}, new MetadataGroupStore(storage.metadata));
    await m.offsets.commitOffsets(commit('g', [['t', 0, 1]]));
    const late = m.offsets.commitOffsets(commit('g', [['t', 1, 5]]));
    expect(m.membership.validateDeleteGroup('g')).toBe(KafkaCode.NONE);
    await m.offsets.deleteGroup(m.membership.group('g')!);
    expect(errors(await late)).toEqual([KafkaCode.COORDINATOR_NOT_AVAILABLE]);
    expect(await storage.metadata.list('group-')).toEqual([]);
  });

  it('deletes a group with everything stored for it', async () => {
    const m = managers();
    await m.offsets.commitOffsets(commit('g', [['t', 0, 1]]));
    await m.offsets.deleteGroup(m.membership.group('g')!);
    expect(m.membership.group('g')).toBeUndefined();
    expect(m.store.offset('g', 't', 0)).toBeUndefined();
    expect(m.store.writes.at(-1)).toBe('delete g');
  });
});

describe('OffsetManager: retention (KIP-211)', () => {
  it('expires each offset of a group without members its retention after the commit, then the group', async () => {
    const m = managers({ offsetsRetentionMs: 1000 });
    await m.offsets.commitOffsets(commit('g', [['t', 0, 1]]));
    await m.timers.advance(600);
    await m.offsets.commitOffsets(commit('g', [['t', 1, 2]]));
    await m.timers.advance(500);
    expect(await m.offsets.expireOffsets()).toBe(1);
    expect(offsetOf(m, 'g', 't', 0)).toBe(-1);
    expect(offsetOf(m, 'g', 't', 1)).toBe(2);
    await m.timers.advance(600);
    expect(await m.offsets.expireOffsets()).toBe(1);
    expect(m.membership.group('g')).toBeUndefined();
    expect(m.store.writes.at(-1)).toBe('delete g');
  });

  it('lets an explicit retention time (OffsetCommit v2–4) win over the policy', async () => {
    const m = managers();
    await m.offsets.commitOffsets(commit('g', [['t', 0, 1]], { retentionTimeMs: 100 }));
    await m.offsets.commitOffsets(commit('g', [['t', 1, 1]]));
    await m.timers.advance(100);
    expect(await m.offsets.expireOffsets()).toBe(1);
    expect(offsetOf(m, 'g', 't', 1)).toBe(1);
  });

  it('keeps an emptied consumer group\'s offsets for the retention after it became empty', async () => {
    const m = managers({ offsetsRetentionMs: 1000 });
    const { memberId, generationId } = await stableMember(m, 'g', ['t']);
    await m.offsets.commitOffsets(commit('g', [['t', 0, 5]], { generationId, memberId }));
    await m.timers.advance(800);
    m.membership.leave('g', [{ memberId, groupInstanceId: null }]);
    expect(m.membership.group('g')!.state).toBe('Empty');
    await m.timers.advance(999);
    expect(await m.offsets.expireOffsets()).toBe(0);
    await m.timers.advance(1);
    expect(await m.offsets.expireOffsets()).toBe(1);
    expect(m.membership.group('g')).toBeUndefined();
  });

  it('expires a stable consumer group\'s offsets only for topics no member subscribes to', async () => {
    const m = managers({ offsetsRetentionMs: 500 });
    const { memberId, generationId } = await stableMember(m, 'g', ['t']);
    await m.offsets.commitOffsets(commit('g', [['t', 0, 1], ['u', 0, 2]], { generationId, memberId }));
    await m.timers.advance(600);
    expect(await m.offsets.expireOffsets()).toBe(1);
    expect(offsetOf(m, 'g', 't', 0)).toBe(1);
    expect(offsetOf(m, 'g', 'u', 0)).toBe(-1);
    expect(m.membership.group('g')!.state).toBe('Stable');
  });

  it('runs expiry on its own timer once started, and not after it stopped', async () => {
    const m = managers({ offsetsRetentionMs: 500, offsetsRetentionCheckIntervalMs: 1000 });
    await m.offsets.commitOffsets(commit('g', [['t', 0, 1]]));
    m.offsets.startExpiry();
    await m.timers.advance(1000);
    expect(m.membership.group('g')).toBeUndefined();
    await m.offsets.commitOffsets(commit('h', [['t', 0, 1]]));
    m.offsets.stopExpiry();
    expect(m.timers.pending).toBe(0);
    await m.timers.advance(5000);
    expect(offsetOf(m, 'h', 't', 0)).toBe(1);
  });
});

describe('GroupCoordinator front', () => {
  it('loads from the group store it is given and deletes through it', async () => {
    const store = new MemoryGroupStore();
    await store.writeOffsets('g', [{ topic: 't', partition: 0, value: { offset: 7, leaderEpoch: -1, metadata: '', commitTimestamp: 1, expireTimestamp: null } }]);
    const timers = new ManualTimers();
    const storage = memoryStorage();
    await storage.open();
    const metadata = storage.metadata;
    const coordinator = new GroupCoordinator(
      { store: metadata, groupStore: store, logger: silentLogger, partitionExists: () => true },
      { timers, offsetsRetentionCheckIntervalMs: 0 },
    );
    await coordinator.load();
    expect(coordinator.fetchOffsets('g', [{ name: 't', partitionIndexes: [0] }]).topics[0]!.partitions[0]!.committedOffset).toBe(7);
    expect(await coordinator.deleteGroups(['g', 'x'])).toEqual([
      { groupId: 'g', errorCode: KafkaCode.NONE },
      { groupId: 'x', errorCode: 69 },
    ]);
    expect(store.offsets.size).toBe(0);
    expect(await metadata.list('group-')).toEqual([]); // the metadata store was not used
    await coordinator.close();
  });

  it('persists through the metadata store by default (MetadataGroupStore)', async () => {
    const storage = memoryStorage();
    await storage.open();
    const metadata = storage.metadata;
    const first = new MetadataGroupStore(metadata);
    await first.writeOffsets('g/1', [{ topic: 't', partition: 3, value: { offset: 9, leaderEpoch: 2, metadata: 'm', commitTimestamp: 4, expireTimestamp: null } }]);
    await first.writeMeta('g/1', { protocolType: 'consumer', emptySince: 4 });
    expect(await new MetadataGroupStore(metadata).load()).toEqual([
      { groupId: 'g/1', meta: { protocolType: 'consumer', emptySince: 4 }, offsets: [{ topic: 't', partition: 3, value: { offset: 9, leaderEpoch: 2, metadata: 'm', commitTimestamp: 4, expireTimestamp: null } }] },
    ]);
  });
});
