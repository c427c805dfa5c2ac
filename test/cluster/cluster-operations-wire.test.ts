/**
 * The operator's cluster operations over the wire: a broker's ControllerChannel reaches the
 * controller listener over TCP, which answers from a real QuorumController — the path a
 * broker process takes when it forwards a client's AlterPartitionReassignments,
 * ListPartitionReassignments, ElectLeaders or UnregisterBroker.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { serveController } from '../../adapters/server/index.ts';
import { tcpTransport } from '../../adapters/transport/index.ts';
import { ControllerChannel } from '../../core/broker/controller/controller-channel.ts';
import { KafkaCode } from '../../core/errors.ts';
import { startController, unfencedBrokers } from './controller-helpers.ts';

const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

describe('cluster operations through the controller listener', () => {
  it('reassigns, lists, elects and unregisters with the controller\'s answers', async () => {
    const { controller, quorum } = startController();
    await unfencedBrokers(controller, [1, 2, 3]);
    await controller.createTopic({ name: 't', numPartitions: -1, replicationFactor: -1, assignments: [{ partitionIndex: 0, brokerIds: [1, 2] }] });
    const listener = await serveController({ nodeId: 100, controller, quorum, host: '127.0.0.1', port: 0 });
    cleanups.push(() => listener.close());
    const channel = new ControllerChannel({ voters: [{ nodeId: 100, host: '127.0.0.1', port: listener.port }], transport: tcpTransport(), defaultNumPartitions: 1, retryBackoffMs: 5, retryBackoffMaxMs: 20, retryTimeoutMs: 5000 });
    cleanups.push(() => channel.close());

    const altered = await channel.alterPartitionReassignments({ timeoutMs: 1000, topics: [{ name: 't', partitions: [{ partitionIndex: 0, replicas: [3, 2] }, { partitionIndex: 4, replicas: [1] }] }] });
    expect(altered.errorCode).toBe(0);
    expect(altered.responses[0]!.partitions.map((p) => p.errorCode)).toEqual([0, KafkaCode.UNKNOWN_TOPIC_OR_PARTITION]);
    expect(controller.image.topic('t')!.partitions[0]).toMatchObject({ replicas: [3, 2, 1], addingReplicas: [3], removingReplicas: [1] });

    const listed = await channel.listPartitionReassignments({ timeoutMs: 1000, topics: [{ name: 't', partitionIndexes: [0] }] });
    expect(listed.topics).toEqual([{ name: 't', partitions: [{ partitionIndex: 0, replicas: [3, 2, 1], addingReplicas: [3], removingReplicas: [1] }] }]);

    const elected = await channel.electLeaders({ electionType: 0, topicPartitions: [{ topic: 't', partitions: [0] }], timeoutMs: 1000 });
    // The preferred replica (3, being added) is not in sync yet.
    expect(elected.replicaElectionResults[0]!.partitionResult[0]!.errorCode).toBe(KafkaCode.PREFERRED_LEADER_NOT_AVAILABLE);

    expect((await channel.unregisterBroker({ brokerId: 9 })).errorCode).toBe(KafkaCode.BROKER_ID_NOT_REGISTERED);
    expect((await channel.unregisterBroker({ brokerId: 3 })).errorCode).toBe(0);
    expect(controller.image.registration(3)).toBeUndefined();
  });
});
