/** Committed offsets and group retention facts survive a broker restart (memory and filesystem storage). */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { filesystemStorage } from '../../adapters/filesystem/index.ts';
import { memoryStorage } from '../../adapters/memory/index.ts';
import type { Storage } from '../../core/contracts/storage.ts';
import { ManualTimers, assignment, commitBody, joinBody, storedOffsetKeys } from './group-helpers.ts';
import { call, startedBroker } from './helpers.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const kinds: Array<[string, () => () => Storage]> = [
  ['memory', () => {
    const s = memoryStorage();
    return () => s;
  }],
  ['filesystem', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tributary-groups-'));
    dirs.push(dir);
    return () => filesystemStorage({ dir });
  }],
];

describe.each(kinds)('on %s storage', (_name, make) => {
  it('restores committed offsets with their metadata, and keeps the empty-since time for retention', async () => {
    const storage = make();
    const timers = new ManualTimers();
    const groups = { timers, initialRebalanceDelayMs: 0, minSessionTimeoutMs: 100, offsetsRetentionMs: 60_000, offsetsRetentionCheckIntervalMs: 0 };
    const first = await startedBroker({ storage: storage(), groups });
    await first.topics.create({ name: 't', numPartitions: 3, replicationFactor: 1 });
    const id = (await call(first, 11, 9, joinBody('g'))).memberId;
    const j = await call(first, 11, 9, joinBody('g', id));
    await call(first, 14, 5, { groupId: 'g', generationId: j.generationId, memberId: id, groupInstanceId: null, protocolType: null, protocolName: null, assignments: [{ memberId: id, assignment: assignment('t', [0, 1, 2]) }] });
    expect((await call(first, 8, 8, commitBody('g', j.generationId, id, [['t', 0, 11, 'é meta'], ['t', 2, 13, null]]))).topics[0].partitions.map((p: any) => p.errorCode)).toEqual([0, 0]);
    await call(first, 8, 8, commitBody('g', j.generationId, id, [['t', 0, 12, 'later']]));
    await call(first, 8, 8, commitBody('solo', -1, '', [['t', 1, 5, 'solo']]));
    const t0 = timers.time;
    // The member stops heartbeating: after its session (1 s) the group is empty.
    await timers.advance(10_000);
    const emptiedAt = first.groups.group('g')!.stateTimestamp;
    expect(emptiedAt).toBe(t0 + 1000);
    await first.close();

    timers.time += 30_000;
    const second = await startedBroker({ storage: storage(), groups });
    try {
      const f = await call(second, 9, 8, {
        groups: [{ groupId: 'g', topics: null }, { groupId: 'solo', topics: [{ name: 't', partitionIndexes: [1] }] }],
        requireStable: true,
      });
      expect(f.groups[0].topics).toEqual([{ name: 't', partitions: [
        { partitionIndex: 0, committedOffset: 12, committedLeaderEpoch: -1, metadata: 'later', errorCode: 0 },
        { partitionIndex: 2, committedOffset: 13, committedLeaderEpoch: -1, metadata: '', errorCode: 0 },
      ] }]);
      expect(f.groups[1].topics[0].partitions[0]).toMatchObject({ committedOffset: 5, metadata: 'solo' });
      const g = second.groups.group('g')!;
      expect(g.state).toBe('Empty');
      expect(g.protocolType).toBe('consumer');
      expect(g.stateTimestamp).toBe(emptiedAt);
      // 'solo' counts from its commit (t0), 'g' from when it emptied (t0 + 1 s).
      timers.time = t0 + 60_000;
      expect(await second.groups.expireOffsets()).toBe(1);
      expect(second.groups.group('solo')).toBeUndefined();
      timers.time = emptiedAt + 60_000;
      expect(await second.groups.expireOffsets()).toBe(2);
      expect(await second.storage.metadata.list('group-')).toEqual([]);
    } finally {
      await second.close();
    }
  });

  it('treats a group that had members at a crash as empty since the restart', async () => {
    const storage = make();
    const timers = new ManualTimers();
    const groups = { timers, initialRebalanceDelayMs: 0, minSessionTimeoutMs: 100, offsetsRetentionMs: 60_000, offsetsRetentionCheckIntervalMs: 0 };
    const first = await startedBroker({ storage: storage(), groups });
    await first.topics.create({ name: 't', numPartitions: 1, replicationFactor: 1 });
    const id = (await call(first, 11, 9, joinBody('g'))).memberId;
    const j = await call(first, 11, 9, joinBody('g', id));
    await call(first, 8, 8, commitBody('g', -1, '', [['t', 0, 1, null]]));
    expect(j.errorCode).toBe(0);
    await first.close(); // the member is still in the group
    timers.time += 100_000;
    const second = await startedBroker({ storage: storage(), groups });
    try {
      expect(second.groups.group('g')!.stateTimestamp).toBe(timers.time);
      expect(await second.groups.expireOffsets()).toBe(0);
    } finally {
      await second.close();
    }
  });

  it('drops the committed offsets of a deleted topic, also those a crash left behind', async () => {
    const storage = make();
    const groups = { initialRebalanceDelayMs: 0, offsetsRetentionCheckIntervalMs: 0 };
    const first = await startedBroker({ storage: storage(), groups });
    await first.topics.create({ name: 't', numPartitions: 1, replicationFactor: 1 });
    await first.topics.create({ name: 'u', numPartitions: 1, replicationFactor: 1 });
    await call(first, 8, 8, commitBody('simple', -1, '', [['t', 0, 4, null], ['u', 0, 9, 'old']]));
    expect((await call(first, 20, 6, { topics: [{ name: 'u', topicId: '00000000-0000-0000-0000-000000000000' }], timeoutMs: 1000 })).responses[0].errorCode).toBe(0);
    await first.topics.create({ name: 'u', numPartitions: 1, replicationFactor: 1 });
    const fetched = () => first.groups.fetchOffsets('simple', [{ name: 't', partitionIndexes: [0] }, { name: 'u', partitionIndexes: [0] }]).topics.map((t) => t.partitions[0]!.committedOffset);
    expect(fetched()).toEqual([4, -1]);
    expect(await storedOffsetKeys(first.storage)).toEqual(['group-offsets/simple/t/0']);
    // As if the broker died between deleting a topic and its offsets (stored the way
    // offsets were kept before the offsets log: in the metadata store, moved in on start).
    await first.storage.metadata.put('group-offsets/simple/gone/0', new TextEncoder().encode(JSON.stringify({ offset: 3, commitTimestamp: 1 })));
    await first.close();
    const second = await startedBroker({ storage: storage(), groups });
    try {
      expect(second.groups.group('simple')).toBeDefined();
      expect(second.groups.committedTopics('simple')).not.toContain('gone');
      expect(await storedOffsetKeys(second.storage)).toEqual(['group-offsets/simple/t/0']);
      expect(await second.storage.metadata.list('group-offsets/')).toEqual([]);
    } finally {
      await second.close();
    }
  });
});
