/**
 * The group coordinator through the broker's handlers, on memory storage with a manual
 * clock: the state machine, KIP-394 and KIP-345 joins, timeouts, every error path.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Broker } from '../../core/broker/broker.ts';
import type { GroupCoordinatorOptions } from '../../core/broker/groups/options.ts';
import { decodeConsumerAssignment } from '../../core/protocol/consumer-protocol.ts';
import { ManualTimers, assignment, commitBody, flush, heartbeatBody, joinBody, subscription, storedOffsetKeys, syncBody } from './group-helpers.ts';
import { call, startedBroker } from './helpers.ts';

const JOIN = 11;
const HEARTBEAT = 12;
const LEAVE = 13;
const SYNC = 14;
const DESCRIBE = 15;
const LIST = 16;
const COMMIT = 8;
const FETCH = 9;
const DELETE = 42;

const open: Broker[] = [];
afterEach(async () => {
  for (const b of open.splice(0)) await b.close();
});

async function setup(groups: Partial<GroupCoordinatorOptions> = {}): Promise<{ b: Broker; timers: ManualTimers }> {
  const timers = new ManualTimers();
  const b = await startedBroker({ groups: { timers, initialRebalanceDelayMs: 0, minSessionTimeoutMs: 100, offsetsRetentionCheckIntervalMs: 0, ...groups } });
  open.push(b);
  await b.topics.create({ name: 't', numPartitions: 6, replicationFactor: 1 });
  return { b, timers };
}

/** Gets a member id the KIP-394 way (JoinGroup v4+ without an id). */
async function memberIdFor(b: Broker, group: string): Promise<string> {
  const r = await call(b, JOIN, 9, joinBody(group));
  expect(r.errorCode).toBe(79);
  expect(r.memberId).toMatch(/^test-/);
  return r.memberId;
}

/** Forms a Stable group of `n` members; returns their ids (leader first) and the generation. */
async function stableGroup(b: Broker, group: string, n: number): Promise<{ ids: string[]; generation: number; leader: string }> {
  const ids: string[] = [];
  for (let i = 0; i < n; i++) ids.push(await memberIdFor(b, group));
  const joins = await Promise.all(ids.map((id) => call(b, JOIN, 9, joinBody(group, id))));
  for (const j of joins) expect(j.errorCode).toBe(0);
  const generation = joins[0].generationId;
  const leader = joins[0].leader;
  expect(new Set(joins.map((j) => j.generationId)).size).toBe(1);
  const syncs = ids.map((id, i) =>
    call(b, SYNC, 5, syncBody(group, generation, id, id === leader ? ids.map((m, k) => ({ memberId: m, assignment: assignment('t', [k]) })) : [])),
  );
  const answers = await Promise.all(syncs);
  for (const [i, s] of answers.entries()) {
    expect(s.errorCode).toBe(0);
    expect(decodeConsumerAssignment(s.assignment).assignedPartitions).toEqual([{ topic: 't', partitions: [i] }]);
  }
  return { ids, generation, leader };
}

