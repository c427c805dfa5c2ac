/**
 * The cluster's controller end to end over an in-memory quorum and a manual clock:
 * registration and fencing, placement, session timeouts and elections, AlterPartition,
 * duplicate node ids, replication factor against unfenced brokers, producer-id blocks
 * across a controller failover, and NOT_CONTROLLER when not active.
 */
import { describe, expect, it } from 'vitest';
import { QuorumController } from '../../core/broker/controller/quorum-controller.ts';
import { silentLogger } from '../../core/contracts/logger.ts';
import { KafkaCode } from '../../core/errors.ts';
import { heartbeat, register, startController, unfencedBrokers } from './controller-helpers.ts';

describe('broker registration and fencing', () => {
  it('registers brokers fenced with the offset of their record as epoch, and unfences them once caught up', async () => {
    const { controller, quorum } = startController();
    const epoch1 = await register(controller, 1);
    // The first registration also wrote the cluster id: the registration is the second record.
    expect(quorum.batches()[0]!.records.map((r) => r.type)).toEqual(['cluster-id', 'register-broker']);
    expect(epoch1).toBe(1);
    const epoch2 = await register(controller, 2);
    expect(epoch2).toBe(2);
    expect(controller.image.isFenced(1)).toBe(true);
    expect(controller.image.brokers()).toEqual([]);

    // Behind its registration: stays fenced.
    expect(await heartbeat(controller, 1, epoch1, { offset: 0 })).toEqual({ errorCode: 0, isCaughtUp: false, isFenced: true, shouldShutdown: false });
    // Caught up but wanting to stay fenced: stays fenced.
    expect(await heartbeat(controller, 1, epoch1, { wantFence: true })).toMatchObject({ isCaughtUp: true, isFenced: true });
    expect(await heartbeat(controller, 1, epoch1)).toEqual({ errorCode: 0, isCaughtUp: true, isFenced: false, shouldShutdown: false });
    expect(controller.image.brokers().map((b) => b.nodeId)).toEqual([1]);
    expect(quorum.batches().at(-1)!.records).toEqual([{ type: 'fence-broker', nodeId: 1, brokerEpoch: epoch1, fenced: false }]);
  });

  it('answers STALE_BROKER_EPOCH for a wrong epoch and BROKER_ID_NOT_REGISTERED for an unknown broker', async () => {
    const { controller } = startController();
    const epoch = await register(controller, 1);
    expect((await heartbeat(controller, 1, epoch + 5)).errorCode).toBe(KafkaCode.STALE_BROKER_EPOCH);
    expect((await heartbeat(controller, 9, 0)).errorCode).toBe(KafkaCode.BROKER_ID_NOT_REGISTERED);
  });

  it('refuses a second live process with the same node id, accepts the same one again, and a new one after the session ended', async () => {
    const { controller, clock } = startController();
    const epoch = await register(controller, 1, 'first');
    const duplicate = await controller.registerBroker({ nodeId: 1, clusterId: 'c1', incarnationId: 'second', host: 'other', port: 1, rack: null });
    expect(duplicate.errorCode).toBe(KafkaCode.DUPLICATE_BROKER_REGISTRATION);
    expect(duplicate.errorMessage).toMatch(/node id 1 is already registered by another live broker/i);
    expect(duplicate.brokerEpoch).toBe(-1);
    // The same process retrying its registration gets the same epoch, no new record.
    expect(await register(controller, 1, 'first')).toBe(epoch);
    clock.advance(9001);
    await controller.whenIdle();
    const later = await register(controller, 1, 'second');
    expect(later).toBeGreaterThan(epoch);
    expect(controller.image.registration(1)).toMatchObject({ incarnationId: 'second', brokerEpoch: later, fenced: true });
  });

  it('lets a node that names its registration as the one it shut down cleanly with take over at once, and no one else', async () => {
    const { controller } = startController();
    const epoch = await register(controller, 1, 'first');
    // A guess at another epoch is still a duplicate while the old session lives.
    const wrong = await controller.registerBroker({ nodeId: 1, clusterId: 'c1', incarnationId: 'second', host: 'h', port: 1, rack: null, previousBrokerEpoch: epoch + 1 });
    expect(wrong.errorCode).toBe(KafkaCode.DUPLICATE_BROKER_REGISTRATION);
    const none = await controller.registerBroker({ nodeId: 1, clusterId: 'c1', incarnationId: 'second', host: 'h', port: 1, rack: null, previousBrokerEpoch: -1 });
    expect(none.errorCode).toBe(KafkaCode.DUPLICATE_BROKER_REGISTRATION);
    const restarted = await controller.registerBroker({ nodeId: 1, clusterId: 'c1', incarnationId: 'second', host: 'h', port: 1, rack: null, previousBrokerEpoch: epoch });
    expect(restarted.errorCode).toBe(0);
    expect(restarted.brokerEpoch).toBeGreaterThan(epoch);
    expect(controller.image.registration(1)).toMatchObject({ incarnationId: 'second', brokerEpoch: restarted.brokerEpoch, fenced: true });
  });

  it('refuses a broker of another cluster with INCONSISTENT_CLUSTER_ID', async () => {
    const { controller } = startController({ clusterId: 'mine' });
    await controller.whenIdle();
    expect(controller.image.clusterId).toBe('mine');
    const result = await controller.registerBroker({ nodeId: 1, clusterId: 'theirs', incarnationId: 'x', host: 'h', port: 1, rack: null });
    expect(result).toMatchObject({ errorCode: KafkaCode.INCONSISTENT_CLUSTER_ID, brokerEpoch: -1 });
    expect(result.errorMessage).toContain('mine');
    expect((await controller.registerBroker({ nodeId: 1, clusterId: 'mine', incarnationId: 'x', host: 'h', port: 1, rack: null })).errorCode).toBe(0);
  });
});

