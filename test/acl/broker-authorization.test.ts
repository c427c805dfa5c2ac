/**
 * Every handler's check on a broker with the standard authorizer, with two principals:
 * alice (given ACLs) and bob (none), plus the super user admin who grants them. Requests
 * go through our client's in-process connections, which stamp the principal on every
 * header (`inProcessTransport(broker, { principal })`) where SASL will once the listener
 * authenticates; the codes are those Kafka's KafkaApis answers.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { memoryStorage } from '../../adapters/memory/index.ts';
import { nodeAsyncScope } from '../../adapters/runtime/async-scope.ts';
import { DEFAULT_HANDLERS } from '../../core/broker/api/preset.ts';
import { Broker, type BrokerOptions } from '../../core/broker/broker.ts';
import { type Client, createClient } from '../../core/client/client.ts';
import { inProcessTransport } from '../../core/client/in-process-transport.ts';
import type { AclBinding } from '../../core/contracts/authorizer.ts';
import { KafkaCode } from '../../core/errors.ts';
import { ApiKey } from '../../core/protocol/api-keys.ts';
import { BrokerSession } from '../../core/broker/session.ts';
import { concat, decodeResponse, encodeRequest } from '../../core/protocol/index.ts';
import type { ApiRequestInput, ApiResponse } from '../../core/protocol/api-messages.ts';
import { fullRegistry } from '../client/helpers.ts';

/**
 * One request as bytes through a session whose connection acts as `principal` (the
 * session's principal option, what SASL will set), answered as bytes and decoded.
 */
async function rawRequest<K extends ApiKey>(broker: Broker, principal: string, apiKey: K, apiVersion: number, body: ApiRequestInput<K>): Promise<ApiResponse<K>> {
  const written: Uint8Array[] = [];
  let done: () => void = () => {};
  const answered = new Promise<void>((resolve) => (done = resolve));
  const session = new BrokerSession(broker, { write: (chunks) => { written.push(...chunks); done(); }, close: () => done() }, { principal, clientHost: '/10.0.0.1' });
  session.receive(concat(encodeRequest({ apiKey, apiVersion, correlationId: 1, clientId: 'raw' } as never, body as never)));
  await answered;
  session.close('done', 'debug');
  return decodeResponse(apiKey, apiVersion, concat(written).subarray(4)).body as ApiResponse<K>;
}

const ALICE = 'User:alice';
const BOB = 'User:bob';
const ADMIN = 'User:admin';

function allow(operation: AclBinding['operation'], resourceType: AclBinding['resourceType'], resourceName: string, patternType: AclBinding['patternType'] = 'literal'): AclBinding {
  return { principal: ALICE, host: '*', resourceType, resourceName, patternType, operation, permission: 'allow' };
}

async function startBroker(options: Partial<BrokerOptions> = {}): Promise<Broker> {
  const broker = new Broker({ storage: memoryStorage(), retentionCheckIntervalMs: 0, handlers: DEFAULT_HANDLERS, numPartitions: 1, ...options });
  await broker.start();
  return broker;
}

