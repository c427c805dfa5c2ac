/**
 * The membership manager on its own (no broker, no handlers): joins, rebalances, syncs,
 * heartbeats, leaves, static members and the commit checks it answers for the offset
 * manager, on a manual clock.
 */
import { describe, expect, it } from 'vitest';
import { KafkaCode } from '../../core/kafka-error-codes.ts';
import type { SyncRequest } from '../../core/broker/groups/membership-manager.ts';
import { type Managers, joinRequest, managers } from './group-managers.ts';
import { assignment } from './group-helpers.ts';

function syncRequest(groupId: string, generationId: number, memberId: string, assignments: SyncRequest['assignments'] = []): SyncRequest {
  return { groupId, generationId, memberId, groupInstanceId: null, protocolType: 'consumer', protocolName: 'range', assignments };
}

/** Forms a Stable group of `n` members the KIP-394 way; returns their ids (leader first). */
async function stableGroup(m: Managers, groupId: string, n: number): Promise<{ ids: string[]; generation: number }> {
  const ids: string[] = [];
  for (let i = 0; i < n; i++) ids.push((await m.membership.join(joinRequest(groupId))).memberId);
  const joins = await Promise.all(ids.map((id) => m.membership.join(joinRequest(groupId, id))));
  const generation = joins[0]!.generationId;
  expect(joins.every((j) => j.errorCode === KafkaCode.NONE && j.generationId === generation && j.leader === ids[0])).toBe(true);
  const leaderSync = m.membership.sync(syncRequest(groupId, generation, ids[0]!, ids.map((id, k) => ({ memberId: id, assignment: assignment('t', [k]) }))));
  const syncs = await Promise.all([leaderSync, ...ids.slice(1).map((id) => m.membership.sync(syncRequest(groupId, generation, id)))]);
  expect(syncs.every((s) => s.errorCode === KafkaCode.NONE)).toBe(true);
  expect(m.membership.group(groupId)!.state).toBe('Stable');
  return { ids, generation };
}

function heartbeat(m: Managers, groupId: string, generationId: number, memberId: string, groupInstanceId: string | null = null): number {
  return m.membership.heartbeat({ groupId, generationId, memberId, groupInstanceId });
}