describe('joining', () => {
  it('asks for a member id first (KIP-394), then forms a generation led by the first member', async () => {
    const { b } = await setup();
    const id = await memberIdFor(b, 'g');
    const pending = b.groups.group('g')!;
    expect(pending.pendingMembers.has(id)).toBe(true);
    const j = await call(b, JOIN, 9, joinBody('g', id));
    expect(j).toMatchObject({ errorCode: 0, generationId: 1, protocolType: 'consumer', protocolName: 'range', leader: id, memberId: id, skipAssignment: false });
    expect(j.members).toHaveLength(1);
    expect(j.members[0].metadata).toEqual(subscription(['t']));
    expect(b.groups.group('g')!.state).toBe('CompletingRebalance');
    const s = await call(b, SYNC, 5, syncBody('g', 1, id, [{ memberId: id, assignment: assignment('t', [0, 1]) }], { protocolType: 'consumer', protocolName: 'range' }));
    expect(s).toMatchObject({ errorCode: 0, protocolType: 'consumer', protocolName: 'range' });
    expect(b.groups.group('g')!.state).toBe('Stable');
  });

  it('lets JoinGroup v0–3 join without a member id round trip, and answers each version', async () => {
    const { b } = await setup();
    for (let v = 0; v <= 3; v++) {
      const j = await call(b, JOIN, v, joinBody(`old${v}`));
      expect(j.errorCode).toBe(0);
      expect(j.memberId).not.toBe('');
      expect(j.protocolName).toBe('range');
    }
    // v7+: the protocol name is nullable and comes with the type.
    const id = await memberIdFor(b, 'v7');
    const j = await call(b, JOIN, 7, joinBody('v7', id));
    expect(j).toMatchObject({ errorCode: 0, protocolType: 'consumer', protocolName: 'range' });
  });

  it('gives the leader every subscription and each member only its own assignment', async () => {
    const { b } = await setup();
    const { ids, leader } = await stableGroup(b, 'g', 3);
    expect(leader).toBe(ids[0]);
    const d = await call(b, DESCRIBE, 5, { groups: ['g', 'nope'], includeAuthorizedOperations: true });
    expect(d.groups[0]).toMatchObject({ errorCode: 0, groupState: 'Stable', protocolType: 'consumer', protocolData: 'range', authorizedOperations: 328 });
    expect(d.groups[0].members.map((m: any) => m.memberId)).toEqual(ids);
    expect(decodeConsumerAssignment(d.groups[0].members[2].memberAssignment).assignedPartitions[0].partitions).toEqual([2]);
    expect(d.groups[1]).toMatchObject({ errorCode: 0, groupId: 'nope', groupState: 'Dead', members: [] });
  });

  it('waits the initial rebalance delay for more members, extending it while they keep coming', async () => {
    const { b, timers } = await setup({ initialRebalanceDelayMs: 100 });
    const a = call(b, JOIN, 3, joinBody('g', '', { rebalance: 1000 }));
    await timers.advance(90);
    const c = call(b, JOIN, 3, joinBody('g', '', { rebalance: 1000 }));
    await timers.advance(50); // past the first delay: extended because a member arrived
    expect(b.groups.group('g')!.state).toBe('PreparingRebalance');
    await timers.advance(60);
    const [ja, jc] = await Promise.all([a, c]);
    expect(ja.generationId).toBe(1);
    expect(jc.generationId).toBe(1);
    expect(ja.members.length + jc.members.length).toBe(2);
  });

  it('rebalances when a member joins a stable group; heartbeats say REBALANCE_IN_PROGRESS until all rejoin', async () => {
    const { b } = await setup();
    const { ids, generation } = await stableGroup(b, 'g', 2);
    expect(await call(b, HEARTBEAT, 4, heartbeatBody('g', generation, ids[1]!))).toMatchObject({ errorCode: 0 });
    const newcomer = await memberIdFor(b, 'g');
    const joinNew = call(b, JOIN, 9, joinBody('g', newcomer));
    await flush();
    expect(b.groups.group('g')!.state).toBe('PreparingRebalance');
    expect((await call(b, HEARTBEAT, 4, heartbeatBody('g', generation, ids[1]!))).errorCode).toBe(27);
    expect((await call(b, SYNC, 5, syncBody('g', generation, ids[1]!))).errorCode).toBe(27);
    const rejoins = ids.map((id) => call(b, JOIN, 9, joinBody('g', id)));
    const all = await Promise.all([joinNew, ...rejoins]);
    expect(all.map((j) => j.generationId)).toEqual([generation + 1, generation + 1, generation + 1]);
    expect(all.filter((j) => j.members.length === 3)).toHaveLength(1);
  });

  it('answers a rejoin in CompletingRebalance with the same metadata with the current generation', async () => {
    const { b } = await setup();
    const id = await memberIdFor(b, 'g');
    const first = await call(b, JOIN, 9, joinBody('g', id));
    const again = await call(b, JOIN, 9, joinBody('g', id));
    expect(again).toMatchObject({ errorCode: 0, generationId: first.generationId, leader: id });
    expect(again.members).toHaveLength(1);
    expect(b.groups.group('g')!.state).toBe('CompletingRebalance');
  });

  it('lets an unchanged follower rejoin a stable group without a rebalance; a changed one triggers it', async () => {
    const { b } = await setup();
    const { ids, generation } = await stableGroup(b, 'g', 2);
    const same = await call(b, JOIN, 9, joinBody('g', ids[1]!));
    expect(same).toMatchObject({ errorCode: 0, generationId: generation, members: [] });
    expect(b.groups.group('g')!.state).toBe('Stable');
    const changed = call(b, JOIN, 9, joinBody('g', ids[1]!, { protocols: [{ name: 'range', metadata: subscription(['t', 'u']) }] }));
    await flush();
    expect(b.groups.group('g')!.state).toBe('PreparingRebalance');
    const leader = call(b, JOIN, 9, joinBody('g', ids[0]!));
    expect((await changed).generationId).toBe(generation + 1);
    expect((await leader).members).toHaveLength(2);
  });

  it('picks the protocol most members prefer among those all support', async () => {
    const { b, timers } = await setup({ initialRebalanceDelayMs: 100 });
    const p = (names: string[]) => names.map((name) => ({ name, metadata: subscription(['t']) }));
    const joins = Promise.all([
      call(b, JOIN, 3, joinBody('g', '', { protocols: p(['range', 'roundrobin', 'sticky']) })),
      call(b, JOIN, 3, joinBody('g', '', { protocols: p(['roundrobin', 'range']) })),
      call(b, JOIN, 3, joinBody('g', '', { protocols: p(['sticky', 'roundrobin']) })),
    ]);
    await timers.advance(300); // each arrival during the delay extends it
    // Only roundrobin is common to all three.
    expect((await joins).map((j) => [j.errorCode, j.protocolName])).toEqual([[0, 'roundrobin'], [0, 'roundrobin'], [0, 'roundrobin']]);
  });
});