describe('a broker with the standard authorizer', () => {
  let broker: Broker;
  const clients: Client[] = [];
  const clientOf = (principal: string | undefined): Client => {
    const client = createClient({
      brokers: ['in-process:0'],
      transport: inProcessTransport(broker, principal === undefined ? {} : { principal }),
      registry: fullRegistry(),
      retry: { retries: 1, initialRetryTime: 10, maxRetryTime: 20 },
      asyncScope: nodeAsyncScope(),
    });
    clients.push(client);
    return client;
  };
  let alice: Client;
  let bob: Client;
  let admin: Client;
  // Raw requests over each principal's connection: the codes per entry, as a Kafka client sees them.
  const raw = (client: Client) => client.admin().cluster;

  beforeAll(async () => {
    broker = await startBroker({ authorizer: { name: 'standard', superUsers: [ADMIN] } });
    alice = clientOf(ALICE);
    bob = clientOf(BOB);
    admin = clientOf(ADMIN);
    await admin.admin().createTopics({ topics: [{ topic: 'orders' }, { topic: 'secret' }] });
    await admin.admin().createAcls({
      acls: [
        allow('write', 'topic', 'orders'),
        allow('read', 'topic', 'orders'),
        allow('create', 'topic', 'orders-', 'prefixed'),
        allow('read', 'group', 'g1'),
        allow('delete', 'group', 'g1'),
      ],
    });
  });

  afterAll(async () => {
    await Promise.allSettled(clients.map((c) => c.close()));
    await broker.close();
  });

  it('lets the super user do anything and lists the ACLs it granted', async () => {
    const acls = await admin.admin().describeAcls({ principal: ALICE });
    expect(acls).toHaveLength(5);
    expect(acls).toContainEqual(allow('create', 'topic', 'orders-', 'prefixed'));
    expect(await admin.admin().describeAcls({ resourceType: 'group' })).toEqual([allow('read', 'group', 'g1'), allow('delete', 'group', 'g1')]);
  });

  it('Produce: WRITE on the topic', async () => {
    await alice.producer().send({ topic: 'orders', messages: [{ value: 'a' }] });
    // Our producer is idempotent: bob, who may WRITE nothing, is refused its producer id first.
    await expect(bob.producer().send({ topic: 'orders', messages: [{ value: 'b' }] })).rejects.toMatchObject({ kafkaCode: KafkaCode.CLUSTER_AUTHORIZATION_FAILED });
    const answer = await raw(bob).sendAny(ApiKey.Produce, {
      acks: 1, timeoutMs: 1000, transactionalId: null, topicData: [{ name: 'orders', partitionData: [{ index: 0, records: null }] }],
    });
    expect(answer.responses[0]!.partitionResponses[0]!.errorCode).toBe(KafkaCode.TOPIC_AUTHORIZATION_FAILED);
    // Nothing of bob's reached the log.
    const offsets = await admin.admin().fetchTopicOffsets('orders');
    expect(offsets[0]!.high).toBe(1);
  });

  it('InitProducerId: IDEMPOTENT_WRITE on the cluster or WRITE on some topic (KIP-679)', async () => {
    expect((await raw(alice).sendAny(ApiKey.InitProducerId, { transactionalId: null, transactionTimeoutMs: 1000 })).errorCode).toBe(KafkaCode.NONE);
    expect((await raw(bob).sendAny(ApiKey.InitProducerId, { transactionalId: null, transactionTimeoutMs: 1000 })).errorCode).toBe(KafkaCode.CLUSTER_AUTHORIZATION_FAILED);
  });

  it('Fetch: READ on the topic; a follower needs CLUSTER_ACTION', async () => {
    const fetch = (client: Client, replicaId = -1) => raw(client).sendAny(ApiKey.Fetch, {
      replicaId, maxWaitMs: 0, minBytes: 0, maxBytes: 1 << 20, isolationLevel: 0,
      topics: [{ topic: 'orders', partitions: [{ partition: 0, fetchOffset: 0, partitionMaxBytes: 1 << 20, currentLeaderEpoch: -1, logStartOffset: -1 }] }],
    });
    const mine = await fetch(alice);
    expect(mine.responses[0]!.partitions[0]!.errorCode).toBe(KafkaCode.NONE);
    expect(mine.responses[0]!.partitions[0]!.highWatermark).toBe(1);
    expect((await fetch(bob)).responses[0]!.partitions[0]!.errorCode).toBe(KafkaCode.TOPIC_AUTHORIZATION_FAILED);
    expect((await fetch(alice, 2)).responses[0]!.partitions[0]!.errorCode).toBe(KafkaCode.TOPIC_AUTHORIZATION_FAILED);
  });

  it('ListOffsets and OffsetForLeaderEpoch: DESCRIBE on the topic (implied by READ)', async () => {
    expect((await alice.admin().fetchTopicOffsets('orders'))[0]!.high).toBe(1);
    const list = await raw(bob).sendAny(ApiKey.ListOffsets, { replicaId: -1, isolationLevel: 0, topics: [{ name: 'orders', partitions: [{ partitionIndex: 0, timestamp: -1, currentLeaderEpoch: -1 }] }] });
    expect(list.topics[0]!.partitions[0]!.errorCode).toBe(KafkaCode.TOPIC_AUTHORIZATION_FAILED);
    // Our client does not send OffsetForLeaderEpoch: over bytes, as librdkafka does.
    const epoch = (principal: string, replicaId = -1) => rawRequest(broker, principal, ApiKey.OffsetForLeaderEpoch, 4, { replicaId, topics: [{ topic: 'orders', partitions: [{ partition: 0, currentLeaderEpoch: -1, leaderEpoch: 0 }] }] });
    expect((await epoch(ALICE)).topics[0]!.partitions[0]!.errorCode).toBe(KafkaCode.NONE);
    expect((await epoch(BOB)).topics[0]!.partitions[0]!.errorCode).toBe(KafkaCode.TOPIC_AUTHORIZATION_FAILED);
    expect((await epoch(ALICE, 2)).topics[0]!.partitions[0]!.errorCode).toBe(KafkaCode.TOPIC_AUTHORIZATION_FAILED);
  });

  it('Metadata: hides what may not be described, answers named ones TOPIC_AUTHORIZATION_FAILED, auto-creates only with CREATE', async () => {
    const all = (client: Client) => raw(client).sendAny(ApiKey.Metadata, { topics: null, allowAutoTopicCreation: false, includeTopicAuthorizedOperations: true });
    expect((await all(alice)).topics.map((t) => t.name)).toEqual(['orders']);
    expect((await all(bob)).topics).toEqual([]);
    expect((await all(admin)).topics.map((t) => t.name)).toEqual(['orders', 'secret']);
    // READ and WRITE (and DESCRIBE, implied) on orders: bits 3, 4 and 8.
    expect((await all(alice)).topics[0]!.topicAuthorizedOperations).toBe((1 << 3) | (1 << 4) | (1 << 8));
    const named = async (client: Client, name: string, auto = false) => (await raw(client).sendAny(ApiKey.Metadata, { topics: [{ name }], allowAutoTopicCreation: auto })).topics[0]!;
    expect((await named(alice, 'secret')).errorCode).toBe(KafkaCode.TOPIC_AUTHORIZATION_FAILED);
    expect((await named(bob, 'orders')).errorCode).toBe(KafkaCode.TOPIC_AUTHORIZATION_FAILED);
    // A topic that does not exist answers the same as one that does (its existence is not revealed).
    expect((await named(bob, 'nowhere', true)).errorCode).toBe(KafkaCode.TOPIC_AUTHORIZATION_FAILED);
    expect(broker.image.topic('nowhere')).toBeUndefined();
  });

  it('CreateTopics: CREATE on the cluster or the topic (here a prefix)', async () => {
    const create = (client: Client, topic: string) => raw(client).sendAny(ApiKey.CreateTopics, { topics: [{ name: topic, numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] }], timeoutMs: 1000, validateOnly: false });
    expect((await create(alice, 'orders-eu')).topics[0]!.errorCode).toBe(KafkaCode.NONE);
    expect((await create(alice, 'payments')).topics[0]!.errorCode).toBe(KafkaCode.TOPIC_AUTHORIZATION_FAILED);
    expect(broker.image.topic('payments')).toBeUndefined();
    // No DESCRIBE_CONFIGS on orders-eu: created, but its configs are not shown.
    const created = (await create(alice, 'orders-us')).topics[0]!;
    expect(created.topicConfigErrorCode).toBe(KafkaCode.TOPIC_AUTHORIZATION_FAILED);
  });

  it('DeleteTopics, CreatePartitions, DeleteRecords: DELETE / ALTER / DELETE on the topic', async () => {
    await expect(bob.admin().deleteTopics({ topics: ['secret'] })).rejects.toMatchObject({ kafkaCode: KafkaCode.TOPIC_AUTHORIZATION_FAILED });
    const grow = await raw(alice).sendAny(ApiKey.CreatePartitions, { topics: [{ name: 'orders', count: 3, assignments: null }], timeoutMs: 1000, validateOnly: false });
    expect(grow.results[0]!.errorCode).toBe(KafkaCode.TOPIC_AUTHORIZATION_FAILED);
    const del = await raw(alice).sendAny(ApiKey.DeleteRecords, { topics: [{ name: 'orders', partitions: [{ partitionIndex: 0, offset: 1 }] }], timeoutMs: 1000 });
    expect(del.topics[0]!.partitions[0]!.errorCode).toBe(KafkaCode.TOPIC_AUTHORIZATION_FAILED);
    expect(broker.image.topic('secret')).toBeDefined();
  });

  it('DescribeConfigs / AlterConfigs: DESCRIBE_CONFIGS / ALTER_CONFIGS on the topic, on the cluster for the broker', async () => {
    const describe = await raw(alice).sendAny(ApiKey.DescribeConfigs, {
      resources: [{ resourceType: 2, resourceName: 'orders', configurationKeys: null }, { resourceType: 4, resourceName: String(broker.nodeId), configurationKeys: null }],
      includeSynonyms: false, includeDocumentation: false,
    });
    expect(describe.results.map((r) => r.errorCode)).toEqual([KafkaCode.TOPIC_AUTHORIZATION_FAILED, KafkaCode.CLUSTER_AUTHORIZATION_FAILED]);
    await expect(alice.admin().incrementalAlterConfigs({ resources: [{ type: 2, name: 'orders', configEntries: [{ name: 'retention.ms', value: '1000' }] }] }))
      .rejects.toMatchObject({ kafkaCode: KafkaCode.TOPIC_AUTHORIZATION_FAILED });
    await admin.admin().incrementalAlterConfigs({ resources: [{ type: 2, name: 'orders', configEntries: [{ name: 'retention.ms', value: '1000' }] }] });
    expect(broker.image.topic('orders')!.configs.get('retention.ms')).toBe('1000');
  });

  it('DescribeCluster: DESCRIBE on the cluster (over bytes)', async () => {
    expect((await rawRequest(broker, ALICE, ApiKey.DescribeCluster, 0, { includeClusterAuthorizedOperations: false })).errorCode).toBe(KafkaCode.CLUSTER_AUTHORIZATION_FAILED);
    const answer = await rawRequest(broker, ADMIN, ApiKey.DescribeCluster, 0, { includeClusterAuthorizedOperations: true });
    expect(answer.errorCode).toBe(KafkaCode.NONE);
    expect(answer.brokers).toHaveLength(1);
  });

  it('cluster operations: ALTER on the cluster to elect, reassign and unregister, DESCRIBE to list reassignments and log dirs', async () => {
    const elect = await rawRequest(broker, ALICE, ApiKey.ElectLeaders, 2, { electionType: 0, topicPartitions: [{ topic: 'orders', partitions: [0] }], timeoutMs: 1000 });
    expect(elect.errorCode).toBe(KafkaCode.CLUSTER_AUTHORIZATION_FAILED);
    expect(elect.replicaElectionResults[0]!.partitionResult[0]!.errorCode).toBe(KafkaCode.CLUSTER_AUTHORIZATION_FAILED);
    expect((await rawRequest(broker, ADMIN, ApiKey.ElectLeaders, 2, { electionType: 0, topicPartitions: [{ topic: 'orders', partitions: [0] }], timeoutMs: 1000 })).replicaElectionResults[0]!.partitionResult[0]!.errorCode).toBe(KafkaCode.ELECTION_NOT_NEEDED);
    const move = { timeoutMs: 1000, topics: [{ name: 'orders', partitions: [{ partitionIndex: 0, replicas: [1] }] }] };
    expect((await rawRequest(broker, ALICE, ApiKey.AlterPartitionReassignments, 0, move)).errorCode).toBe(KafkaCode.CLUSTER_AUTHORIZATION_FAILED);
    expect((await rawRequest(broker, ALICE, ApiKey.ListPartitionReassignments, 0, { timeoutMs: 1000, topics: null })).errorCode).toBe(KafkaCode.CLUSTER_AUTHORIZATION_FAILED);
    expect((await rawRequest(broker, ADMIN, ApiKey.ListPartitionReassignments, 0, { timeoutMs: 1000, topics: null })).errorCode).toBe(KafkaCode.NONE);
    expect((await rawRequest(broker, ALICE, ApiKey.UnregisterBroker, 0, { brokerId: 1 })).errorCode).toBe(KafkaCode.CLUSTER_AUTHORIZATION_FAILED);
    const dirs = await rawRequest(broker, ALICE, ApiKey.DescribeLogDirs, 4, { topics: null });
    expect(dirs.errorCode).toBe(KafkaCode.CLUSTER_AUTHORIZATION_FAILED);
    expect(dirs.results).toEqual([]);
    expect((await rawRequest(broker, ADMIN, ApiKey.DescribeLogDirs, 4, { topics: null })).results).toHaveLength(1);
  });

  it('over bytes, each version of the ACL APIs: v0 lists literal ACLs only, v1+ prefixed ones too', async () => {
    const filter = { resourceTypeFilter: 2, resourceNameFilter: null, patternTypeFilter: 1, principalFilter: ALICE, hostFilter: null, operation: 1, permissionType: 1 };
    for (const version of [0, 1, 2, 3]) {
      const answer = await rawRequest(broker, ADMIN, ApiKey.DescribeAcls, version, filter);
      expect(answer.errorCode).toBe(KafkaCode.NONE);
      const patterns = answer.resources.map((r) => `${r.resourceName}:${r.patternType}`).sort();
      expect(patterns).toEqual(version === 0 ? ['orders:3'] : ['orders-:4', 'orders:3']);
    }
    const created = await rawRequest(broker, ADMIN, ApiKey.CreateAcls, 0, { creations: [{ resourceType: 3, resourceName: 'raw-group', resourcePatternType: 3, principal: BOB, host: '10.0.0.1', operation: 8, permissionType: 3 }] });
    expect(created.results.map((r) => r.errorCode)).toEqual([KafkaCode.NONE]);
    // Bob, from 10.0.0.1 (the session's host), may now describe raw-group; from another host he could not.
    const find = await rawRequest(broker, BOB, ApiKey.FindCoordinator, 3, { key: 'raw-group', keyType: 0 });
    expect(find.errorCode).toBe(KafkaCode.NONE);
    const elsewhere = await raw(bob).sendAny(ApiKey.FindCoordinator, { key: 'raw-group', keyType: 0, coordinatorKeys: ['raw-group'] });
    expect(elsewhere.coordinators?.[0]?.errorCode ?? elsewhere.errorCode).toBe(KafkaCode.GROUP_AUTHORIZATION_FAILED);
    const refused = await rawRequest(broker, ALICE, ApiKey.CreateAcls, 3, { creations: [{ resourceType: 3, resourceName: 'x', resourcePatternType: 3, principal: ALICE, host: '*', operation: 2, permissionType: 3 }] });
    expect(refused.results.map((r) => r.errorCode)).toEqual([KafkaCode.CLUSTER_AUTHORIZATION_FAILED]);
    // ANY as an ACL's operation, or a cluster ACL not named kafka-cluster: INVALID_REQUEST.
    const invalid = await rawRequest(broker, ADMIN, ApiKey.CreateAcls, 2, { creations: [
      { resourceType: 3, resourceName: 'x', resourcePatternType: 3, principal: BOB, host: '*', operation: 1, permissionType: 3 },
      { resourceType: 4, resourceName: 'c', resourcePatternType: 3, principal: BOB, host: '*', operation: 8, permissionType: 3 },
    ] });
    expect(invalid.results.map((r) => r.errorCode)).toEqual([KafkaCode.INVALID_REQUEST, KafkaCode.INVALID_REQUEST]);
    const deleted = await rawRequest(broker, ADMIN, ApiKey.DeleteAcls, 1, { filters: [{ resourceTypeFilter: 3, resourceNameFilter: 'raw-group', patternTypeFilter: 3, principalFilter: null, hostFilter: null, operation: 1, permissionType: 1 }] });
    expect(deleted.filterResults[0]!.matchingAcls.map((m) => [m.principal, m.host, m.operation])).toEqual([[BOB, '10.0.0.1', 8]]);
  });

  it('groups: READ on the group to join and commit, READ on the topic to commit, DESCRIBE to find it, list it, fetch offsets', async () => {
    const find = (client: Client, key: string) => raw(client).sendAny(ApiKey.FindCoordinator, { key, keyType: 0, coordinatorKeys: [key] });
    const found = await find(alice, 'g1');
    expect(found.coordinators?.[0]?.errorCode ?? found.errorCode).toBe(KafkaCode.NONE);
    const refused = await find(bob, 'g1');
    expect(refused.coordinators?.[0]?.errorCode ?? refused.errorCode).toBe(KafkaCode.GROUP_AUTHORIZATION_FAILED);

    const join = (client: Client, groupId: string) => raw(client).sendAny(ApiKey.JoinGroup, {
      groupId, sessionTimeoutMs: 10_000, rebalanceTimeoutMs: 10_000, memberId: '', groupInstanceId: null, protocolType: 'consumer', protocols: [{ name: 'range', metadata: new Uint8Array(0) }], reason: null,
    });
    expect((await join(bob, 'g1')).errorCode).toBe(KafkaCode.GROUP_AUTHORIZATION_FAILED);
    expect((await join(alice, 'g2')).errorCode).toBe(KafkaCode.GROUP_AUTHORIZATION_FAILED);
    expect((await raw(bob).sendAny(ApiKey.Heartbeat, { groupId: 'g1', generationId: 1, memberId: 'm', groupInstanceId: null })).errorCode).toBe(KafkaCode.GROUP_AUTHORIZATION_FAILED);

    // A simple commit (generation -1) outside group management: group READ, then topic READ per topic.
    const commit = (client: Client) => raw(client).sendAny(ApiKey.OffsetCommit, {
      groupId: 'g1', generationIdOrMemberEpoch: -1, memberId: '', groupInstanceId: null, retentionTimeMs: -1,
      topics: [
        { name: 'orders', partitions: [{ partitionIndex: 0, committedOffset: 1, committedLeaderEpoch: -1, commitTimestamp: -1, committedMetadata: null }] },
        { name: 'secret', partitions: [{ partitionIndex: 0, committedOffset: 1, committedLeaderEpoch: -1, commitTimestamp: -1, committedMetadata: null }] },
      ],
    });
    const mine = await commit(alice);
    expect(mine.topics.map((t) => [t.name, t.partitions[0]!.errorCode])).toEqual([['orders', KafkaCode.NONE], ['secret', KafkaCode.TOPIC_AUTHORIZATION_FAILED]]);
    expect((await commit(bob)).topics.map((t) => t.partitions[0]!.errorCode)).toEqual([KafkaCode.GROUP_AUTHORIZATION_FAILED, KafkaCode.GROUP_AUTHORIZATION_FAILED]);

    const fetchOffsets = (client: Client) => raw(client).sendAny(ApiKey.OffsetFetch, { groupId: 'g1', topics: null, requireStable: false, groups: [{ groupId: 'g1', topics: null }] });
    const fetched = await fetchOffsets(alice);
    const group = fetched.groups?.[0] ?? fetched;
    expect(group.errorCode).toBe(KafkaCode.NONE);
    expect(group.topics.map((t) => t.name)).toEqual(['orders']);
    const other = await fetchOffsets(bob);
    expect((other.groups?.[0] ?? other).errorCode).toBe(KafkaCode.GROUP_AUTHORIZATION_FAILED);

    // ListGroups: the cluster's DESCRIBE lists all; others see the groups they may describe.
    expect((await raw(admin).sendAny(ApiKey.ListGroups, { statesFilter: [], typesFilter: [] })).groups.map((g) => g.groupId)).toEqual(['g1']);
    expect((await raw(alice).sendAny(ApiKey.ListGroups, { statesFilter: [], typesFilter: [] })).groups.map((g) => g.groupId)).toEqual(['g1']);
    expect((await raw(bob).sendAny(ApiKey.ListGroups, { statesFilter: [], typesFilter: [] })).groups).toEqual([]);
    const described = await raw(bob).sendAny(ApiKey.DescribeGroups, { groups: ['g1'], includeAuthorizedOperations: false });
    expect(described.groups[0]!.errorCode).toBe(KafkaCode.GROUP_AUTHORIZATION_FAILED);

    const deleteOffsets = await raw(bob).sendAny(ApiKey.OffsetDelete, { groupId: 'g1', topics: [{ name: 'orders', partitions: [{ partitionIndex: 0 }] }] });
    expect(deleteOffsets.errorCode).toBe(KafkaCode.GROUP_AUTHORIZATION_FAILED);
    const deleted = await raw(bob).sendAny(ApiKey.DeleteGroups, { groupsNames: ['g1'] });
    expect(deleted.results[0]!.errorCode).toBe(KafkaCode.GROUP_AUTHORIZATION_FAILED);
    expect((await raw(alice).sendAny(ApiKey.DeleteGroups, { groupsNames: ['g1'] })).results[0]!.errorCode).toBe(KafkaCode.NONE);
  });

  it('ACL APIs: DESCRIBE on the cluster to list, ALTER to change', async () => {
    await expect(alice.admin().describeAcls()).rejects.toMatchObject({ kafkaCode: KafkaCode.CLUSTER_AUTHORIZATION_FAILED });
    await expect(bob.admin().createAcls({ acls: [{ ...allow('all', 'topic', '*'), principal: BOB }] })).rejects.toMatchObject({ kafkaCode: KafkaCode.CLUSTER_AUTHORIZATION_FAILED });
    await expect(bob.admin().deleteAcls({ filters: [{}] })).rejects.toMatchObject({ kafkaCode: KafkaCode.CLUSTER_AUTHORIZATION_FAILED });
    expect(await admin.admin().describeAcls({ principal: BOB })).toEqual([]);
  });

  it('a DENY beats the ALLOW, and a deleted ACL stops granting', async () => {
    const deny = { ...allow('read', 'topic', 'orders'), permission: 'deny' as const };
    await admin.admin().createAcls({ acls: [deny] });
    const fetchCode = async () => (await raw(alice).sendAny(ApiKey.ListOffsets, { replicaId: -1, isolationLevel: 0, topics: [{ name: 'orders', partitions: [{ partitionIndex: 0, timestamp: -1, currentLeaderEpoch: -1 }] }] })).topics[0]!.partitions[0]!.errorCode;
    // DESCRIBE is still implied by WRITE (a DENY READ does not deny DESCRIBE).
    expect(await fetchCode()).toBe(KafkaCode.NONE);
    const [removed] = await admin.admin().deleteAcls({ filters: [{ principal: ALICE, resourceType: 'topic', resourceName: 'orders', patternType: 'literal' }] });
    expect(removed!.deleted).toHaveLength(3);
    expect(await fetchCode()).toBe(KafkaCode.TOPIC_AUTHORIZATION_FAILED);
    await expect(alice.producer().send({ topic: 'orders', messages: [{ value: 'x' }] })).rejects.toBeDefined();
  });
});