describe('MembershipManager: joining and syncing', () => {
  it('hands out a member id first (KIP-394), then forms generation 1 and hands each member the leader\'s assignment', async () => {
    const m = managers();
    const first = await m.membership.join(joinRequest('g'));
    expect(first.errorCode).toBe(KafkaCode.MEMBER_ID_REQUIRED);
    expect(m.membership.group('g')!.pendingMembers.has(first.memberId)).toBe(true);

    const joined = await m.membership.join(joinRequest('g', first.memberId));
    expect(joined).toMatchObject({ errorCode: KafkaCode.NONE, generationId: 1, protocolType: 'consumer', protocolName: 'range', leader: first.memberId, memberId: first.memberId });
    expect(joined.members.map((x) => x.memberId)).toEqual([first.memberId]);
    expect(m.membership.group('g')!.state).toBe('CompletingRebalance');
    // The group's protocol type is persisted as soon as it has a member (retention needs it after a restart).
    expect(m.store.meta.get('g')).toEqual({ protocolType: 'consumer', emptySince: null });

    const bytes = assignment('t', [0, 1]);
    const synced = await m.membership.sync(syncRequest('g', 1, first.memberId, [{ memberId: first.memberId, assignment: bytes }]));
    expect(synced).toEqual({ errorCode: KafkaCode.NONE, protocolType: 'consumer', protocolName: 'range', assignment: bytes });
    expect(m.membership.group('g')!.state).toBe('Stable');
  });

  it('refuses a session timeout outside the configured bounds', async () => {
    const m = managers({ minSessionTimeoutMs: 100, maxSessionTimeoutMs: 5000 });
    expect((await m.membership.join(joinRequest('g', '', { sessionTimeoutMs: 50 }))).errorCode).toBe(KafkaCode.INVALID_SESSION_TIMEOUT);
    expect((await m.membership.join(joinRequest('g', '', { sessionTimeoutMs: 6000 }))).errorCode).toBe(KafkaCode.INVALID_SESSION_TIMEOUT);
    expect(m.membership.group('g')).toBeUndefined();
  });

  it('waits the initial rebalance delay for more members of a new group, extending it for each newcomer', async () => {
    const m = managers({ initialRebalanceDelayMs: 500 });
    const answered: string[] = [];
    const a = m.membership.join(joinRequest('g', '', { requireKnownMemberId: false, clientId: 'a' }));
    const b = m.membership.join(joinRequest('g', '', { requireKnownMemberId: false, clientId: 'b' }));
    void a.then(() => answered.push('a'));
    void b.then(() => answered.push('b'));
    await m.timers.advance(500);
    expect(answered).toEqual([]); // b arrived during the delay: it runs once more
    await m.timers.advance(500);
    const [ja, jb] = await Promise.all([a, b]);
    expect(ja.generationId).toBe(1);
    expect(jb.generationId).toBe(1);
    expect(ja.leader).toBe(ja.memberId);
    expect(ja.members).toHaveLength(2); // only the leader gets the subscriptions
    expect(jb.members).toEqual([]);
  });

  it('makes a follower that syncs while the leader has not wait for the assignment', async () => {
    const m = managers();
    const ids = [(await m.membership.join(joinRequest('g'))).memberId, (await m.membership.join(joinRequest('g'))).memberId];
    await Promise.all(ids.map((id) => m.membership.join(joinRequest('g', id))));
    let followerAnswered = false;
    const follower = m.membership.sync(syncRequest('g', 1, ids[1]!)).then((r) => {
      followerAnswered = true;
      return r;
    });
    await m.timers.advance(0);
    expect(followerAnswered).toBe(false);
    await m.membership.sync(syncRequest('g', 1, ids[0]!, [{ memberId: ids[1]!, assignment: assignment('t', [2]) }]));
    expect((await follower).assignment).toEqual(assignment('t', [2]));
  });
});

describe('MembershipManager: timers', () => {
  it('removes a member whose session expires and rebalances the rest', async () => {
    const m = managers();
    const { ids, generation } = await stableGroup(m, 'g', 2);
    await m.timers.advance(900);
    expect(heartbeat(m, 'g', generation, ids[0]!)).toBe(KafkaCode.NONE);
    await m.timers.advance(200); // the follower has been silent for 1100 ms > its 1000 ms session
    expect(m.membership.group('g')!.state).toBe('PreparingRebalance');
    expect(heartbeat(m, 'g', generation, ids[0]!)).toBe(KafkaCode.REBALANCE_IN_PROGRESS);
    expect(heartbeat(m, 'g', generation, ids[1]!)).toBe(KafkaCode.UNKNOWN_MEMBER_ID);
    const rejoined = await m.membership.join(joinRequest('g', ids[0]!));
    expect(rejoined).toMatchObject({ errorCode: KafkaCode.NONE, generationId: generation + 1, leader: ids[0] });
    expect([...m.membership.group('g')!.members.keys()]).toEqual([ids[0]]);
  });

  it('removes a member that heartbeats but never syncs, after the rebalance timeout (Kafka 3.x)', async () => {
    const m = managers();
    const ids = [(await m.membership.join(joinRequest('g'))).memberId, (await m.membership.join(joinRequest('g'))).memberId];
    await Promise.all(ids.map((id) => m.membership.join(joinRequest('g', id))));
    await m.membership.sync(syncRequest('g', 1, ids[0]!, [{ memberId: ids[0]!, assignment: assignment('t', [0]) }]));
    for (let t = 0; t < 3; t++) {
      await m.timers.advance(500);
      expect(heartbeat(m, 'g', 1, ids[0]!)).toBe(KafkaCode.NONE);
      expect(heartbeat(m, 'g', 1, ids[1]!)).toBe(KafkaCode.NONE);
    }
    await m.timers.advance(500); // 2000 ms: the rebalance timeout of the sync phase
    expect(heartbeat(m, 'g', 1, ids[1]!)).toBe(KafkaCode.UNKNOWN_MEMBER_ID);
    expect(heartbeat(m, 'g', 1, ids[0]!)).toBe(KafkaCode.REBALANCE_IN_PROGRESS);
    expect(m.membership.group('g')!.members.has(ids[1]!)).toBe(false);
  });

  it('forgets a reserved member id that never comes back, and the group with it', async () => {
    const m = managers();
    const first = await m.membership.join(joinRequest('g'));
    expect(first.errorCode).toBe(KafkaCode.MEMBER_ID_REQUIRED);
    await m.timers.advance(1000);
    expect(m.membership.group('g')).toBeUndefined();
  });
});

