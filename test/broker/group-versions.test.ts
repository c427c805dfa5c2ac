/**
 * Every advertised version of the group APIs and InitProducerId over the wire: requests
 * encoded by the protocol codec, served by a broker behind TCP, responses decoded, and each
 * version's own fields checked (the coordinator tests call the handlers directly).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { memoryStorage } from '../../adapters/memory/index.ts';
import { startServer, type TributaryServer } from '../../adapters/server/index.ts';
import { Broker } from '../../core/broker/broker.ts';
import { DEFAULT_HANDLERS } from '../../core/broker/api/preset.ts';
import { decodeResponse, encodeRequest } from '../../core/protocol/index.ts';
import { assignment, subscription } from './group-helpers.ts';
import { RawClient } from './raw-client.ts';

const COMMIT = 8;
const FETCH = 9;
const FIND = 10;
const JOIN = 11;
const HEARTBEAT = 12;
const LEAVE = 13;
const SYNC = 14;
const DESCRIBE = 15;
const LIST = 16;
const INIT_PID = 22;
const DELETE = 42;

let server: TributaryServer;
let client: RawClient;
let correlation = 0;
beforeAll(async () => {
  const broker = new Broker({ handlers: DEFAULT_HANDLERS, storage: memoryStorage(), retentionCheckIntervalMs: 0, groups: { initialRebalanceDelayMs: 0, offsetsRetentionCheckIntervalMs: 0 } });
  server = await startServer(broker, { port: 0 });
  await broker.topics.create({ name: 't', numPartitions: 2, replicationFactor: 1 });
  client = await RawClient.connect(server.port);
});
afterAll(async () => {
  client?.close();
  await server?.close();
});

async function rt(apiKey: number, apiVersion: number, body: object): Promise<any> {
  const id = ++correlation;
  const before = client.frames.length;
  client.write(...encodeRequest({ apiKey, apiVersion, correlationId: id, clientId: 'versions' }, body));
  const frames = await client.waitFrames(before + 1);
  const response = decodeResponse(apiKey, apiVersion, frames[before]!);
  expect(response.correlationId).toBe(id);
  return response.body;
}

/** The advertised versions of an API, lowest first. */
function versions(apiKey: number): number[] {
  const range = server.broker.apiVersions().find((r) => r.apiKey === apiKey)!;
  return Array.from({ length: range.maxVersion - range.minVersion + 1 }, (_, i) => range.minVersion + i);
}

const SUBSCRIPTION = subscription(['t']);
const ASSIGNMENT = assignment('t', [0, 1]);

function joinRequest(groupId: string, memberId: string, instance: string | null = null): object {
  return {
    groupId, sessionTimeoutMs: 10_000, rebalanceTimeoutMs: 10_000, memberId, groupInstanceId: instance,
    protocolType: 'consumer', protocols: [{ name: 'range', metadata: SUBSCRIPTION }], reason: null,
  };
}

/** A JoinGroup in version `v` that completes (with the KIP-394 round trip from v4). */
async function join(v: number, groupId: string, instance: string | null = null): Promise<any> {
  let r = await rt(JOIN, v, joinRequest(groupId, '', instance));
  if (r.errorCode === 79) {
    expect(v).toBeGreaterThanOrEqual(4);
    r = await rt(JOIN, v, joinRequest(groupId, r.memberId, instance));
  }
  expect(r.errorCode).toBe(0);
  return r;
}

/** A stable one-member group (JoinGroup v5, SyncGroup v3): its member id and generation. */
async function stable(groupId: string, instance: string | null = null): Promise<{ memberId: string; generationId: number }> {
  const j = await join(5, groupId, instance);
  const s = await rt(SYNC, 3, { groupId, generationId: j.generationId, memberId: j.memberId, groupInstanceId: instance, assignments: [{ memberId: j.memberId, assignment: ASSIGNMENT }] });
  expect(s.errorCode).toBe(0);
  return { memberId: j.memberId, generationId: j.generationId };
}