describe('errors', () => {
  it('rejects session timeouts outside the broker bounds', async () => {
    const { b } = await setup({ minSessionTimeoutMs: 500, maxSessionTimeoutMs: 5000 });
    expect((await call(b, JOIN, 9, joinBody('g', '', { session: 499 }))).errorCode).toBe(26);
    expect((await call(b, JOIN, 9, joinBody('g', '', { session: 5001 }))).errorCode).toBe(26);
    expect((await call(b, JOIN, 9, joinBody('g', '', { session: 500 }))).errorCode).toBe(79);
  });

  it('rejects an empty group id, a protocol type or protocols that do not fit', async () => {
    const { b } = await setup();
    expect((await call(b, JOIN, 9, joinBody(''))).errorCode).toBe(24);
    expect((await call(b, JOIN, 9, joinBody('g', '', { protocols: [] }))).errorCode).toBe(23);
    expect(b.groups.group('g')).toBeUndefined();
    const { generation, ids } = await stableGroup(b, 'g', 1);
    expect((await call(b, JOIN, 9, joinBody('g', '', { protocolType: 'connect' }))).errorCode).toBe(23);
    expect((await call(b, JOIN, 9, joinBody('g', '', { protocols: [{ name: 'sticky', metadata: subscription(['t']) }] }))).errorCode).toBe(23);
    // SyncGroup v5 names the protocol: it must be the group's.
    expect((await call(b, SYNC, 5, syncBody('g', generation, ids[0]!, [], { protocolName: 'sticky' }))).errorCode).toBe(23);
    expect((await call(b, SYNC, 5, syncBody('g', generation, ids[0]!, [], { protocolType: 'connect' }))).errorCode).toBe(23);
  });

  it('answers unknown members, unknown groups and stale generations', async () => {
    const { b } = await setup();
    expect((await call(b, JOIN, 9, joinBody('nogroup', 'someone'))).errorCode).toBe(25);
    expect((await call(b, HEARTBEAT, 4, heartbeatBody('nogroup', 1, 'x'))).errorCode).toBe(25);
    expect((await call(b, SYNC, 5, syncBody('nogroup', 1, 'x'))).errorCode).toBe(25);
    const { ids, generation } = await stableGroup(b, 'g', 1);
    expect((await call(b, JOIN, 9, joinBody('g', 'stranger'))).errorCode).toBe(25);
    expect((await call(b, HEARTBEAT, 4, heartbeatBody('g', generation, 'stranger'))).errorCode).toBe(25);
    expect((await call(b, HEARTBEAT, 4, heartbeatBody('g', generation - 1, ids[0]!))).errorCode).toBe(22);
    expect((await call(b, SYNC, 5, syncBody('g', generation + 1, ids[0]!))).errorCode).toBe(22);
    expect((await call(b, HEARTBEAT, 0, heartbeatBody('g', generation, ids[0]!))).errorCode).toBe(0);
    expect((await call(b, HEARTBEAT, 12 - 12, heartbeatBody('', generation, ids[0]!))).errorCode).toBe(24);
  });

  it('answers COORDINATOR_NOT_AVAILABLE after close and answers waiting joins', async () => {
    const { b, timers } = await setup({ initialRebalanceDelayMs: 1000 });
    const waiting = call(b, JOIN, 3, joinBody('g'));
    await flush();
    expect(timers.pending).toBeGreaterThan(0);
    await b.close();
    open.splice(open.indexOf(b), 1);
    expect((await waiting).errorCode).toBe(15);
    expect(timers.pending).toBe(0);
    expect((await call(b, HEARTBEAT, 4, heartbeatBody('g', 0, 'x'))).errorCode).toBe(15);
  });

  it('leaves no timer behind at close, whatever state its groups are in', async () => {
    const { b, timers } = await setup({ offsetsRetentionCheckIntervalMs: 60_000 });
    await stableGroup(b, 'stable', 2);
    const ids = [await memberIdFor(b, 'completing'), await memberIdFor(b, 'completing')];
    await Promise.all(ids.map((id) => call(b, JOIN, 9, joinBody('completing', id))));
    expect(b.groups.group('completing')!.state).toBe('CompletingRebalance');
    await memberIdFor(b, 'pending');
    const waiting = call(b, SYNC, 5, syncBody('completing', 1, ids.find((id) => id !== b.groups.group('completing')!.leaderId)!));
    await flush();
    expect(timers.pending).toBeGreaterThan(0);
    await b.close();
    open.splice(open.indexOf(b), 1);
    expect(timers.pending).toBe(0);
    expect((await waiting).errorCode).toBe(15);
  });

  it('caps the group size', async () => {
    const { b } = await setup({ maxGroupSize: 1 });
    await stableGroup(b, 'g', 1);
    expect((await call(b, JOIN, 9, joinBody('g'))).errorCode).toBe(81);
  });
});