describe('MembershipManager: leaving, static members', () => {
  it('rebalances when a member leaves and records when the group became empty', async () => {
    const m = managers();
    const { ids } = await stableGroup(m, 'g', 2);
    expect(m.membership.leave('g', [{ memberId: ids[1]!, groupInstanceId: null }])).toEqual({
      errorCode: KafkaCode.NONE,
      members: [{ memberId: ids[1], groupInstanceId: null, errorCode: KafkaCode.NONE }],
    });
    expect(m.membership.group('g')!.state).toBe('PreparingRebalance');
    m.membership.leave('g', [{ memberId: ids[0]!, groupInstanceId: null }]);
    const group = m.membership.group('g')!;
    expect(group.state).toBe('Empty');
    expect(m.store.meta.get('g')).toEqual({ protocolType: 'consumer', emptySince: m.timers.now() });
    expect(m.membership.leave('g', [{ memberId: 'nobody', groupInstanceId: null }]).members[0]!.errorCode).toBe(KafkaCode.UNKNOWN_MEMBER_ID);
  });

  it('lets a static member come back under a new id with its assignment and no rebalance, fencing the old id (KIP-345)', async () => {
    const m = managers();
    const first = await m.membership.join(joinRequest('g', '', { groupInstanceId: 'i1' }));
    expect(first).toMatchObject({ errorCode: KafkaCode.NONE, generationId: 1 });
    const bytes = assignment('t', [0]);
    await m.membership.sync(syncRequest('g', 1, first.memberId, [{ memberId: first.memberId, assignment: bytes }]));

    const again = await m.membership.join(joinRequest('g', '', { groupInstanceId: 'i1' }));
    expect(again).toMatchObject({ errorCode: KafkaCode.NONE, generationId: 1, leader: again.memberId, skipAssignment: true });
    expect(again.memberId).not.toBe(first.memberId);
    expect(m.membership.group('g')!.state).toBe('Stable');
    expect(heartbeat(m, 'g', 1, first.memberId, 'i1')).toBe(KafkaCode.FENCED_INSTANCE_ID);
    expect((await m.membership.sync(syncRequest('g', 1, again.memberId))).assignment).toEqual(bytes);
  });
});