describe('topics over the cluster', () => {
  it('spreads 6 partitions of RF 3 over 3 brokers so that each leads 2, all replicas in sync, epochs 0', async () => {
    const { controller } = startController();
    await unfencedBrokers(controller, [1, 2, 3]);
    const topic = await controller.createTopic({ name: 't', numPartitions: 6, replicationFactor: 3 });
    expect([1, 2, 3].map((id) => topic.partitions.filter((p) => p.leader === id).length)).toEqual([2, 2, 2]);
    for (const p of topic.partitions) {
      expect([...p.replicas].sort()).toEqual([1, 2, 3]);
      expect(p.isr).toEqual(p.replicas);
      expect(p.leader).toBe(p.replicas[0]);
      expect([p.leaderEpoch, p.partitionEpoch]).toEqual([0, 0]);
    }
    expect(controller.image.topic('t')).toBe(topic);
  });

  it('refuses a replication factor above the unfenced brokers with the counts in the message', async () => {
    const { controller } = startController();
    await unfencedBrokers(controller, [1, 2]);
    await register(controller, 3); // registered but still fenced: does not count
    await expect(controller.createTopic({ name: 't', numPartitions: 1, replicationFactor: 3 })).rejects.toMatchObject({
      kafkaCode: KafkaCode.INVALID_REPLICATION_FACTOR,
      message: expect.stringMatching(/Replication factor 3 .*live brokers \(2\)/),
    });
    expect(controller.image.topic('t')).toBeUndefined();
  });

  it('validates as the single-node controller does, and changes partitions and configs', async () => {
    const { controller } = startController({ defaultReplicationFactor: 2 });
    await unfencedBrokers(controller, [1, 2, 3]);
    await expect(controller.createTopic({ name: 'bad name', numPartitions: 1, replicationFactor: 1 })).rejects.toMatchObject({ kafkaCode: KafkaCode.INVALID_TOPIC_EXCEPTION });
    await expect(controller.createTopic({ name: 'x', numPartitions: 1, replicationFactor: 1, configs: [['nope', '1']] })).rejects.toMatchObject({ kafkaCode: KafkaCode.INVALID_CONFIG });
    await expect(controller.createTopic({ name: 'x', numPartitions: 1, replicationFactor: 1, configs: [['min.insync.replicas', '0']] })).rejects.toMatchObject({ kafkaCode: KafkaCode.INVALID_CONFIG });
    await expect(controller.createTopic({ name: 'x', numPartitions: -1, replicationFactor: -1, assignments: [{ partitionIndex: 0, brokerIds: [1, 9] }] })).rejects.toMatchObject({ kafkaCode: KafkaCode.INVALID_REPLICA_ASSIGNMENT });
    const validated = await controller.createTopic({ name: 'a.b', numPartitions: 2, replicationFactor: -1 }, true);
    expect(validated.partitions).toHaveLength(2);
    expect(controller.image.topic('a.b')).toBeUndefined();
    await controller.createTopic({ name: 'a.b', numPartitions: 2, replicationFactor: -1 });
    await expect(controller.createTopic({ name: 'a_b', numPartitions: 1, replicationFactor: 1 })).rejects.toMatchObject({ kafkaCode: KafkaCode.INVALID_TOPIC_EXCEPTION });
    await expect(controller.createTopic({ name: 'a.b', numPartitions: 1, replicationFactor: 1 })).rejects.toMatchObject({ kafkaCode: KafkaCode.TOPIC_ALREADY_EXISTS });

    await controller.createPartitions('a.b', 4, null);
    expect(controller.image.topic('a.b')!.partitions.map((p) => p.replicas.length)).toEqual([2, 2, 2, 2]);
    await controller.createPartitions('a.b', 5, [[3, 1]]);
    expect(controller.image.topic('a.b')!.partitions[4]!.replicas).toEqual([3, 1]);
    await expect(controller.createPartitions('a.b', 5, null)).rejects.toMatchObject({ kafkaCode: KafkaCode.INVALID_PARTITIONS });

    await controller.alterTopicConfigs('a.b', [['retention.ms', '10'], ['unclean.leader.election.enable', 'true']]);
    await controller.incrementalAlterTopicConfigs('a.b', [{ name: 'retention.ms', op: 1, value: null }, { name: 'min.insync.replicas', op: 0, value: '2' }]);
    expect(Object.fromEntries(controller.image.topic('a.b')!.configs)).toEqual({ 'unclean.leader.election.enable': 'true', 'min.insync.replicas': '2' });

    expect((await controller.getOrCreateTopic('auto')).partitions).toHaveLength(3);
    expect((await controller.getOrCreateTopic('auto')).id).toBe(controller.image.topic('auto')!.id);
    await controller.deleteTopic('auto');
    expect(controller.image.topic('auto')).toBeUndefined();
    await expect(controller.deleteTopic('auto')).rejects.toMatchObject({ kafkaCode: KafkaCode.UNKNOWN_TOPIC_OR_PARTITION });
  });
});

