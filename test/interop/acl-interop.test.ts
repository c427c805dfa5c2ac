/**
 * ACLs with real clients over SASL_PLAINTEXT (PLAIN users admin, alice, bob; admin a super
 * user): kafkajs 2.2.4 manages ACLs with its own createAcls / describeAcls / deleteAcls;
 * kcat (librdkafka) and kafkajs, authenticated as bob, are refused with
 * TOPIC_AUTHORIZATION_FAILED where alice's ACLs let her produce and consume; our client
 * authenticates too and is refused the same way.
 */
import kafkajs from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { memoryStorage } from '../../adapters/memory/index.ts';
import { nodeAsyncScope } from '../../adapters/runtime/async-scope.ts';
import { startServer, type TributaryServer } from '../../adapters/server/index.ts';
import { tcpTransport } from '../../adapters/transport/index.ts';
import { DEFAULT_HANDLERS } from '../../core/broker/api/preset.ts';
import { Broker } from '../../core/broker/broker.ts';
import { createClient } from '../../core/client/client.ts';
import { KafkaCode } from '../../core/errors.ts';
import { fullRegistry } from '../client/helpers.ts';
import { kcat } from './kcat-runner.ts';
import { pythonCan, runPython } from './python-runner.ts';

const { Kafka, logLevel, AclResourceTypes, AclOperationTypes, AclPermissionTypes, ResourcePatternTypes } = kafkajs;

const PASSWORDS = { admin: 'admin-secret', alice: 'alice-secret', bob: 'bob-secret' } as const;
type User = keyof typeof PASSWORDS;

let broker: Broker;
let server: TributaryServer;
let address: string;

beforeAll(async () => {
  broker = new Broker({
    handlers: DEFAULT_HANDLERS,
    storage: memoryStorage(),
    retentionCheckIntervalMs: 0,
    groups: { initialRebalanceDelayMs: 0 },
    plainUsers: new Map(Object.entries(PASSWORDS)),
    authorizer: { name: 'standard', superUsers: ['User:admin'] },
  });
  server = await startServer(broker, { listeners: [{ name: 'SASL_PLAINTEXT', securityProtocol: 'SASL_PLAINTEXT', host: '127.0.0.1', port: 0 }] });
  address = server.listeners[0]!.address;
});
afterAll(async () => {
  await server?.close();
});

function kafkajsAs(user: User) {
  return new Kafka({ clientId: `acl-${user}`, brokers: [address], logLevel: logLevel.NOTHING, retry: { retries: 0 }, sasl: { mechanism: 'plain', username: user, password: PASSWORDS[user] } });
}

function kcatAs(user: User): string[] {
  return ['-b', address, '-X', 'security.protocol=SASL_PLAINTEXT', '-X', 'sasl.mechanism=PLAIN', '-X', `sasl.username=${user}`, '-X', `sasl.password=${PASSWORDS[user]}`];
}

