/**
 * ACLs live in the metadata: on a single broker they persist in its metadata store (a
 * restart on the same filesystem directory has them, and data written before ACLs existed
 * still loads), in a cluster they are records of the metadata log, so every broker's
 * authorizer decides from the same ACLs — created through any broker (forwarded to the
 * controller), removed through another.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { filesystemStorage } from '../../adapters/filesystem/index.ts';
import { nodeAsyncScope } from '../../adapters/runtime/async-scope.ts';
import { createCluster, type EmbeddedCluster } from '../../adapters/runtime/embedded-cluster.ts';
import { DEFAULT_HANDLERS } from '../../core/broker/api/preset.ts';
import { Broker } from '../../core/broker/broker.ts';
import { type Client, createClient } from '../../core/client/client.ts';
import { inProcessTransport } from '../../core/client/in-process-transport.ts';
import type { TransportFactory } from '../../core/client/transport.ts';
import type { AclBinding } from '../../core/contracts/authorizer.ts';
import { KafkaCode } from '../../core/errors.ts';
import { ApiKey } from '../../core/protocol/api-keys.ts';
import { fullRegistry } from '../client/helpers.ts';

const ADMIN = 'User:admin';
const ALICE = 'User:alice';
const readOrders: AclBinding = { principal: ALICE, host: '*', resourceType: 'topic', resourceName: 'orders', patternType: 'literal', operation: 'read', permission: 'allow' };
const writePrefix: AclBinding = { principal: ALICE, host: '*', resourceType: 'topic', resourceName: 'ord', patternType: 'prefixed', operation: 'write', permission: 'allow' };

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function clientOf(transport: TransportFactory, brokers: string[]): Client {
  return createClient({ brokers, transport, registry: fullRegistry(), retry: { retries: 3, initialRetryTime: 20, maxRetryTime: 100 }, asyncScope: nodeAsyncScope() });
}

describe('ACLs on a single broker', () => {
  it('persist across a restart on filesystem storage, removals too', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tributary-acl-'));
    dirs.push(dir);
    const start = async () => {
      const broker = new Broker({ storage: filesystemStorage({ dir }), handlers: DEFAULT_HANDLERS, retentionCheckIntervalMs: 0, authorizer: { name: 'standard', superUsers: [ADMIN] } });
      await broker.start();
      return broker;
    };
    let broker = await start();
    let admin = clientOf(inProcessTransport(broker, { principal: ADMIN }), ['in-process:0']);
    await admin.admin().createTopics({ topics: [{ topic: 'orders' }] });
    await admin.admin().createAcls({ acls: [readOrders, writePrefix, { ...readOrders, resourceName: 'gone' }] });
    await admin.admin().deleteAcls({ filters: [{ resourceName: 'gone' }] });
    await admin.close();
    await broker.close();

    broker = await start();
    admin = clientOf(inProcessTransport(broker, { principal: ADMIN }), ['in-process:0']);
    const alice = clientOf(inProcessTransport(broker, { principal: ALICE }), ['in-process:0']);
    try {
      const acls = await admin.admin().describeAcls();
      expect(acls).toHaveLength(2);
      expect(acls).toEqual(expect.arrayContaining([readOrders, writePrefix]));
      // The restarted broker's authorizer decides from them.
      await alice.producer().send({ topic: 'orders', messages: [{ value: 'after restart' }] });
      const metadata = await alice.admin().cluster.sendAny(ApiKey.Metadata, { topics: null, allowAutoTopicCreation: false });
      expect(metadata.topics.map((t) => t.name)).toEqual(['orders']);
    } finally {
      await admin.close();
      await alice.close();
      await broker.close();
    }
  });

  it('a data directory written before ACLs existed loads with none', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tributary-acl-'));
    dirs.push(dir);
    const plain = new Broker({ storage: filesystemStorage({ dir }), handlers: DEFAULT_HANDLERS, retentionCheckIntervalMs: 0 });
    await plain.start();
    await plain.topics.create({ name: 'old', numPartitions: 1, replicationFactor: 1 });
    await plain.close();
    const broker = new Broker({ storage: filesystemStorage({ dir }), handlers: DEFAULT_HANDLERS, retentionCheckIntervalMs: 0, authorizer: { name: 'standard' } });
    await broker.start();
    try {
      expect(broker.image.topic('old')).toBeDefined();
      expect(broker.image.acls.size).toBe(0);
    } finally {
      await broker.close();
    }
  });
});

describe('ACLs in a cluster', () => {
  let cluster: EmbeddedCluster | undefined;
  afterEach(async () => {
    await cluster?.close();
    cluster = undefined;
  });

  it('replicate through the metadata log: created on one broker, enforced and removed on the others', async () => {
    cluster = await createCluster({ brokers: 3, broker: { authorizer: { name: 'standard', superUsers: [ADMIN] } } });
    const c = cluster;
    // Each in-process connection reaches the broker its address names, acting as `principal`.
    const as = (principal: string): TransportFactory => (address, options) => inProcessTransport(c.broker(address.nodeId ?? address.port), { principal })(address, options);
    const bootstrap = ['in-process:1', 'in-process:2', 'in-process:3'];
    const admin1 = clientOf(as(ADMIN), ['in-process:1']);
    const admin3 = clientOf(as(ADMIN), ['in-process:3']);
    const alice = clientOf(as(ALICE), bootstrap);
    try {
      await admin1.admin().createTopics({ topics: [{ topic: 'orders', numPartitions: 1, replicationFactor: 3 }] });
      // Followers fetch as User:ANONYMOUS until inter-broker links authenticate: they need CLUSTER_ACTION.
      const followers: AclBinding = { principal: 'User:ANONYMOUS', host: '*', resourceType: 'cluster', resourceName: 'kafka-cluster', patternType: 'literal', operation: 'cluster-action', permission: 'allow' };
      await admin1.admin().createAcls({ acls: [readOrders, writePrefix, followers] });
      expect(c.controller.image.acls.size).toBe(3);
      for (const id of [1, 2, 3]) {
        await c.broker(id).cluster!.follower.syncWithLog();
        expect([...c.broker(id).image.acls.values()]).toEqual(expect.arrayContaining([readOrders, writePrefix, followers]));
      }
      // Every broker enforces them: alice writes (acks=all, so the followers' fetches pass) and reads.
      await alice.producer({ acks: -1 } as never).send({ topic: 'orders', messages: [{ value: 'replicated' }] });
      const describe = (id: number) => c.broker(id).authorizer!.authorize({ principal: ALICE, host: '' }, [{ operation: 'read', resourceType: 'topic', resourceName: 'orders' }])[0];
      expect([1, 2, 3].map(describe)).toEqual(['allowed', 'allowed', 'allowed']);

      // Removed through broker 3: gone everywhere.
      const [removed] = await admin3.admin().deleteAcls({ filters: [{ principal: ALICE, operation: 'read' }] });
      expect(removed!.deleted).toEqual([readOrders]);
      for (const id of [1, 2, 3]) await c.broker(id).cluster!.follower.syncWithLog();
      expect([1, 2, 3].map(describe)).toEqual(['denied', 'denied', 'denied']);
      // DESCRIBE is still implied by the prefixed WRITE (ListOffsets at the leader).
      expect((await alice.admin().fetchTopicOffsets('orders'))[0]!.high).toBe(1);
      const metadata = await alice.admin().cluster.sendAny(ApiKey.Metadata, { topics: [{ name: 'secret' }], allowAutoTopicCreation: false });
      expect(metadata.topics[0]!.errorCode).toBe(KafkaCode.TOPIC_AUTHORIZATION_FAILED);

      // A restarted broker replays them from the log.
      await c.restart(2);
      await c.broker(2).cluster!.follower.syncWithLog();
      expect([...c.broker(2).image.acls.values()]).toEqual(expect.arrayContaining([writePrefix, followers]));
      expect(c.broker(2).image.acls.size).toBe(2);
    } finally {
      await Promise.allSettled([admin1.close(), admin3.close(), alice.close()]);
    }
  });
});