describe('failures and elections', () => {
  it('fences a broker that misses its session: it leaves every ISR and its partitions elect the next replica in the ISR', async () => {
    const { controller, clock } = startController();
    const epochs = await unfencedBrokers(controller, [1, 2, 3]);
    await controller.createTopic({ name: 't', numPartitions: 6, replicationFactor: 3 });
    const before = controller.image.topic('t')!;
    // 2 and 3 keep heartbeating; 1 goes silent.
    clock.advance(5000);
    await heartbeat(controller, 2, epochs.get(2)!);
    await heartbeat(controller, 3, epochs.get(3)!);
    clock.advance(5000);
    await controller.whenIdle();
    expect(controller.image.isFenced(1)).toBe(true);
    expect(controller.image.brokers().map((b) => b.nodeId)).toEqual([2, 3]);
    const after = controller.image.topic('t')!;
    after.partitions.forEach((p, i) => {
      const old = before.partitions[i]!;
      expect(p.isr).not.toContain(1);
      expect(p.partitionEpoch).toBe(old.partitionEpoch + 1);
      if (old.leader === 1) {
        expect(p.leader).toBe(old.replicas.find((id) => id !== 1));
        expect(p.leaderEpoch).toBe(old.leaderEpoch + 1);
      } else {
        expect(p.leader).toBe(old.leader);
        expect(p.leaderEpoch).toBe(old.leaderEpoch);
      }
    });
    expect(controller.image.partitionsLedBy(1)).toEqual([]);
  });

  it('keeps the last ISR member and goes offline, elects it again when it comes back; unclean election only when the topic asks', async () => {
    const { controller, clock } = startController();
    const epochs = await unfencedBrokers(controller, [1, 2]);
    await controller.createTopic({ name: 'clean', numPartitions: -1, replicationFactor: -1, assignments: [{ partitionIndex: 0, brokerIds: [1, 2] }] });
    await controller.createTopic({ name: 'dirty', numPartitions: -1, replicationFactor: -1, assignments: [{ partitionIndex: 0, brokerIds: [1, 2] }], configs: [['unclean.leader.election.enable', 'true']] });
    const clean = controller.image.topic('clean')!;
    const dirty = controller.image.topic('dirty')!;
    // The ISR shrinks to the leader (2 fell behind), then the leader dies.
    for (const topic of [clean, dirty]) {
      const [answer] = await controller.alterPartition({ brokerId: 1, brokerEpoch: epochs.get(1)!, items: [{ topicId: topic.id, partition: 0, leaderEpoch: 0, partitionEpoch: 0, newIsr: [1] }] });
      expect(answer).toMatchObject({ errorCode: 0, isr: [1], partitionEpoch: 1 });
    }
    clock.advance(5000);
    await heartbeat(controller, 2, epochs.get(2)!);
    clock.advance(5000);
    await controller.whenIdle();
    expect(controller.image.isFenced(1)).toBe(true);
    expect(controller.image.partition(clean.id, 0)).toMatchObject({ leader: -1, isr: [1], leaderEpoch: 1, partitionEpoch: 2 });
    expect(controller.image.partition(dirty.id, 0)).toMatchObject({ leader: 2, isr: [2], leaderEpoch: 1, partitionEpoch: 2 });

    // Broker 1 restarts: a new registration, then caught up, it leads its offline partition again.
    const epoch1 = await register(controller, 1, 'restarted');
    expect(controller.image.partition(clean.id, 0)!.leader).toBe(-1);
    await heartbeat(controller, 1, epoch1);
    expect(controller.image.partition(clean.id, 0)).toMatchObject({ leader: 1, isr: [1], leaderEpoch: 2, partitionEpoch: 3 });
    expect(controller.image.partition(dirty.id, 0)).toMatchObject({ leader: 2, isr: [2] });
  });

  it('moves leadership away on controlled shutdown before letting the broker go, then fences it', async () => {
    const { controller } = startController();
    const epochs = await unfencedBrokers(controller, [1, 2, 3]);
    await controller.createTopic({ name: 't', numPartitions: 3, replicationFactor: 2 });
    expect(controller.image.partitionsLedBy(2).length).toBeGreaterThan(0);
    const answer = await heartbeat(controller, 2, epochs.get(2)!, { wantShutdown: true });
    expect(answer).toMatchObject({ errorCode: 0, shouldShutdown: true, isFenced: true });
    expect(controller.image.partitionsLedBy(2)).toEqual([]);
    expect(controller.image.partitionsInIsrOf(2)).toEqual([]);
    // New topics avoid it.
    const topic = await controller.createTopic({ name: 'u', numPartitions: 4, replicationFactor: 2 });
    expect(topic.partitions.flatMap((p) => p.replicas)).not.toContain(2);
  });
});