describe('timeouts', () => {
  it('removes a member whose session expires and rebalances the rest', async () => {
    const { b, timers } = await setup();
    const { ids, generation } = await stableGroup(b, 'g', 2);
    // Only the second member keeps heartbeating.
    for (let i = 0; i < 3; i++) {
      await timers.advance(400);
      expect((await call(b, HEARTBEAT, 4, heartbeatBody('g', generation, ids[1]!))).errorCode).toBe(i < 2 ? 0 : 27);
    }
    expect(b.groups.group('g')!.members.has(ids[0]!)).toBe(false);
    const j = await call(b, JOIN, 9, joinBody('g', ids[1]!));
    expect(j).toMatchObject({ errorCode: 0, generationId: generation + 1, leader: ids[1] });
    expect(j.members).toHaveLength(1);
  });

  it('removes members that do not rejoin within the rebalance timeout', async () => {
    const { b, timers } = await setup();
    const { ids, generation } = await stableGroup(b, 'g', 3);
    const rejoin0 = call(b, JOIN, 9, joinBody('g', ids[0]!, { rebalance: 2000 }));
    const rejoin1 = call(b, JOIN, 9, joinBody('g', ids[1]!, { rebalance: 2000 }));
    await flush();
    expect(b.groups.group('g')!.state).toBe('PreparingRebalance');
    // ids[2] stays alive (heartbeats) but never rejoins; the sessions of waiting members do not expire.
    for (let i = 0; i < 3; i++) {
      await timers.advance(600);
      expect((await call(b, HEARTBEAT, 4, heartbeatBody('g', generation, ids[2]!))).errorCode).toBe(27);
    }
    await timers.advance(200);
    const [a, c] = await Promise.all([rejoin0, rejoin1]);
    expect(a.generationId).toBe(generation + 1);
    expect(c.generationId).toBe(generation + 1);
    expect([...b.groups.group('g')!.members.keys()]).toEqual([ids[0], ids[1]]);
    expect((await call(b, HEARTBEAT, 4, heartbeatBody('g', generation + 1, ids[2]!))).errorCode).toBe(25);
  });

  it('expires an unused pending member id', async () => {
    const { b, timers } = await setup();
    const id = await memberIdFor(b, 'g');
    await timers.advance(1000);
    expect(b.groups.group('g')).toBeUndefined();
    expect((await call(b, JOIN, 9, joinBody('g', id))).errorCode).toBe(25);
  });

  it('sends REBALANCE_IN_PROGRESS to members waiting in SyncGroup when the leader dies', async () => {
    const { b, timers } = await setup();
    const ids = [await memberIdFor(b, 'g'), await memberIdFor(b, 'g')];
    const joins = await Promise.all(ids.map((id) => call(b, JOIN, 9, joinBody('g', id))));
    const follower = joins.findIndex((j) => j.members.length === 0);
    const waiting = call(b, SYNC, 5, syncBody('g', joins[0].generationId, ids[follower]!));
    await timers.advance(1000); // the leader never syncs: its session ends
    expect((await waiting).errorCode).toBe(27);
  });
});

