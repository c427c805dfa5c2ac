/**
 * The controller's operator operations over an in-memory quorum and a manual clock:
 * reassignment (KIP-455: start, completion through AlterPartition, cancel, errors),
 * ElectLeaders (PREFERRED / UNCLEAN and Kafka's error codes), the automatic preferred-leader
 * rebalance on the controller's clock, UnregisterBroker, and that old partition records
 * (without the reassignment fields) still load.
 */
import { describe, expect, it } from 'vitest';
import { completeReassignment } from '../../core/broker/controller/partition-change.ts';
import { MetadataDelta } from '../../core/broker/metadata/metadata-delta.ts';
import { MetadataImage } from '../../core/broker/metadata/metadata-image.ts';
import { KafkaCode } from '../../core/errors.ts';
import { heartbeat, startController, unfencedBrokers } from './controller-helpers.ts';

type Controller = ReturnType<typeof startController>['controller'];

const reassign = (controller: Controller, topic: string, partition: number, replicas: number[] | null) =>
  controller.alterPartitionReassignments({ timeoutMs: 1000, topics: [{ name: topic, partitions: [{ partitionIndex: partition, replicas }] }] });

const errorOf = async (answer: ReturnType<typeof reassign>) => (await answer).responses[0]!.partitions[0]!.errorCode;

const elect = (controller: Controller, electionType: number, topicPartitions: Array<{ topic: string; partitions: number[] }> | null) =>
  controller.electLeaders({ electionType, topicPartitions, timeoutMs: 1000 });

async function withTopic(replicas: number[][], brokers = [1, 2, 3, 4]) {
  const fixture = startController();
  const epochs = await unfencedBrokers(fixture.controller, brokers);
  const topic = await fixture.controller.createTopic({ name: 't', numPartitions: -1, replicationFactor: -1, assignments: replicas.map((brokerIds, partitionIndex) => ({ partitionIndex, brokerIds })) });
  return { ...fixture, epochs, topic };
}