describe('group APIs over the wire, every advertised version', () => {
  it('advertises the ranges the clients need (CLIENTS.md)', () => {
    const range = (k: number) => server.broker.apiVersions().find((r) => r.apiKey === k);
    const need: Array<[number, number, number]> = [[COMMIT, 0, 8], [FETCH, 1, 8], [FIND, 0, 4], [JOIN, 0, 6], [HEARTBEAT, 0, 4], [LEAVE, 0, 4], [SYNC, 0, 4], [DESCRIBE, 0, 5], [LIST, 0, 4], [INIT_PID, 0, 3], [DELETE, 0, 2]];
    for (const [key, min, max] of need) {
      expect(range(key)!.minVersion, `API ${key}`).toBeLessThanOrEqual(min);
      expect(range(key)!.maxVersion, `API ${key}`).toBeGreaterThanOrEqual(max);
    }
  });

  it('FindCoordinator names this broker (one key before v4, a batch from v4)', async () => {
    for (const v of versions(FIND)) {
      const r = await rt(FIND, v, { key: 'g', keyType: 0, coordinatorKeys: ['g', 'h'] });
      if (v >= 4) {
        expect(r.coordinators.map((c: any) => [c.key, c.nodeId, c.port, c.errorCode]), `v${v}`).toEqual([['g', 1, server.port, 0], ['h', 1, server.port, 0]]);
      } else {
        expect(r, `v${v}`).toMatchObject({ errorCode: 0, nodeId: 1, port: server.port });
      }
    }
  });

  it('JoinGroup: leader, members and, per version, instance ids, protocol type/name and skipAssignment', async () => {
    for (const v of versions(JOIN)) {
      const instance = v >= 5 ? `inst-${v}` : null;
      const r = await join(v, `join-${v}`, instance);
      expect(r.generationId, `v${v}`).toBe(1);
      expect(r.leader).toBe(r.memberId);
      expect(r.protocolName).toBe('range');
      expect(r.members.map((m: any) => m.memberId)).toEqual([r.memberId]);
      expect(r.members[0].metadata).toEqual(SUBSCRIPTION);
      if (v >= 5) expect(r.members[0].groupInstanceId).toBe(instance);
      if (v >= 7) expect(r.protocolType).toBe('consumer');
      if (v >= 9) expect(r.skipAssignment).toBe(false);
    }
  });

  it('SyncGroup: each member gets its assignment; v5 answers and checks the protocol type and name', async () => {
    for (const v of versions(SYNC)) {
      const groupId = `sync-${v}`;
      const j = await join(5, groupId);
      const body = { groupId, generationId: j.generationId, memberId: j.memberId, groupInstanceId: null, protocolType: 'consumer', protocolName: 'range', assignments: [{ memberId: j.memberId, assignment: ASSIGNMENT }] };
      if (v >= 5) expect((await rt(SYNC, v, { ...body, protocolName: 'roundrobin' })).errorCode).toBe(23);
      const r = await rt(SYNC, v, body);
      expect(r.errorCode, `v${v}`).toBe(0);
      expect(r.assignment).toEqual(ASSIGNMENT);
      if (v >= 5) expect(r).toMatchObject({ protocolType: 'consumer', protocolName: 'range' });
    }
  });

  it('Heartbeat: accepted in the current generation, ILLEGAL_GENERATION otherwise, FENCED_INSTANCE_ID for a stale static id (v3+)', async () => {
    const { memberId, generationId } = await stable('hb', 'hb-inst');
    for (const v of versions(HEARTBEAT)) {
      const body = { groupId: 'hb', generationId, memberId, groupInstanceId: v >= 3 ? 'hb-inst' : null };
      expect((await rt(HEARTBEAT, v, body)).errorCode, `v${v}`).toBe(0);
      expect((await rt(HEARTBEAT, v, { ...body, generationId: generationId + 1 })).errorCode).toBe(22);
      if (v >= 3) expect((await rt(HEARTBEAT, v, { ...body, memberId: 'hb-inst-old' })).errorCode).toBe(82);
    }
  });

  it('OffsetCommit and OffsetFetch: every version commits with metadata, every version reads it back', async () => {
    const { memberId, generationId } = await stable('offsets');
    for (const v of versions(COMMIT)) {
      // v0 carries no generation: a simple commit, to a group without members.
      const groupId = v === 0 ? 'offsets-simple' : 'offsets';
      const r = await rt(COMMIT, v, {
        groupId, generationIdOrMemberEpoch: generationId, memberId, groupInstanceId: null, retentionTimeMs: -1,
        topics: [{ name: 't', partitions: [{ partitionIndex: 0, committedOffset: 100 + v, committedLeaderEpoch: v >= 6 ? 7 : -1, commitTimestamp: -1, committedMetadata: `m${v}` }] }],
      });
      expect(r.topics[0].partitions[0].errorCode, `OffsetCommit v${v}`).toBe(0);
    }
    const last = versions(COMMIT).at(-1)!;
    for (const v of versions(FETCH)) {
      const topics = [{ name: 't', partitionIndexes: [0, 1] }];
      const r = await rt(FETCH, v, v >= 8
        ? { groups: [{ groupId: 'offsets', memberId: null, memberEpoch: -1, topics }, { groupId: 'offsets-simple', memberId: null, memberEpoch: -1, topics: null }], requireStable: true }
        : { groupId: 'offsets', topics, requireStable: true });
      const groups = v >= 8 ? r.groups : [{ ...r, groupId: 'offsets' }];
      const [p0, p1] = groups[0].topics[0].partitions;
      expect(p0, `OffsetFetch v${v}`).toMatchObject({ partitionIndex: 0, committedOffset: 100 + last, metadata: `m${last}`, errorCode: 0 });
      expect(p1).toMatchObject({ partitionIndex: 1, committedOffset: -1, errorCode: 0 });
      if (v >= 5) expect(p0.committedLeaderEpoch).toBe(7);
      if (v >= 2) expect(groups[0].errorCode).toBe(0);
      if (v >= 8) expect(r.groups[1].topics[0].partitions[0]).toMatchObject({ committedOffset: 100, metadata: 'm0' });
    }
  });

  it('DescribeGroups: state, protocol and members; v3+ authorized operations, v4+ instance ids', async () => {
    const { memberId } = await stable('described', 'd-inst');
    for (const v of versions(DESCRIBE)) {
      const r = await rt(DESCRIBE, v, { groups: ['described', 'missing'], includeAuthorizedOperations: true });
      const [g, missing] = r.groups;
      expect(g, `v${v}`).toMatchObject({ errorCode: 0, groupId: 'described', groupState: 'Stable', protocolType: 'consumer', protocolData: 'range' });
      expect(g.members).toHaveLength(1);
      expect(g.members[0]).toMatchObject({ memberId, clientId: 'versions', clientHost: '/127.0.0.1' });
      expect(g.members[0].memberMetadata).toEqual(SUBSCRIPTION);
      expect(g.members[0].memberAssignment).toEqual(ASSIGNMENT);
      expect(missing).toMatchObject({ errorCode: 0, groupState: 'Dead', members: [] });
      if (v >= 3) expect(g.authorizedOperations).toBe((1 << 3) | (1 << 6) | (1 << 8));
      if (v >= 4) expect(g.members[0].groupInstanceId).toBe('d-inst');
    }
  });

  it('ListGroups: every group; v4+ filters by state, v5 by type and names it', async () => {
    await stable('listed');
    for (const v of versions(LIST)) {
      const all = await rt(LIST, v, { statesFilter: [], typesFilter: [] });
      const listed = all.groups.find((g: any) => g.groupId === 'listed');
      expect(listed, `v${v}`).toMatchObject({ protocolType: 'consumer' });
      if (v >= 4) {
        expect(listed.groupState).toBe('Stable');
        const empty = await rt(LIST, v, { statesFilter: ['Empty'], typesFilter: [] });
        expect(empty.groups.map((g: any) => g.groupId)).not.toContain('listed');
      }
      if (v >= 5) {
        expect(listed.groupType).toBe('classic');
        expect((await rt(LIST, v, { statesFilter: [], typesFilter: ['consumer'] })).groups).toEqual([]);
      }
    }
  });

  it('LeaveGroup: one member before v3, a batch with per-member errors from v3', async () => {
    for (const v of versions(LEAVE)) {
      const groupId = `leave-${v}`;
      const { memberId } = await stable(groupId);
      if (v < 3) {
        expect((await rt(LEAVE, v, { groupId, memberId: 'nobody' })).errorCode, `v${v}`).toBe(25);
        expect((await rt(LEAVE, v, { groupId, memberId })).errorCode).toBe(0);
      } else {
        const r = await rt(LEAVE, v, { groupId, members: [{ memberId, groupInstanceId: null, reason: 'done' }, { memberId: 'nobody', groupInstanceId: null, reason: null }] });
        expect(r.errorCode, `v${v}`).toBe(0);
        expect(r.members.map((m: any) => [m.memberId, m.errorCode])).toEqual([[memberId, 0], ['nobody', 25]]);
      }
      expect(server.broker.groups.group(groupId)!.state).toBe('Empty');
    }
  });

  it('DeleteGroups: an empty group goes, a live one is NON_EMPTY_GROUP, an unknown one GROUP_ID_NOT_FOUND', async () => {
    await stable('alive');
    for (const v of versions(DELETE)) {
      const groupId = `deleted-${v}`;
      await rt(COMMIT, 2, { groupId, generationIdOrMemberEpoch: -1, memberId: '', retentionTimeMs: -1, topics: [{ name: 't', partitions: [{ partitionIndex: 0, committedOffset: 1, committedMetadata: null }] }] });
      const r = await rt(DELETE, v, { groupsNames: [groupId, 'alive', 'never'] });
      expect(r.results.map((x: any) => [x.groupId, x.errorCode]), `v${v}`).toEqual([[groupId, 0], ['alive', 68], ['never', 69]]);
    }
  });

  it('InitProducerId: a fresh id at epoch 0 per call, also when v3+ names an id and epoch', async () => {
    const ids = new Set<number>();
    for (const v of versions(INIT_PID)) {
      const r = await rt(INIT_PID, v, { transactionalId: null, transactionTimeoutMs: 60_000, producerId: -1, producerEpoch: -1 });
      expect(r, `v${v}`).toMatchObject({ errorCode: 0, producerEpoch: 0 });
      ids.add(r.producerId);
      const again = await rt(INIT_PID, v, { transactionalId: null, transactionTimeoutMs: 60_000, producerId: r.producerId, producerEpoch: 0 });
      expect(again).toMatchObject({ errorCode: 0, producerEpoch: 0 });
      ids.add(again.producerId);
    }
    expect(ids.size).toBe(versions(INIT_PID).length * 2);
  });
});