describe('pending SyncGroup (rebalance timeout after the join phase)', () => {
  it('removes a leader that heartbeats but never sends the assignment, and the rest rebalance', async () => {
    const { b, timers } = await setup();
    const ids = [await memberIdFor(b, 'g'), await memberIdFor(b, 'g')];
    const joins = await Promise.all(ids.map((id) => call(b, JOIN, 9, joinBody('g', id, { rebalance: 2000 }))));
    const generation = joins[0].generationId;
    const leader = joins[0].leader;
    const follower = ids.find((id) => id !== leader)!;
    const waiting = call(b, SYNC, 5, syncBody('g', generation, follower));
    for (let i = 0; i < 4; i++) {
      await timers.advance(400);
      expect((await call(b, HEARTBEAT, 4, heartbeatBody('g', generation, leader))).errorCode).toBe(0);
    }
    expect(b.groups.group('g')!.state).toBe('CompletingRebalance');
    await timers.advance(400);
    expect((await waiting).errorCode).toBe(27);
    expect([...b.groups.group('g')!.members.keys()]).toEqual([follower]);
    expect((await call(b, HEARTBEAT, 4, heartbeatBody('g', generation, leader))).errorCode).toBe(25);
    const again = await call(b, JOIN, 9, joinBody('g', follower));
    expect(again).toMatchObject({ errorCode: 0, generationId: generation + 1, leader: follower });
  });

  it('removes a follower that never fetches its assignment from a stable group', async () => {
    const { b, timers } = await setup();
    const ids = [await memberIdFor(b, 'g'), await memberIdFor(b, 'g')];
    const joins = await Promise.all(ids.map((id) => call(b, JOIN, 9, joinBody('g', id, { rebalance: 2000 }))));
    const generation = joins[0].generationId;
    const leader = joins[0].leader;
    const silent = ids.find((id) => id !== leader)!;
    expect((await call(b, SYNC, 5, syncBody('g', generation, leader, ids.map((m, k) => ({ memberId: m, assignment: assignment('t', [k]) }))))).errorCode).toBe(0);
    expect(b.groups.group('g')!.state).toBe('Stable');
    for (let i = 0; i < 5; i++) {
      await timers.advance(400);
      expect((await call(b, HEARTBEAT, 4, heartbeatBody('g', generation, leader))).errorCode).toBe(i < 4 ? 0 : 27);
      expect((await call(b, HEARTBEAT, 4, heartbeatBody('g', generation, silent))).errorCode).toBe(i < 4 ? 0 : 25);
    }
    expect(b.groups.group('g')!.state).toBe('PreparingRebalance');
    expect([...b.groups.group('g')!.members.keys()]).toEqual([leader]);
  });

  it('stops waiting once every member has synced', async () => {
    const { b, timers } = await setup();
    const { ids, generation } = await stableGroup(b, 'g', 3);
    for (let i = 0; i < 10; i++) {
      await timers.advance(400);
      for (const id of ids) expect((await call(b, HEARTBEAT, 4, heartbeatBody('g', generation, id))).errorCode).toBe(0);
    }
    expect(b.groups.group('g')!.state).toBe('Stable');
    expect(b.groups.group('g')!.syncTimer).toBeUndefined();
  });
});

describe('leaving', () => {
  it('removes a member (v0 and v3+ batches) and reports unknown ones', async () => {
    const { b } = await setup();
    const { ids } = await stableGroup(b, 'g', 3);
    expect((await call(b, LEAVE, 0, { groupId: 'g', memberId: ids[2] })).errorCode).toBe(0);
    expect((await call(b, LEAVE, 1, { groupId: 'g', memberId: 'nobody' })).errorCode).toBe(25);
    expect(b.groups.group('g')!.state).toBe('PreparingRebalance');
    const r = await call(b, LEAVE, 5, { groupId: 'g', members: [{ memberId: ids[0], groupInstanceId: null, reason: 'bye' }, { memberId: 'nobody', groupInstanceId: null, reason: null }] });
    expect(r.errorCode).toBe(0);
    expect(r.members.map((m: any) => m.errorCode)).toEqual([0, 25]);
    const unknown = await call(b, LEAVE, 3, { groupId: 'none', members: [{ memberId: 'x', groupInstanceId: null }] });
    expect(unknown.members[0].errorCode).toBe(25);
    // The last member rejoins alone, then leaves: the group becomes Empty with a new generation.
    const j = await call(b, JOIN, 9, joinBody('g', ids[1]!));
    expect(j.errorCode).toBe(0);
    await call(b, LEAVE, 4, { groupId: 'g', members: [{ memberId: ids[1], groupInstanceId: null }] });
    expect(b.groups.group('g')!.state).toBe('Empty');
    expect(b.groups.group('g')!.generationId).toBe(j.generationId + 1);
  });

  it('lets a pending member leave', async () => {
    const { b } = await setup();
    const id = await memberIdFor(b, 'g');
    const r = await call(b, LEAVE, 5, { groupId: 'g', members: [{ memberId: id, groupInstanceId: null, reason: null }] });
    expect(r.members[0].errorCode).toBe(0);
    expect(b.groups.group('g')).toBeUndefined();
  });
});

