/**
 * Controller failover with several voters, each running its own QuorumController over the
 * same metadata log (one MemoryQuorum shared by three controllers; `elect` moves the
 * leadership as a Raft election would): a deposed controller stops deciding, a new one
 * replays what it had not applied before it serves and gives the live brokers fresh
 * sessions; over TCP, a broker's channel, lifecycle and metadata reader follow the active
 * controller across the three listeners and keep the broker registered and unfenced.
 */
import { createServer, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { serveController } from '../../adapters/server/index.ts';
import { tcpTransport } from '../../adapters/transport/index.ts';
import { BrokerLifecycle } from '../../core/broker/cluster/broker-lifecycle.ts';
import { ControllerChannel } from '../../core/broker/controller/controller-channel.ts';
import { QuorumController } from '../../core/broker/controller/quorum-controller.ts';
import { MemoryQuorum } from '../../core/broker/quorum/memory-quorum.ts';
import type { MetadataQuorum, QuorumVoter } from '../../core/broker/quorum/metadata-quorum.ts';
import { RemoteMetadataReader } from '../../core/broker/quorum/remote-metadata-reader.ts';
import { systemClock } from '../../core/clock.ts';
import { silentLogger } from '../../core/contracts/logger.ts';
import { KafkaCode } from '../../core/errors.ts';
import { heartbeat, ManualClock, register, unfencedBrokers } from './controller-helpers.ts';

const cleanups: Array<() => Promise<unknown> | unknown> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** Three controllers (nodes 1, 2, 3) over one quorum that node 1 leads. */
function threeControllers(quorum?: MetadataQuorum & { elect(nodeId: number): unknown }) {
  const clock = new ManualClock();
  const log = quorum ?? new MemoryQuorum({ clock, leaderId: 1 });
  const controllers = new Map<number, QuorumController>();
  for (const nodeId of [1, 2, 3]) {
    const controller = new QuorumController({ quorum: log, nodeId, clock, logger: silentLogger, numPartitions: 3, defaultReplicationFactor: 3, sessionTimeoutMs: 9000 });
    controllers.set(nodeId, controller);
    cleanups.push(() => controller.close());
  }
  return { clock, quorum: log, c: (id: number) => controllers.get(id)! };
}

describe('three controllers over one metadata log', () => {
  it('a deposed controller answers its pending calls NOT_CONTROLLER; the new one replays first, then serves the same image', async () => {
    const { quorum, c } = threeControllers();
    await c(1).whenIdle();
    const epochs = await unfencedBrokers(c(1), [11, 12, 13]);
    await c(1).createTopic({ name: 'before', numPartitions: 3, replicationFactor: 3 });
    // Calls queued on node 1, then the election lands before they run.
    const pendingRegistration = c(1).registerBroker({ nodeId: 14, clusterId: 'c1', incarnationId: 'inc-14', host: 'h14', port: 9014, rack: null });
    const pendingHeartbeat = heartbeat(c(1), 11, epochs.get(11)!);
    const pendingTopic = c(1).createTopic({ name: 'lost', numPartitions: 1, replicationFactor: 1 });
    const length = (quorum as MemoryQuorum).batches().length;
    quorum.elect(2);
    expect((await pendingRegistration).errorCode).toBe(KafkaCode.NOT_CONTROLLER);
    expect((await pendingHeartbeat).errorCode).toBe(KafkaCode.NOT_CONTROLLER);
    await expect(pendingTopic).rejects.toMatchObject({ kafkaCode: KafkaCode.NOT_CONTROLLER });
    expect((quorum as MemoryQuorum).batches()).toHaveLength(length);

    await c(2).whenIdle();
    expect(c(2).active).toBe(true);
    expect([c(1).active, c(3).active]).toEqual([false, false]);
    expect(c(2).image.topic('before')).toEqual(c(1).image.topic('before'));
    expect(c(2).image.brokers().map((b) => b.nodeId)).toEqual([11, 12, 13]);
    // Node 3 never led: it answers NOT_CONTROLLER too.
    expect((await heartbeat(c(3), 11, epochs.get(11)!)).errorCode).toBe(KafkaCode.NOT_CONTROLLER);
    // The live brokers keep their registrations: heartbeats at the old epochs are answered.
    expect(await heartbeat(c(2), 11, epochs.get(11)!)).toMatchObject({ errorCode: 0, isFenced: false });
    await c(2).createTopic({ name: 'after', numPartitions: 1, replicationFactor: 3 });

    // Node 3 next: it replays everything (it never applied anything); node 1 later goes on from where it stopped.
    quorum.elect(3);
    await c(3).whenIdle();
    expect(c(3).image.topic('after')).toEqual(c(2).image.topic('after'));
    await c(3).deleteTopic('before');
    quorum.elect(1);
    await c(1).whenIdle();
    expect(c(1).image.topic('before')).toBeUndefined();
    expect(c(1).image.topic('after')).toEqual(c(3).image.topic('after'));
    // Producer ids stay unique across the three.
    const first = await c(1).allocateProducerIds({ brokerId: 12, brokerEpoch: epochs.get(12)! });
    quorum.elect(2);
    await c(2).whenIdle();
    const second = await c(2).allocateProducerIds({ brokerId: 12, brokerEpoch: epochs.get(12)! });
    expect(second.firstProducerId).toBe(first.firstProducerId + first.size);
  });

  it('gives up an append left undecided by a deposition and serves again at its next activation', async () => {
    const clock = new ManualClock();
    const memory = new MemoryQuorum({ clock, leaderId: 1 });
    let hang = false;
    // A quorum whose leader resigns with an append in flight: the append neither commits nor fails.
    const quorum = {
      leader: () => memory.leader(),
      read: (from: number, wait: number) => memory.read(from, wait),
      onLeaderChange: (listener: Parameters<MetadataQuorum['onLeaderChange']>[0]) => memory.onLeaderChange(listener),
      close: () => memory.close(),
      elect: (nodeId: number) => memory.elect(nodeId),
      append: (records: Parameters<MetadataQuorum['append']>[0], epoch: number) => (hang ? new Promise<number>(() => undefined) : memory.append(records, epoch)),
    };
    const { c } = threeControllers(quorum);
    await c(1).whenIdle();
    await unfencedBrokers(c(1), [11]);
    hang = true;
    const stuck = c(1).createTopic({ name: 'stuck', numPartitions: 1, replicationFactor: 1 });
    await new Promise((resolve) => setTimeout(resolve, 5));
    quorum.elect(2);
    await expect(stuck).rejects.toMatchObject({ kafkaCode: KafkaCode.NOT_CONTROLLER });
    hang = false;
    await c(2).whenIdle();
    await c(2).createTopic({ name: 'next', numPartitions: 1, replicationFactor: 1 });
    quorum.elect(1);
    await c(1).whenIdle();
    expect(c(1).active).toBe(true);
    expect(c(1).image.topic('next')?.partitions).toHaveLength(1);
    await c(1).createTopic({ name: 'again', numPartitions: 1, replicationFactor: 1 });
  });

  it('a new controller gives live brokers fresh sessions but none to fenced ones: a restarted fenced broker registers at once', async () => {
    const { quorum, c } = threeControllers();
    await c(1).whenIdle();
    const epochs = await unfencedBrokers(c(1), [11, 12]);
    // Broker 12 shuts down in a controlled way: fenced.
    await heartbeat(c(1), 12, epochs.get(12)!, { wantShutdown: true });
    quorum.elect(2);
    await c(2).whenIdle();
    // A new process for 12 is welcome at once; one for 11 (still live) is a duplicate.
    expect(await register(c(2), 12, 'inc-12-b')).toBeGreaterThan(epochs.get(12)!);
    const duplicate = await c(2).registerBroker({ nodeId: 11, clusterId: 'c1', incarnationId: 'inc-11-b', host: 'h11', port: 9011, rack: null });
    expect(duplicate.errorCode).toBe(KafkaCode.DUPLICATE_BROKER_REGISTRATION);
  });
});

describe('a broker follows the active controller across three voters over TCP', () => {
  it('stays registered and unfenced through elections of each voter in turn, and reads the log from whichever leads', async () => {
    const quorum = new MemoryQuorum({ clock: systemClock, leaderId: 1 });
    cleanups.push(() => quorum.close());
    const voters: QuorumVoter[] = [];
    for (const nodeId of [1, 2, 3]) {
      const controller = new QuorumController({ quorum, nodeId, clock: systemClock, logger: silentLogger, numPartitions: 1, defaultReplicationFactor: 1, sessionTimeoutMs: 2000 });
      cleanups.push(() => controller.close());
      const listener = await serveController({ nodeId, controller, quorum, host: '127.0.0.1', port: 0 });
      cleanups.push(() => listener.close());
      voters.push({ nodeId, host: '127.0.0.1', port: listener.port });
    }
    const transport = tcpTransport();
    const link = { voters, transport, clock: systemClock, logger: silentLogger, retryBackoffMs: 5, retryBackoffMaxMs: 50, requestTimeoutMs: 2000 };
    const channel = new ControllerChannel({ ...link, defaultNumPartitions: 1 });
    const reader = new RemoteMetadataReader({ ...link, nodeId: 11 });
    cleanups.push(() => reader.close());
    cleanups.push(() => channel.close());
    reader.onLeaderChange((leader) => channel.preferLeader(leader.nodeId));
    let applied = -1;
    const lifecycle = new BrokerLifecycle({
      nodeId: 11,
      clusterId: () => 'c1',
      controller: channel,
      appliedOffset: () => applied,
      clock: systemClock,
      logger: silentLogger,
      heartbeatIntervalMs: 20,
    });
    cleanups.push(() => lifecycle.stop());
    // The broker's metadata follower, reduced to what it reports: the offset it has read.
    let reading = true;
    const follow = (async () => {
      while (reading) {
        const read = await reader.read(applied + 1, 100).catch(() => ({ batches: [], highWatermark: 0 }));
        for (const batch of read.batches) applied = batch.baseOffset + batch.records.length - 1;
      }
    })();
    cleanups.push(async () => {
      reading = false;
      await follow;
    });
    lifecycle.start({ nodeId: 11, host: '127.0.0.1', port: 9011, rack: null });
    await until(() => lifecycle.brokerEpoch >= 0 && !lifecycle.fenced);
    const epoch = lifecycle.brokerEpoch;
    for (const next of [2, 3, 1, 3]) {
      const leader = quorum.elect(next);
      // The reader learns the leader from the voters' answers; heartbeats go on to it.
      await until(() => reader.leader().nodeId === next && reader.leader().epoch === leader.epoch);
      const heard = quorum.highWatermark;
      await channel.createTopic({ name: `t-${next}-${leader.epoch}`, numPartitions: 1, replicationFactor: 1 });
      await until(() => applied >= heard);
      expect(channel.activeController).toBe(next);
    }
    expect(lifecycle.brokerEpoch).toBe(epoch);
    expect(lifecycle.fenced).toBe(false);
    // Never fenced, never registered again, in the whole log.
    const records = quorum.batches().flatMap((b) => b.records);
    expect(records.filter((r) => r.type === 'fence-broker' && r.nodeId === 11 && r.fenced)).toEqual([]);
    expect(records.filter((r) => r.type === 'register-broker' && r.nodeId === 11)).toHaveLength(1);
  });
});

describe('a controller link told where the leader is', () => {
  it('leaves a connection that is still opening to a stopped voter (SIGSTOP: accepted, never answered) for the leader named', async () => {
    // A voter that takes connections and answers nothing, as a stopped process does.
    const sockets: Socket[] = [];
    const silent = createServer((socket) => void sockets.push(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    cleanups.push(() => {
      for (const socket of sockets) socket.destroy();
      return new Promise((resolve) => silent.close(resolve));
    });
    const quorum = new MemoryQuorum({ clock: systemClock, leaderId: 2 });
    const controller = new QuorumController({ quorum, nodeId: 2, clock: systemClock, logger: silentLogger, numPartitions: 1, defaultReplicationFactor: 1 });
    cleanups.push(() => controller.close());
    const listener = await serveController({ nodeId: 2, controller, quorum, host: '127.0.0.1', port: 0 });
    cleanups.push(() => listener.close());
    const voters = [{ nodeId: 1, host: '127.0.0.1', port: (silent.address() as { port: number }).port }, { nodeId: 2, host: '127.0.0.1', port: listener.port }];
    // Connect and request timeouts far beyond the test's: only the redirect can end the wait.
    const channel = new ControllerChannel({ voters, transport: tcpTransport(), defaultNumPartitions: 1, connectTimeoutMs: 600_000, requestTimeoutMs: 600_000, retryBackoffMs: 5 });
    cleanups.push(() => channel.close());
    const registering = channel.registerBroker({ nodeId: 5, clusterId: 'c1', incarnationId: '0f8fad5b-d9cb-469f-a165-70867728950e', host: 'h5', port: 9005, rack: null });
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(channel.activeController).toBe(1);
    channel.preferLeader(2);
    expect((await registering).errorCode).toBe(0);
  });
});

async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setTimeout(resolve, 5));
}