describe('ACLs with kafkajs, kcat and our client', () => {
  it('kafkajs admin: createAcls, describeAcls, deleteAcls', async () => {
    const admin = kafkajsAs('admin').admin();
    await admin.connect();
    try {
      await admin.createTopics({ topics: [{ topic: 'orders' }, { topic: 'scratch' }] });
      await admin.createAcls({
        acl: [
          { resourceType: AclResourceTypes.TOPIC, resourceName: 'orders', resourcePatternType: ResourcePatternTypes.LITERAL, principal: 'User:alice', host: '*', operation: AclOperationTypes.READ, permissionType: AclPermissionTypes.ALLOW },
          { resourceType: AclResourceTypes.TOPIC, resourceName: 'orders', resourcePatternType: ResourcePatternTypes.LITERAL, principal: 'User:alice', host: '*', operation: AclOperationTypes.WRITE, permissionType: AclPermissionTypes.ALLOW },
          // IDEMPOTENT_WRITE on the cluster for kafkajs' idempotent producer is not needed: WRITE on a topic is enough (KIP-679).
          { resourceType: AclResourceTypes.GROUP, resourceName: 'alice-', resourcePatternType: ResourcePatternTypes.PREFIXED, principal: 'User:alice', host: '*', operation: AclOperationTypes.READ, permissionType: AclPermissionTypes.ALLOW },
          { resourceType: AclResourceTypes.TOPIC, resourceName: 'scratch', resourcePatternType: ResourcePatternTypes.LITERAL, principal: 'User:bob', host: '*', operation: AclOperationTypes.ALL, permissionType: AclPermissionTypes.ALLOW },
        ],
      });
      const described = await admin.describeAcls({
        resourceType: AclResourceTypes.ANY, resourcePatternType: ResourcePatternTypes.ANY, operation: AclOperationTypes.ANY, permissionType: AclPermissionTypes.ANY, principal: 'User:alice',
      });
      const flat = described.resources.flatMap((r: any) => r.acls.map((a: any) => `${r.resourceType}:${r.resourceName}:${r.resourcePatternType}:${a.operation}`)).sort();
      expect(flat).toEqual([
        `${AclResourceTypes.TOPIC}:orders:${ResourcePatternTypes.LITERAL}:${AclOperationTypes.READ}`,
        `${AclResourceTypes.TOPIC}:orders:${ResourcePatternTypes.LITERAL}:${AclOperationTypes.WRITE}`,
        `${AclResourceTypes.GROUP}:alice-:${ResourcePatternTypes.PREFIXED}:${AclOperationTypes.READ}`,
      ].sort());

      const deleted = await admin.deleteAcls({
        filters: [{ resourceType: AclResourceTypes.TOPIC, resourceName: 'scratch', resourcePatternType: ResourcePatternTypes.LITERAL, operation: AclOperationTypes.ANY, permissionType: AclPermissionTypes.ANY }],
      });
      expect(deleted.filterResponses[0]!.errorCode).toBe(0);
      expect(deleted.filterResponses[0]!.matchingAcls.map((a: any) => a.principal)).toEqual(['User:bob']);
      expect([...broker.image.acls.values()].filter((a) => a.principal === 'User:bob')).toEqual([]);
    } finally {
      await admin.disconnect();
    }
  });

  it('kafkajs as alice produces and consumes; as bob is refused with TOPIC_AUTHORIZATION_FAILED', async () => {
    const producer = kafkajsAs('alice').producer();
    await producer.connect();
    await producer.send({ topic: 'orders', messages: [{ value: 'one' }, { value: 'two' }] });
    await producer.disconnect();

    const consumer = kafkajsAs('alice').consumer({ groupId: 'alice-app', sessionTimeout: 10_000, heartbeatInterval: 500 });
    await consumer.connect();
    await consumer.subscribe({ topic: 'orders', fromBeginning: true });
    const seen: string[] = [];
    await new Promise<void>((resolve, reject) => {
      consumer.run({ eachMessage: async ({ message }) => { seen.push(message.value!.toString()); if (seen.length === 2) resolve(); } }).catch(reject);
    });
    await consumer.disconnect();
    expect(seen).toEqual(['one', 'two']);

    const bob = kafkajsAs('bob').producer({ idempotent: false });
    await bob.connect();
    await expect(bob.send({ topic: 'orders', messages: [{ value: 'intruder' }] })).rejects.toMatchObject({ cause: { type: 'TOPIC_AUTHORIZATION_FAILED' } });
    await bob.disconnect();
    // Alice's group is hers: kafkajs as alice may not use another group.
    const other = kafkajsAs('alice').consumer({ groupId: 'not-alice' });
    await other.connect();
    await other.subscribe({ topic: 'orders', fromBeginning: true });
    const failure = await new Promise<unknown>((resolve) => {
      other.on(other.events.CRASH, (e: any) => resolve(e.payload.error));
      other.run({ eachMessage: async () => undefined }).catch(resolve);
    });
    await other.disconnect().catch(() => undefined);
    // kafkajs reports FindCoordinator's GROUP_AUTHORIZATION_FAILED as a coordinator it cannot find; the group never formed.
    expect(failure).toMatchObject({ name: 'KafkaJSGroupCoordinatorNotFound' });
    expect(broker.groups.describe('not-alice').groupState).toBe('Dead');
  });

  it('kcat (librdkafka) as alice reads; as bob is refused: Topic authorization failed', async () => {
    const read = await kcat([...kcatAs('alice'), '-C', '-t', 'orders', '-o', 'beginning', '-e', '-q'], '', { timeoutMs: 20_000 });
    expect(read.split('\n').filter((l) => l !== '')).toEqual(['one', 'two']);
    await expect(kcat([...kcatAs('bob'), '-C', '-t', 'orders', '-o', 'beginning', '-e', '-q'], '', { timeoutMs: 20_000 })).rejects.toThrow(/[Aa]uthoriz/);
    await expect(kcat([...kcatAs('bob'), '-P', '-t', 'orders'], 'intruder\n', { timeoutMs: 20_000 })).rejects.toThrow(/[Aa]uthoriz/);
    // Nothing of bob's was appended.
    expect(broker.replicaManager.partition('orders', 0)!.log.endOffset()).toBe(2);
  });

  it.skipIf(!pythonCan('import confluent_kafka'))('confluent-kafka-python (librdkafka) as bob: TOPIC_AUTHORIZATION_FAILED reading and writing; as alice: both pass', async () => {
    // Bob may use his group (so only the topic is refused); alice's groups are alice-*.
    await kafkajsAs('admin').admin().createAcls({ acl: [{ resourceType: AclResourceTypes.GROUP, resourceName: 'bob-probe', resourcePatternType: ResourcePatternTypes.LITERAL, principal: 'User:bob', host: '*', operation: AclOperationTypes.READ, permissionType: AclPermissionTypes.ALLOW }] });
    const probe = (user: User) => runPython('confluent_acl_probe.py', { bootstrap: address, topic: 'orders', group: `${user}-probe`, username: user, password: PASSWORDS[user] });
    const bob = await probe('bob');
    expect(bob.filter((e) => e.event === 'record')).toEqual([]);
    expect(bob.filter((e) => e.event === 'read-error').map((e) => e.name)).toEqual(['TOPIC_AUTHORIZATION_FAILED']);
    expect(bob.find((e) => e.event === 'produce-error')).toMatchObject({ code: KafkaCode.TOPIC_AUTHORIZATION_FAILED });
    const alice = await probe('alice');
    expect(alice.filter((e) => e.event === 'record').map((e) => e.value)).toEqual(['one', 'two']);
    expect(alice.find((e) => e.event === 'delivered')).toBeDefined();
  });

  it('our client authenticates with SASL and is refused as Kafka refuses', async () => {
    const as = (user: User) => createClient({ brokers: [address], transport: tcpTransport(), registry: fullRegistry(), asyncScope: nodeAsyncScope(), retry: { retries: 0 }, sasl: { mechanism: 'plain', username: user, password: PASSWORDS[user] } });
    const alice = as('alice');
    const bob = as('bob');
    try {
      await alice.producer().send({ topic: 'orders', messages: [{ value: 'three' }] });
      await expect(bob.admin().fetchTopicOffsets('orders')).rejects.toMatchObject({ kafkaCode: KafkaCode.TOPIC_AUTHORIZATION_FAILED });
      await expect(bob.admin().describeAcls()).rejects.toMatchObject({ kafkaCode: KafkaCode.CLUSTER_AUTHORIZATION_FAILED });
    } finally {
      await alice.close();
      await bob.close();
    }
  });
});