describe('static membership (KIP-345)', () => {
  it('joins without MEMBER_ID_REQUIRED and replaces the old id on rejoin without a rebalance', async () => {
    const { b } = await setup();
    const first = await call(b, JOIN, 9, joinBody('s', '', { instance: 'a' }));
    expect(first.errorCode).toBe(0);
    const gen = first.generationId;
    const second = call(b, JOIN, 9, joinBody('s', '', { instance: 'b' }));
    await flush();
    const rejoinA = call(b, JOIN, 9, joinBody('s', first.memberId, { instance: 'a' }));
    const [jb, ja] = await Promise.all([second, rejoinA]);
    const leaderId = ja.leader;
    const leaderIsA = leaderId === ja.memberId;
    const assignments = [{ memberId: ja.memberId, assignment: assignment('t', [0, 1, 2]) }, { memberId: jb.memberId, assignment: assignment('t', [3, 4, 5]) }];
    const syncs = await Promise.all([
      call(b, SYNC, 5, syncBody('s', ja.generationId, ja.memberId, leaderIsA ? assignments : [], { groupInstanceId: 'a' })),
      call(b, SYNC, 5, syncBody('s', jb.generationId, jb.memberId, leaderIsA ? [] : assignments, { groupInstanceId: 'b' })),
    ]);
    expect(syncs.map((s) => s.errorCode)).toEqual([0, 0]);
    expect(gen).toBeLessThan(ja.generationId);
    // 'b' restarts: same instance id, no member id, same subscription.
    const replaced = await call(b, JOIN, 9, joinBody('s', '', { instance: 'b' }));
    expect(replaced.errorCode).toBe(0);
    expect(replaced.memberId).not.toBe(jb.memberId);
    expect(replaced.generationId).toBe(jb.generationId);
    expect(b.groups.group('s')!.state).toBe('Stable');
    const s = await call(b, SYNC, 5, syncBody('s', replaced.generationId, replaced.memberId, [], { groupInstanceId: 'b' }));
    expect(decodeConsumerAssignment(s.assignment).assignedPartitions[0]!.partitions).toEqual([3, 4, 5]);
    // The old incarnation is fenced everywhere.
    expect((await call(b, HEARTBEAT, 4, heartbeatBody('s', jb.generationId, jb.memberId, 'b'))).errorCode).toBe(82);
    expect((await call(b, JOIN, 9, joinBody('s', jb.memberId, { instance: 'b' }))).errorCode).toBe(82);
    expect((await call(b, SYNC, 5, syncBody('s', jb.generationId, jb.memberId, [], { groupInstanceId: 'b' }))).errorCode).toBe(82);
    expect((await call(b, COMMIT, 8, commitBody('s', jb.generationId, jb.memberId, [['t', 0, 1, null]], { groupInstanceId: 'b' }))).topics[0].partitions[0].errorCode).toBe(82);
    const leave = await call(b, LEAVE, 5, { groupId: 's', members: [{ memberId: jb.memberId, groupInstanceId: 'b', reason: null }] });
    expect(leave.members[0].errorCode).toBe(82);
    // Administrative removal by instance id alone.
    const admin = await call(b, LEAVE, 5, { groupId: 's', members: [{ memberId: '', groupInstanceId: 'b', reason: null }, { memberId: '', groupInstanceId: 'zz', reason: null }] });
    expect(admin.members.map((m: any) => m.errorCode)).toEqual([0, 25]);
    expect(b.groups.group('s')!.state).toBe('PreparingRebalance');
  });

  it('tells a replaced leader on v9 to skip the assignment, and rebalances on a changed protocol', async () => {
    const { b } = await setup();
    const only = await call(b, JOIN, 9, joinBody('s', '', { instance: 'a' }));
    await call(b, SYNC, 5, syncBody('s', only.generationId, only.memberId, [{ memberId: only.memberId, assignment: assignment('t', [0]) }]));
    const back = await call(b, JOIN, 9, joinBody('s', '', { instance: 'a' }));
    expect(back).toMatchObject({ errorCode: 0, generationId: only.generationId, skipAssignment: true });
    expect(back.leader).toBe(back.memberId);
    expect(back.members).toHaveLength(1);
    // A changed subscription is a rebalance, even for the same instance.
    const changed = await call(b, JOIN, 9, joinBody('s', '', { instance: 'a', protocols: [{ name: 'range', metadata: subscription(['t', 'u']) }] }));
    expect(changed).toMatchObject({ errorCode: 0, generationId: only.generationId + 1, protocolName: 'range' });
    expect(changed.members).toHaveLength(1);
  });
});