describe('AlterPartition', () => {
  it('commits an ISR change from the leader at the current epochs, and refuses stale or wrong ones', async () => {
    const { controller, clock } = startController();
    const epochs = await unfencedBrokers(controller, [1, 2, 3]);
    const topic = await controller.createTopic({ name: 't', numPartitions: -1, replicationFactor: -1, assignments: [{ partitionIndex: 0, brokerIds: [1, 2, 3] }] });
    const item = (over: object = {}) => ({ topicId: topic.id, partition: 0, leaderEpoch: 0, partitionEpoch: 0, newIsr: [1, 2], ...over });
    const alter = async (brokerId: number, over: object = {}, brokerEpoch = epochs.get(brokerId)!) => (await controller.alterPartition({ brokerId, brokerEpoch, items: [item(over)] }))[0]!;

    expect((await alter(2)).errorCode).toBe(KafkaCode.NOT_LEADER_OR_FOLLOWER);
    // Epochs above the controller's: it must be behind a newer controller (Kafka's answer).
    expect((await alter(1, { leaderEpoch: 1 })).errorCode).toBe(KafkaCode.NOT_CONTROLLER);
    expect((await alter(1, { partitionEpoch: 3 })).errorCode).toBe(KafkaCode.NOT_CONTROLLER);
    expect((await alter(1, { newIsr: [1, 4] })).errorCode).toBe(KafkaCode.INELIGIBLE_REPLICA);
    expect((await alter(1, {}, 999)).errorCode).toBe(KafkaCode.STALE_BROKER_EPOCH);
    expect((await alter(1, { partition: 5 })).errorCode).toBe(KafkaCode.UNKNOWN_TOPIC_OR_PARTITION);
    // The leader must stay in the ISR it proposes.
    expect((await alter(1, { newIsr: [2, 3] })).errorCode).toBe(KafkaCode.INVALID_REQUEST);

    expect(await alter(1)).toEqual({ topicId: topic.id, partition: 0, errorCode: 0, leader: 1, leaderEpoch: 0, partitionEpoch: 1, isr: [1, 2] });
    // The same proposal again is now stale.
    expect((await alter(1)).errorCode).toBe(KafkaCode.INVALID_UPDATE_VERSION);

    // A fenced broker may not join the ISR again.
    clock.advance(5000);
    await heartbeat(controller, 1, epochs.get(1)!);
    await heartbeat(controller, 2, epochs.get(2)!);
    clock.advance(5000);
    await controller.whenIdle();
    expect(controller.image.isFenced(3)).toBe(true);
    const grow = await alter(1, { partitionEpoch: 1, newIsr: [1, 2, 3] });
    expect(grow).toMatchObject({ errorCode: KafkaCode.INELIGIBLE_REPLICA, isr: [1, 2], partitionEpoch: 1 });
  });
  it('answers FENCED_LEADER_EPOCH to a leader that proposes from an older leader epoch', async () => {
    const { controller } = startController();
    const epochs = await unfencedBrokers(controller, [1, 2, 3]);
    const moved = await controller.createTopic({ name: 'm', numPartitions: -1, replicationFactor: -1, assignments: [{ partitionIndex: 0, brokerIds: [2, 1, 3] }] });
    await heartbeat(controller, 2, epochs.get(2)!, { wantShutdown: true });
    const p = controller.image.partition(moved.id, 0)!;
    expect(p).toMatchObject({ leader: 1, leaderEpoch: 1, partitionEpoch: 1, isr: [1, 3] });
    const stale = await controller.alterPartition({ brokerId: 1, brokerEpoch: epochs.get(1)!, items: [{ topicId: moved.id, partition: 0, leaderEpoch: 0, partitionEpoch: 1, newIsr: [1] }] });
    expect(stale[0]).toMatchObject({ errorCode: KafkaCode.FENCED_LEADER_EPOCH, leader: 1, leaderEpoch: 1, partitionEpoch: 1, isr: [1, 3] });
  });
});