describe('partition reassignment on the controller', () => {
  it('writes the target with adding and removing replicas, and completes once the leader adds the new replica to the ISR', async () => {
    const { controller, epochs, topic } = await withTopic([[1, 2, 3]]);
    expect(await errorOf(reassign(controller, 't', 0, [4, 2, 3]))).toBe(0);
    let p = controller.image.topic('t')!.partitions[0]!;
    expect(p).toMatchObject({ replicas: [4, 2, 3, 1], addingReplicas: [4], removingReplicas: [1], isr: [1, 2, 3], leader: 1, leaderEpoch: 0, partitionEpoch: 1 });
    const listed = await controller.listPartitionReassignments({ timeoutMs: 1000, topics: null });
    expect(listed.topics).toEqual([{ name: 't', partitions: [{ partitionIndex: 0, replicas: [4, 2, 3, 1], addingReplicas: [4], removingReplicas: [1] }] }]);

    // Broker 4 caught up: the leader (1) proposes it; the controller completes the reassignment, and 1 — removed — no longer leads.
    const [answer] = await controller.alterPartition({ brokerId: 1, brokerEpoch: epochs.get(1)!, items: [{ topicId: topic.id, partition: 0, leaderEpoch: 0, partitionEpoch: 1, newIsr: [1, 2, 3, 4] }] });
    expect(answer!.errorCode).toBe(0);
    p = controller.image.topic('t')!.partitions[0]!;
    expect(p.replicas).toEqual([4, 2, 3]);
    expect([...p.isr].sort()).toEqual([2, 3, 4]);
    expect(p.leader).toBe(4);
    expect(p.leaderEpoch).toBe(1);
    expect(p.addingReplicas).toBeUndefined();
    expect(p.removingReplicas).toBeUndefined();
    expect((await controller.listPartitionReassignments({ timeoutMs: 1000, topics: null })).topics).toEqual([]);
  });

  it('completes at once a reassignment that only drops or reorders in-sync replicas (with a leader epoch bump when one is dropped)', async () => {
    const { controller } = await withTopic([[1, 2, 3], [1, 2, 3]]);
    expect(await errorOf(reassign(controller, 't', 0, [2, 3]))).toBe(0);
    expect(controller.image.topic('t')!.partitions[0]).toMatchObject({ replicas: [2, 3], isr: [2, 3], leader: 2, leaderEpoch: 1 });
    expect(await errorOf(reassign(controller, 't', 1, [3, 1, 2]))).toBe(0);
    // Reordering alone: the preferred replica changes, the leader stays (a preferred election moves it).
    expect(controller.image.topic('t')!.partitions[1]).toMatchObject({ replicas: [3, 1, 2], leader: 1, leaderEpoch: 0 });
  });

  it('cancels: back to the original replicas, the added ones out of the ISR; NO_REASSIGNMENT_IN_PROGRESS without one', async () => {
    const { controller } = await withTopic([[1, 2]]);
    await reassign(controller, 't', 0, [3, 4]);
    expect(controller.image.topic('t')!.partitions[0]).toMatchObject({ replicas: [3, 4, 1, 2], addingReplicas: [3, 4], removingReplicas: [1, 2] });
    expect(await errorOf(reassign(controller, 't', 0, null))).toBe(0);
    const p = controller.image.topic('t')!.partitions[0]!;
    expect(p).toMatchObject({ replicas: [1, 2], isr: [1, 2], leader: 1 });
    expect(p.addingReplicas).toBeUndefined();
    expect(await errorOf(reassign(controller, 't', 0, null))).toBe(KafkaCode.NO_REASSIGNMENT_IN_PROGRESS);
  });

  it('refuses bad targets with Kafka codes: empty, duplicate, unregistered broker, unknown partition', async () => {
    const { controller } = await withTopic([[1, 2]]);
    expect(await errorOf(reassign(controller, 't', 0, []))).toBe(KafkaCode.INVALID_REPLICA_ASSIGNMENT);
    expect(await errorOf(reassign(controller, 't', 0, [1, 1]))).toBe(KafkaCode.INVALID_REPLICA_ASSIGNMENT);
    expect(await errorOf(reassign(controller, 't', 0, [1, 9]))).toBe(KafkaCode.INVALID_REPLICA_ASSIGNMENT);
    expect(await errorOf(reassign(controller, 't', 5, [1, 2]))).toBe(KafkaCode.UNKNOWN_TOPIC_OR_PARTITION);
    expect(await errorOf(reassign(controller, 'nope', 0, [1, 2]))).toBe(KafkaCode.UNKNOWN_TOPIC_OR_PARTITION);
    expect(controller.image.topic('t')!.partitions[0]!.partitionEpoch).toBe(0);
  });

  it('keeps the reassignment through ISR shrinks and a fenced leader, and never completes without every target in sync', () => {
    expect(completeReassignment([4, 2, 3, 1], [4], [1], [1, 2, 3])).toBeNull();
    expect(completeReassignment([4, 2, 3, 1], [4], [1], [2, 4, 3])).toEqual({ replicas: [4, 2, 3], isr: [2, 4, 3] });
    // Only removed replicas in sync: not yet.
    expect(completeReassignment([3, 1], [3], [1], [1])).toBeNull();
    expect(completeReassignment([1, 2], [], [], [1, 2])).toBeNull();
  });

  it('answers NOT_CONTROLLER when not active', async () => {
    const { controllerFor } = startController();
    const standby = controllerFor(7);
    expect((await standby.alterPartitionReassignments({ timeoutMs: 1, topics: [] })).errorCode).toBe(KafkaCode.NOT_CONTROLLER);
    expect((await standby.listPartitionReassignments({ timeoutMs: 1, topics: null })).errorCode).toBe(KafkaCode.NOT_CONTROLLER);
    expect((await standby.electLeaders({ electionType: 0, topicPartitions: null, timeoutMs: 1 })).errorCode).toBe(KafkaCode.NOT_CONTROLLER);
    expect((await standby.unregisterBroker({ brokerId: 1 })).errorCode).toBe(KafkaCode.NOT_CONTROLLER);
  });
});