describe('MembershipManager: what the coordinator asks of it', () => {
  it('checks who may commit offsets: a simple commit only to an empty group, else the current generation\'s member', async () => {
    const m = managers();
    const simple = { generationId: -1, memberId: '', groupInstanceId: null };
    expect(m.membership.validateOffsetCommit(m.membership.getOrCreate('empty'), simple)).toBe(KafkaCode.NONE);

    const { ids, generation } = await stableGroup(m, 'g', 1);
    const group = m.membership.group('g')!;
    expect(m.membership.validateOffsetCommit(group, simple)).toBe(KafkaCode.UNKNOWN_MEMBER_ID);
    expect(m.membership.validateOffsetCommit(group, { generationId: generation + 1, memberId: ids[0]!, groupInstanceId: null })).toBe(KafkaCode.ILLEGAL_GENERATION);
    expect(m.membership.validateOffsetCommit(group, { generationId: generation, memberId: ids[0]!, groupInstanceId: null })).toBe(KafkaCode.NONE);

    // A new member joins: while the assignment is handed out, the old generation may not commit.
    const newcomer = (await m.membership.join(joinRequest('g'))).memberId;
    const joins = Promise.all([m.membership.join(joinRequest('g', newcomer)), m.membership.join(joinRequest('g', ids[0]!))]);
    const [, leader] = await joins;
    expect(group.state).toBe('CompletingRebalance');
    expect(m.membership.validateOffsetCommit(group, { generationId: leader.generationId, memberId: ids[0]!, groupInstanceId: null })).toBe(KafkaCode.REBALANCE_IN_PROGRESS);
  });

  it('says which groups DeleteGroups may delete, and forgets a group marked dead', async () => {
    const m = managers();
    await stableGroup(m, 'busy', 1);
    m.membership.getOrCreate('idle');
    expect(m.membership.validateDeleteGroup('unknown')).toBe(KafkaCode.GROUP_ID_NOT_FOUND);
    expect(m.membership.validateDeleteGroup('busy')).toBe(KafkaCode.NON_EMPTY_GROUP);
    expect(m.membership.validateDeleteGroup('idle')).toBe(KafkaCode.NONE);
    const idle = m.membership.group('idle')!;
    m.membership.markDead(idle);
    expect(idle.state).toBe('Dead');
    expect(m.membership.group('idle')).toBeUndefined();
    expect(m.membership.groupIds()).toEqual(['busy']);
  });

  it('describes and lists groups', async () => {
    const m = managers();
    const { ids } = await stableGroup(m, 'g', 1);
    const described = m.membership.describe('g');
    expect(described).toMatchObject({ errorCode: KafkaCode.NONE, groupId: 'g', groupState: 'Stable', protocolType: 'consumer', protocolData: 'range' });
    expect(described.members.map((x) => x.memberId)).toEqual(ids);
    expect(m.membership.describe('nope')).toMatchObject({ errorCode: KafkaCode.NONE, groupState: 'Dead', members: [] });
    expect(m.membership.list()).toEqual({ errorCode: KafkaCode.NONE, groups: [{ groupId: 'g', protocolType: 'consumer', groupState: 'Stable', groupType: 'classic' }] });
    expect(m.membership.list(['empty']).groups).toEqual([]);
  });

  it('refuses requests while the coordinator loads or after it closed', async () => {
    const m = managers();
    m.phase = 'loading';
    expect((await m.membership.join(joinRequest('g'))).errorCode).toBe(KafkaCode.COORDINATOR_LOAD_IN_PROGRESS);
    expect(heartbeat(m, 'g', 1, 'x')).toBe(KafkaCode.COORDINATOR_LOAD_IN_PROGRESS);
    m.phase = 'closed';
    expect((await m.membership.sync(syncRequest('g', 1, 'x'))).errorCode).toBe(KafkaCode.COORDINATOR_NOT_AVAILABLE);
    expect(m.membership.list().errorCode).toBe(KafkaCode.COORDINATOR_NOT_AVAILABLE);
  });

  it('answers every waiting request and stops every timer on close', async () => {
    const m = managers({ initialRebalanceDelayMs: 500 });
    const waiting = m.membership.join(joinRequest('g', '', { requireKnownMemberId: false }));
    expect(m.timers.pending).toBeGreaterThan(0);
    m.phase = 'closed';
    m.membership.close();
    expect((await waiting).errorCode).toBe(KafkaCode.COORDINATOR_NOT_AVAILABLE);
    expect(m.timers.pending).toBe(0);
  });
});