describe('offsets', () => {
  it('commits outside group management and fetches with metadata (every OffsetFetch shape)', async () => {
    const { b } = await setup();
    const c = await call(b, COMMIT, 2, { ...commitBody('simple', -1, '', [['t', 0, 10, 'meta'], ['t', 1, 20, null], ['zz', 0, 1, null]]), retentionTimeMs: -1 });
    expect(c.topics.map((t: any) => t.partitions.map((p: any) => p.errorCode))).toEqual([[0, 0], [3]]);
    const v0 = await call(b, COMMIT, 0, { groupId: 'simple', topics: [{ name: 't', partitions: [{ partitionIndex: 2, committedOffset: 30, committedMetadata: 'v0' }] }] });
    expect(v0.topics[0].partitions[0].errorCode).toBe(0);
    const f1 = await call(b, FETCH, 1, { groupId: 'simple', topics: [{ name: 't', partitionIndexes: [0, 1, 5] }] });
    expect(f1.topics[0].partitions).toEqual([
      expect.objectContaining({ partitionIndex: 0, committedOffset: 10, metadata: 'meta', errorCode: 0 }),
      expect.objectContaining({ partitionIndex: 1, committedOffset: 20, metadata: '', errorCode: 0 }),
      expect.objectContaining({ partitionIndex: 5, committedOffset: -1, metadata: '', errorCode: 0 }),
    ]);
    const all = await call(b, FETCH, 7, { groupId: 'simple', topics: null, requireStable: true });
    expect(all.errorCode).toBe(0);
    expect(all.topics[0].partitions.map((p: any) => [p.partitionIndex, p.committedOffset])).toEqual([[0, 10], [1, 20], [2, 30]]);
    const multi = await call(b, FETCH, 9, {
      groups: [
        { groupId: 'simple', memberId: null, memberEpoch: -1, topics: [{ name: 't', partitionIndexes: [2] }] },
        { groupId: 'unknown', memberId: null, memberEpoch: -1, topics: null },
      ],
      requireStable: false,
    });
    expect(multi.groups[0].topics[0].partitions[0]).toMatchObject({ committedOffset: 30, metadata: 'v0' });
    expect(multi.groups[1]).toMatchObject({ groupId: 'unknown', errorCode: 0, topics: [] });
  });

  it('checks generation and membership of commits from group members', async () => {
    const { b } = await setup({ offsetMetadataMaxBytes: 8 });
    const { ids, generation } = await stableGroup(b, 'g', 2);
    const code = async (body: Record<string, unknown>, v = 8) => (await call(b, COMMIT, v, body)).topics[0].partitions[0].errorCode;
    expect(await code(commitBody('g', generation, ids[0]!, [['t', 0, 5, 'ok']]))).toBe(0);
    expect(await code(commitBody('g', generation - 1, ids[0]!, [['t', 0, 5, null]]))).toBe(22);
    expect(await code(commitBody('g', generation, 'stranger', [['t', 0, 5, null]]))).toBe(25);
    expect(await code(commitBody('g', -1, '', [['t', 0, 5, null]]))).toBe(25);
    expect(await code(commitBody('g', generation, ids[0]!, [['t', 0, 5, 'far too long']]))).toBe(12);
    expect(await code(commitBody('nogroup', 3, 'x', [['t', 0, 5, null]]))).toBe(22);
    // A member id without a generation is not a simple commit: it must be a member.
    expect(await code(commitBody('g', -1, 'stranger', [['t', 0, 5, null]]))).toBe(25);
    // During CompletingRebalance a commit is REBALANCE_IN_PROGRESS.
    const newcomer = await memberIdFor(b, 'g');
    const joins = await Promise.all([newcomer, ...ids].map((id) => call(b, JOIN, 9, joinBody('g', id))));
    expect(await code(commitBody('g', joins[0].generationId, ids[0]!, [['t', 0, 6, null]]))).toBe(27);
    // Membership and generation are checked first, as Kafka does.
    expect(await code(commitBody('g', generation, ids[0]!, [['t', 0, 6, null]]))).toBe(22);
    expect(await code(commitBody('g', joins[0].generationId, 'stranger', [['t', 0, 6, null]]))).toBe(25);
    const f = await call(b, FETCH, 8, { groups: [{ groupId: 'g', topics: [{ name: 't', partitionIndexes: [0] }] }], requireStable: false });
    expect(f.groups[0].topics[0].partitions[0]).toMatchObject({ committedOffset: 5, metadata: 'ok' });
  });

  it('expires the offsets of an empty consumer group after the retention, counted from when it emptied', async () => {
    const { b, timers } = await setup({ offsetsRetentionMs: 10_000 });
    const { ids, generation } = await stableGroup(b, 'g', 1);
    await call(b, COMMIT, 8, commitBody('g', generation, ids[0]!, [['t', 0, 7, null]]));
    await call(b, COMMIT, 8, commitBody('simple', -1, '', [['t', 1, 3, null]]));
    await call(b, COMMIT, 3, { ...commitBody('explicit', -1, '', [['t', 2, 4, null]]), retentionTimeMs: 1000 });
    for (let i = 0; i < 10; i++) {
      await timers.advance(900);
      expect((await call(b, HEARTBEAT, 4, heartbeatBody('g', generation, ids[0]!))).errorCode).toBe(0);
    }
    await call(b, LEAVE, 5, { groupId: 'g', members: [{ memberId: ids[0], groupInstanceId: null, reason: null }] });
    expect(b.groups.group('g')!.state).toBe('Empty');
    expect(await b.groups.expireOffsets()).toBe(1); // only the explicit retention so far
    await timers.advance(1_000);
    expect(await b.groups.expireOffsets()).toBe(1); // 'simple': 10 s after its commit
    expect(b.groups.offsetCount('g')).toBe(1);
    await timers.advance(8_999);
    expect(await b.groups.expireOffsets()).toBe(0);
    await timers.advance(1);
    expect(await b.groups.expireOffsets()).toBe(1);
    expect(b.groups.groupIds()).toEqual([]);
    expect(await b.storage.metadata.list('group-')).toEqual([]);
  });

  it('keeps an active group\'s offsets however old', async () => {
    const { b, timers } = await setup({ offsetsRetentionMs: 1000 });
    const { ids, generation } = await stableGroup(b, 'g', 1);
    await call(b, COMMIT, 8, commitBody('g', generation, ids[0]!, [['t', 0, 7, null]]));
    for (let i = 0; i < 5; i++) {
      await timers.advance(500);
      await call(b, HEARTBEAT, 4, heartbeatBody('g', generation, ids[0]!));
    }
    expect(await b.groups.expireOffsets()).toBe(0);
  });
});
  it('expires a stable consumer group\'s offsets of topics no member subscribes to, counted from the commit', async () => {
    const { b, timers } = await setup({ offsetsRetentionMs: 1000 });
    await b.topics.create({ name: 'old', numPartitions: 1, replicationFactor: 1 });
    const { ids, generation } = await stableGroup(b, 'g', 1);
    await call(b, COMMIT, 8, commitBody('g', generation, ids[0]!, [['t', 0, 7, null], ['old', 0, 3, null]]));
    await timers.advance(500);
    await call(b, HEARTBEAT, 4, heartbeatBody('g', generation, ids[0]!));
    expect(await b.groups.expireOffsets()).toBe(0);
    await timers.advance(500);
    await call(b, HEARTBEAT, 4, heartbeatBody('g', generation, ids[0]!));
    expect(await b.groups.expireOffsets()).toBe(1);
    expect(b.groups.committedTopics('g')).toEqual(['t']);
    expect(await storedOffsetKeys(b.storage)).toEqual(['group-offsets/g/t/0']);
  });