describe('producer ids and failover', () => {
  it('hands out producer-id blocks that a new controller never hands out again', async () => {
    const { controller, quorum, controllerFor } = startController({ producerIdBlockSize: 1000 });
    const epochs = await unfencedBrokers(controller, [1, 2]);
    const first = await controller.allocateProducerIds({ brokerId: 1, brokerEpoch: epochs.get(1)! });
    const second = await controller.allocateProducerIds({ brokerId: 2, brokerEpoch: epochs.get(2)! });
    expect([first, second]).toEqual([{ errorCode: 0, firstProducerId: 0, size: 1000 }, { errorCode: 0, firstProducerId: 1000, size: 1000 }]);
    expect((await controller.allocateProducerIds({ brokerId: 1, brokerEpoch: 77 })).errorCode).toBe(KafkaCode.STALE_BROKER_EPOCH);

    // Node 200 takes over: node 100 answers NOT_CONTROLLER, node 200 replays the log.
    const next = controllerFor(200);
    quorum.elect(200);
    expect((await controller.allocateProducerIds({ brokerId: 1, brokerEpoch: epochs.get(1)! })).errorCode).toBe(KafkaCode.NOT_CONTROLLER);
    await expect(controller.createTopic({ name: 'x', numPartitions: 1, replicationFactor: 1 })).rejects.toMatchObject({ kafkaCode: KafkaCode.NOT_CONTROLLER });
    expect((await next.allocateProducerIds({ brokerId: 1, brokerEpoch: epochs.get(1)! }))).toEqual({ errorCode: 0, firstProducerId: 2000, size: 1000 });
    expect(next.image.brokers().map((b) => b.nodeId)).toEqual([1, 2]);

    // A brand-new controller object for the same node after a restart replays too.
    quorum.elect(-1);
    const restarted = controllerFor(100);
    quorum.elect(100);
    expect((await restarted.allocateProducerIds({ brokerId: 2, brokerEpoch: epochs.get(2)! })).firstProducerId).toBe(3000);
    controller.close();
    next.close();
    restarted.close();
  });

  it('refuses what a controller computed before it was deposed: the write never lands', async () => {
    const { controller, quorum, clock } = startController();
    await unfencedBrokers(controller, [1]);
    const length = quorum.batches().length;
    // An election lands between the controller's decision and its append (fault injection around the real quorum).
    const racing = new QuorumController({
      quorum: {
        leader: () => quorum.leader(),
        read: (from, wait) => quorum.read(from, wait),
        onLeaderChange: (listener) => quorum.onLeaderChange(listener),
        close: () => quorum.close(),
        append: (records, epoch) => {
          quorum.elect(200);
          return quorum.append(records, epoch);
        },
      },
      nodeId: 100,
      clock,
      logger: silentLogger,
      numPartitions: 1,
      defaultReplicationFactor: 1,
    });
    controller.close();
    await expect(racing.createTopic({ name: 'a', numPartitions: 1, replicationFactor: 1 })).rejects.toMatchObject({ kafkaCode: KafkaCode.NOT_CONTROLLER });
    expect(quorum.batches()).toHaveLength(length);
    expect(racing.active).toBe(false);
    expect((await register(racing, 5).catch((e: Error) => e.message))).toMatch(/41/);
    racing.close();
  });

  it('reads the log again after an append whose outcome it did not learn, instead of deciding from a stale image', async () => {
    const { controller, quorum, clock } = startController();
    await unfencedBrokers(controller, [1]);
    controller.close();
    let loseAnswer = false;
    // The batch commits but the answer is lost (a storage or network error after the write).
    const lossy = new QuorumController({
      quorum: {
        leader: () => quorum.leader(),
        read: (from, wait) => quorum.read(from, wait),
        onLeaderChange: (listener) => quorum.onLeaderChange(listener),
        close: () => quorum.close(),
        append: async (records, epoch) => {
          const offset = await quorum.append(records, epoch);
          if (loseAnswer) {
            loseAnswer = false;
            throw new Error('answer lost');
          }
          return offset;
        },
      },
      nodeId: 100,
      clock,
      logger: silentLogger,
      numPartitions: 1,
      defaultReplicationFactor: 1,
    });
    loseAnswer = true;
    await expect(lossy.createTopic({ name: 'a', numPartitions: 1, replicationFactor: 1 })).rejects.toThrow('answer lost');
    await expect(lossy.createTopic({ name: 'a', numPartitions: 1, replicationFactor: 1 })).rejects.toMatchObject({ kafkaCode: KafkaCode.TOPIC_ALREADY_EXISTS });
    // Offsets are right again: a registration's epoch is the offset of its record.
    const epoch = await register(lossy, 2);
    const batch = quorum.batches().find((b) => b.records.some((r) => r.type === 'register-broker' && r.nodeId === 2))!;
    expect(epoch).toBe(batch.baseOffset);
    lossy.close();
  });

  it('a deposed controller that leads again replays what its successor wrote', async () => {
    const { controller, quorum, controllerFor } = startController();
    const epochs = await unfencedBrokers(controller, [1, 2, 3]);
    const next = controllerFor(200);
    quorum.elect(200);
    await next.createTopic({ name: 'later', numPartitions: 2, replicationFactor: 3 });
    await heartbeat(next, 3, epochs.get(3)!, { wantShutdown: true });
    quorum.elect(100);
    await controller.whenIdle();
    expect(controller.active).toBe(true);
    expect(next.active).toBe(false);
    expect(controller.image.topic('later')).toEqual(next.image.topic('later'));
    expect(controller.image.isFenced(3)).toBe(true);
    expect((await next.createTopic({ name: 'x', numPartitions: 1, replicationFactor: 1 }).catch((e) => e)).kafkaCode).toBe(KafkaCode.NOT_CONTROLLER);
    controller.close();
    next.close();
  });

  it('a new controller gives every registered broker a fresh session, then fences the silent ones', async () => {
    const { controller, quorum, clock, controllerFor } = startController();
    const epochs = await unfencedBrokers(controller, [1, 2]);
    const next = controllerFor(200);
    quorum.elect(200);
    await next.whenIdle();
    expect(next.image.brokers().map((b) => b.nodeId)).toEqual([1, 2]);
    clock.advance(5000);
    await heartbeat(next, 1, epochs.get(1)!);
    clock.advance(5000);
    await next.whenIdle();
    expect(next.image.brokers().map((b) => b.nodeId)).toEqual([1]);
    controller.close();
    next.close();
  });
});