describe('ElectLeaders on the controller', () => {
  it('PREFERRED: elects the first replica when in sync; ELECTION_NOT_NEEDED / PREFERRED_LEADER_NOT_AVAILABLE otherwise', async () => {
    const { controller, epochs } = await withTopic([[1, 2, 3], [2, 3, 1]], [1, 2, 3]);
    // Broker 1 shuts down (controlled) and comes back: partition 0 is led by 2 now, 1 out of its ISR.
    await heartbeat(controller, 1, epochs.get(1)!, { wantShutdown: true });
    expect(controller.image.topic('t')!.partitions[0]!.leader).toBe(2);
    await heartbeat(controller, 1, epochs.get(1)!);
    const results = await elect(controller, 0, [{ topic: 't', partitions: [0, 1, 7] }]);
    expect(results.replicaElectionResults[0]!.partitionResult.map((r) => r.errorCode)).toEqual([KafkaCode.PREFERRED_LEADER_NOT_AVAILABLE, KafkaCode.ELECTION_NOT_NEEDED, KafkaCode.UNKNOWN_TOPIC_OR_PARTITION]);
    // Back in the ISR (its leader's AlterPartition), broker 1 may lead again.
    const p0 = controller.image.topic('t')!.partitions[0]!;
    await controller.alterPartition({ brokerId: 2, brokerEpoch: epochs.get(2)!, items: [{ topicId: controller.image.topic('t')!.id, partition: 0, leaderEpoch: p0.leaderEpoch, partitionEpoch: p0.partitionEpoch, newIsr: [2, 3, 1] }] });
    const all = await elect(controller, 0, null);
    // Every partition asked for: only those that needed an election are answered.
    expect(all.replicaElectionResults).toEqual([{ topic: 't', partitionResult: [{ partitionId: 0, errorCode: 0, errorMessage: null }] }]);
    expect(controller.image.topic('t')!.partitions[0]).toMatchObject({ leader: 1, leaderEpoch: p0.leaderEpoch + 1 });
  });

  it('UNCLEAN: ELECTION_NOT_NEEDED with a leader; a live replica out of the ISR leads a leaderless partition; ELIGIBLE_LEADERS_NOT_AVAILABLE with none', async () => {
    const { controller, epochs, clock } = await withTopic([[1, 2]], [1, 2]);
    expect((await elect(controller, 1, [{ topic: 't', partitions: [0] }])).replicaElectionResults[0]!.partitionResult[0]!.errorCode).toBe(KafkaCode.ELECTION_NOT_NEEDED);
    // 2 leaves the ISR, then 1 dies: no leader (the ISR keeps its last member, 1).
    const topicId = controller.image.topic('t')!.id;
    await controller.alterPartition({ brokerId: 1, brokerEpoch: epochs.get(1)!, items: [{ topicId, partition: 0, leaderEpoch: 0, partitionEpoch: 0, newIsr: [1] }] });
    // Only 2 heartbeats: 1's session expires.
    for (let i = 0; i < 10; i++) {
      clock.advance(1000);
      await heartbeat(controller, 2, epochs.get(2)!);
    }
    await controller.whenIdle();
    expect(controller.image.topic('t')!.partitions[0]).toMatchObject({ leader: -1, isr: [1] });
    const unclean = await elect(controller, 1, [{ topic: 't', partitions: [0] }]);
    expect(unclean.replicaElectionResults[0]!.partitionResult[0]!.errorCode).toBe(0);
    expect(controller.image.topic('t')!.partitions[0]).toMatchObject({ leader: 2, isr: [2] });
  });

  it('UNCLEAN with no live replica: ELIGIBLE_LEADERS_NOT_AVAILABLE', async () => {
    const { controller, epochs, clock } = await withTopic([[1]], [1, 2]);
    for (let i = 0; i < 10; i++) {
      clock.advance(1000);
      await heartbeat(controller, 2, epochs.get(2)!);
    }
    await controller.whenIdle();
    expect(controller.image.topic('t')!.partitions[0]!.leader).toBe(-1);
    expect((await elect(controller, 1, [{ topic: 't', partitions: [0] }])).replicaElectionResults[0]!.partitionResult[0]!.errorCode).toBe(KafkaCode.ELIGIBLE_LEADERS_NOT_AVAILABLE);
  });
});