describe('listing and deleting', () => {
  it('lists groups with state and type filters', async () => {
    const { b } = await setup();
    await stableGroup(b, 'active', 1);
    await call(b, COMMIT, 8, commitBody('idle', -1, '', [['t', 0, 1, null]]));
    const all = await call(b, LIST, 3, {});
    expect(all.groups.map((g: any) => g.groupId).sort()).toEqual(['active', 'idle']);
    const stable = await call(b, LIST, 4, { statesFilter: ['stable'] });
    expect(stable.groups).toEqual([{ groupId: 'active', protocolType: 'consumer', groupState: 'Stable', groupType: 'classic' }]);
    const typed = await call(b, LIST, 5, { statesFilter: [], typesFilter: ['consumer'] });
    expect(typed.groups).toEqual([]);
    const classic = await call(b, LIST, 5, { statesFilter: ['Empty'], typesFilter: ['Classic'] });
    expect(classic.groups.map((g: any) => g.groupId)).toEqual(['idle']);
  });

  it('deletes only empty groups, with their offsets', async () => {
    const { b } = await setup();
    await stableGroup(b, 'active', 1);
    await call(b, COMMIT, 8, commitBody('idle', -1, '', [['t', 0, 1, null]]));
    const r = await call(b, DELETE, 2, { groupsNames: ['active', 'idle', 'none'] });
    expect(r.results).toEqual([{ groupId: 'active', errorCode: 68 }, { groupId: 'idle', errorCode: 0 }, { groupId: 'none', errorCode: 69 }]);
    expect((await call(b, FETCH, 5, { groupId: 'idle', topics: [{ name: 't', partitionIndexes: [0] }] })).topics[0].partitions[0].committedOffset).toBe(-1);
    expect(await storedOffsetKeys(b.storage, 'group-offsets/idle')).toEqual([]);
  });
});

describe('FindCoordinator', () => {
  it('names this broker for groups in every version, batched from v4', async () => {
    const { b } = await setup();
    for (let v = 0; v <= 3; v++) expect(await call(b, 10, v, { key: 'g', keyType: 0 })).toMatchObject({ errorCode: 0, nodeId: 1, port: 9092 });
    const batched = await call(b, 10, 4, { keyType: 0, coordinatorKeys: ['a', 'b'] });
    expect(batched.coordinators.map((c: any) => [c.key, c.nodeId, c.errorCode])).toEqual([['a', 1, 0], ['b', 1, 0]]);
    expect(b.supports(10, 4)).toBe(true);
    for (const key of [8, 9, 11, 12, 13, 14, 15, 16, 22, 42]) expect(b.handles(key)).toBe(true);
  });
});