describe('a broker without an authorizer', () => {
  it('allows everyone (User:ANONYMOUS) everything and answers the ACL APIs SECURITY_DISABLED', async () => {
    const broker = await startBroker();
    const client = createClient({ brokers: ['in-process:0'], transport: inProcessTransport(broker), registry: fullRegistry(), retry: { retries: 0 }, asyncScope: nodeAsyncScope() });
    try {
      await client.producer().send({ topic: 'open', messages: [{ value: 'v' }] });
      expect((await client.admin().fetchTopicOffsets('open'))[0]!.high).toBe(1);
      await expect(client.admin().describeAcls()).rejects.toMatchObject({ kafkaCode: KafkaCode.SECURITY_DISABLED });
      await expect(client.admin().createAcls({ acls: [allow('read', 'topic', 'open')] })).rejects.toMatchObject({ kafkaCode: KafkaCode.SECURITY_DISABLED });
    } finally {
      await client.close();
      await broker.close();
    }
  });

  it('with allow.everyone.if.no.acl.found, lets ANONYMOUS use resources no ACL names, not the others', async () => {
    const broker = await startBroker({ authorizer: { name: 'standard', allowEveryoneIfNoAclFound: true, superUsers: [ADMIN] } });
    const anonymous = createClient({ brokers: ['in-process:0'], transport: inProcessTransport(broker), registry: fullRegistry(), retry: { retries: 0 }, asyncScope: nodeAsyncScope() });
    const admin = createClient({ brokers: ['in-process:0'], transport: inProcessTransport(broker, { principal: ADMIN }), registry: fullRegistry(), retry: { retries: 0 }, asyncScope: nodeAsyncScope() });
    try {
      await admin.admin().createTopics({ topics: [{ topic: 'open' }, { topic: 'closed' }] });
      await admin.admin().createAcls({ acls: [{ ...allow('read', 'topic', 'closed'), principal: ALICE }] });
      await anonymous.producer().send({ topic: 'open', messages: [{ value: 'v' }] });
      const produce = await anonymous.admin().cluster.sendAny(ApiKey.Produce, { acks: 1, timeoutMs: 1000, transactionalId: null, topicData: [{ name: 'closed', partitionData: [{ index: 0, records: null }] }] });
      expect(produce.responses[0]!.partitionResponses[0]!.errorCode).toBe(KafkaCode.TOPIC_AUTHORIZATION_FAILED);
    } finally {
      await anonymous.close();
      await admin.close();
      await broker.close();
    }
  });
});