describe('automatic preferred-leader rebalance', () => {
  async function imbalanced(options: object) {
    const fixture = startController({ leaderRebalance: { intervalMs: 5000, ...options } });
    const { controller } = fixture;
    const epochs = await unfencedBrokers(controller, [1, 2, 3]);
    await controller.createTopic({ name: 't', numPartitions: -1, replicationFactor: -1, assignments: [0, 1, 2, 3].map((i) => ({ partitionIndex: i, brokerIds: i < 2 ? [1, 2, 3] : [2, 3, 1] })) });
    await heartbeat(controller, 1, epochs.get(1)!, { wantShutdown: true });
    await heartbeat(controller, 1, epochs.get(1)!);
    // The leaders bring broker 1 back into the ISRs.
    for (const p of controller.image.topic('t')!.partitions) {
      await controller.alterPartition({ brokerId: p.leader, brokerEpoch: epochs.get(p.leader)!, items: [{ topicId: controller.image.topic('t')!.id, partition: p.partition, leaderEpoch: p.leaderEpoch, partitionEpoch: p.partitionEpoch, newIsr: [...p.isr, 1] }] });
    }
    const leaders = () => controller.image.topic('t')!.partitions.map((p) => p.leader);
    expect(leaders()).toEqual([2, 2, 2, 2]);
    return { ...fixture, leaders, epochs };
  }

  const keepAlive = async (fixture: Awaited<ReturnType<typeof imbalanced>>, ms: number) => {
    for (let t = 0; t < ms; t += 1000) {
      fixture.clock.advance(1000);
      for (const [id, epoch] of fixture.epochs) await heartbeat(fixture.controller, id, epoch);
    }
    await fixture.controller.whenIdle();
  };

  it('every leader.imbalance.check.interval, moves leadership back to preferred replicas of an imbalanced broker', async () => {
    const fixture = await imbalanced({});
    await keepAlive(fixture, 4000);
    expect(fixture.leaders()).toEqual([2, 2, 2, 2]);
    await keepAlive(fixture, 2000);
    expect(fixture.leaders()).toEqual([1, 1, 2, 2]);
  });

  it('does nothing when auto.leader.rebalance.enable is false, or the imbalance is within leader.imbalance.per.broker.percentage', async () => {
    const off = await imbalanced({ enable: false });
    await keepAlive(off, 12_000);
    expect(off.leaders()).toEqual([2, 2, 2, 2]);
    // Broker 1 leads none of its 2 preferred partitions: 100 % imbalance, under a 100 % allowance.
    const tolerant = await imbalanced({ perBrokerPercentage: 100 });
    await keepAlive(tolerant, 12_000);
    expect(tolerant.leaders()).toEqual([2, 2, 2, 2]);
  });
});

describe('UnregisterBroker and old records', () => {
  it('removes a registration (out of every ISR first); BROKER_ID_NOT_REGISTERED for an unknown broker', async () => {
    const { controller } = await withTopic([[1, 2]], [1, 2, 3]);
    expect((await controller.unregisterBroker({ brokerId: 1 })).errorCode).toBe(0);
    expect(controller.image.registration(1)).toBeUndefined();
    expect(controller.image.topic('t')!.partitions[0]).toMatchObject({ leader: 2, isr: [2] });
    expect((await controller.unregisterBroker({ brokerId: 1 })).errorCode).toBe(KafkaCode.BROKER_ID_NOT_REGISTERED);
  });

  it('loads partition records written before reassignment existed (no adding/removing fields)', () => {
    const image = new MetadataDelta(MetadataImage.EMPTY).replay([
      { type: 'topic', name: 'old', topicId: 'id-1', replicationFactor: 2, createdAt: 0 },
      { type: 'partition', topicId: 'id-1', partitionId: 0, replicas: [1, 2], isr: [1, 2], leader: 1, leaderEpoch: 3 },
    ]).apply();
    const p = image.topic('old')!.partitions[0]!;
    expect(p).toEqual({ partition: 0, replicas: [1, 2], isr: [1, 2], leader: 1, leaderEpoch: 3, partitionEpoch: 0 });
  });
});
