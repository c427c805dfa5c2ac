/**
 * The simulated cluster: N brokers (node ids 1..N) and the controller (node 0, a
 * controller-only node as in KRaft) in this process, every link through the
 * {@link SimNetwork}, every broker on its own {@link SimDisk}. Brokers crash (process or
 * machine), restart on their disk as a new incarnation, and are observed for the
 * invariant checker. Nothing here reads real time: the caller runs it under fake timers.
 */
import { Broker } from '../../core/broker/broker.ts';
import { DEFAULT_HANDLERS } from '../../core/broker/api/preset.ts';
import { QuorumController } from '../../core/broker/controller/quorum-controller.ts';
import { MemoryQuorum } from '../../core/broker/quorum/memory-quorum.ts';
import { type Clock, systemClock } from '../../core/clock.ts';
import { silentLogger, type Logger } from '../../core/contracts/logger.ts';
import type { PartitionLog } from '../../core/contracts/storage.ts';
import { decodeBatchesSync, iterateBatches } from '../../core/records/index.ts';
import type { ControllerPartition, LogEntry, Observation, ReplicaObservation } from './invariants.ts';
import type { SeededRandom } from './seeded-random.ts';
import { SimDisk } from './sim-disk.ts';
import { type NetworkFaults, SimNetwork } from './sim-network.ts';

/** The controller's node id on the simulated network. */
export const CONTROLLER_ID = 0;

/** Timings of the simulated cluster (short, so that a run sees many failovers). */
export interface SimTimings {
  readonly heartbeatIntervalMs: number;
  readonly sessionTimeoutMs: number;
  readonly replicaLagTimeMaxMs: number;
  readonly replicaFetchWaitMaxMs: number;
  readonly replicaFetchBackoffMs: number;
}

/** Options of {@link SimCluster}. */
export interface SimClusterOptions {
  readonly brokers: number;
  readonly random: SeededRandom;
  readonly faults: NetworkFaults;
  readonly timings: SimTimings;
  readonly logger?: Logger;
}

/** What a partition of a node looks like from outside (the replica manager's Partition). */
interface ObservedPartition {
  readonly topic: string;
  readonly partition: number;
  readonly log: PartitionLog;
  readonly leaderEpoch: number;
  readonly isLeader: boolean;
  readonly highWatermark: number;
  readonly logStartOffset: number;
  readonly logEndOffset: number;
  readonly maximalIsr?: readonly number[];
  readonly open: boolean;
  /** The leader-epoch cache (epoch → start offset), when the partition keeps one. */
  readonly epochs?: { toJSON(): unknown };
}

/** One broker node: its disk, and the broker of its current incarnation while it runs. */
export class SimNode {
  readonly id: number;
  readonly disk: SimDisk;
  broker: Broker | undefined;
  /** Bumped by every crash. */
  incarnation = 0;
  /** Why the node is down ('kill' | 'power'), undefined while up. */
  down: 'kill' | 'power' | undefined;

  constructor(id: number) {
    this.id = id;
    this.disk = new SimDisk(id);
  }
}

const decoder = new TextDecoder();

/** The cluster under simulation. */
export class SimCluster {
  readonly clock: Clock = systemClock;
  readonly network: SimNetwork;
  readonly quorum: MemoryQuorum;
  readonly controller: QuorumController;
  readonly nodes: SimNode[] = [];
  readonly #options: SimClusterOptions;
  readonly #logger: Logger;
  // Decoded batches by (base offset, CRC): a log is read again at every check.
  readonly #decoded = new Map<string, Array<LogEntry & { readonly offset: number }>>();

  constructor(options: SimClusterOptions) {
    this.#options = options;
    this.#logger = options.logger ?? silentLogger;
    this.network = new SimNetwork(this.clock, options.random.fork(), options.faults);
    this.quorum = new MemoryQuorum({ clock: this.clock, leaderId: CONTROLLER_ID });
    const ids = options.random.fork();
    this.controller = new QuorumController({
      quorum: this.quorum,
      nodeId: CONTROLLER_ID,
      clock: this.clock,
      logger: this.#logger,
      numPartitions: 1,
      defaultReplicationFactor: 3,
      sessionTimeoutMs: options.timings.sessionTimeoutMs,
      clusterId: 'sim-cluster',
      newTopicId: () => ids.uuid(),
    });
    for (let id = 1; id <= options.brokers; id++) {
      const node = new SimNode(id);
      this.nodes.push(node);
      this.network.register(id, () => node.broker);
    }
  }

  /** A node by id. */
  node(id: number): SimNode {
    const node = this.nodes[id - 1];
    if (!node) throw new Error(`no node ${id}`);
    return node;
  }

  /** Builds and starts the broker of a node's next incarnation (resolves once it has caught up with the metadata log). */
  startBroker(node: SimNode): Promise<void> {
    const { timings } = this.#options;
    const broker = new Broker({
      storage: node.disk.open(),
      handlers: DEFAULT_HANDLERS,
      nodeId: node.id,
      clusterId: 'sim-cluster',
      host: `node${node.id}`,
      port: 9092,
      retentionCheckIntervalMs: 0,
      defaultReplicationFactor: 3,
      logger: this.#logger,
      cluster: {
        voters: [{ nodeId: CONTROLLER_ID, host: 'controller', port: 9093 }],
        quorum: this.network.quorumFor(node.id, CONTROLLER_ID, this.quorum),
        controller: this.network.controllerFor(node.id, CONTROLLER_ID, this.controller),
        transport: this.network.transportFor(node.id),
        clock: this.clock,
        ...timings,
      },
    });
    node.broker = broker;
    node.down = undefined;
    return broker.start();
  }

  /**
   * Crashes a node: `kill` is a process crash (everything written to the OS stays),
   * `power` a machine crash (every log goes back to its last synced end). Returns the
   * partitions whose logs lost a tail.
   */
  async crash(node: SimNode, kind: 'kill' | 'power'): Promise<Array<{ topic: string; partition: number; from: number; to: number }>> {
    const old = node.broker;
    node.incarnation++;
    node.down = kind;
    node.broker = undefined;
    this.network.crash(node.id);
    const cut = kind === 'power' ? await node.disk.powerLoss() : (node.disk.kill(), []);
    if (old) {
      // The dead incarnation's loops end without touching anything: its network and disk are gone.
      void old.cluster?.halt().catch(() => undefined);
      void old.close().catch(() => undefined);
    }
    return cut;
  }

  /** The brokers that run now. */
  running(): SimNode[] {
    return this.nodes.filter((n) => n.broker?.running);
  }

  /** The controller's partitions (the committed metadata). */
  controllerPartitions(): ControllerPartition[] {
    const out: ControllerPartition[] = [];
    for (const topic of this.controller.image.topics()) {
      for (const p of topic.partitions) {
        out.push({ topic: topic.name, partition: p.partition, leader: p.leader, leaderEpoch: p.leaderEpoch, partitionEpoch: p.partitionEpoch ?? 0, isr: [...p.isr] });
      }
    }
    return out;
  }

  /**
   * Observes every running node's partitions. The synchronous state is read first, then the
   * logs; when anything moved while the logs were read, it looks again (a torn observation
   * would report rules broken that were not).
   */
  async observe(): Promise<Observation> {
    for (let attempt = 0; ; attempt++) {
      const states = this.#states();
      const replicas: ReplicaObservation[] = [];
      for (const s of states) replicas.push({ ...s.state, entry: await this.#entries(s.partition, s.state.logStartOffset, s.state.logEndOffset) });
      const again = this.#states();
      const same = again.length === states.length && again.every((a, i) => JSON.stringify(a.state) === JSON.stringify(states[i]!.state));
      if (same || attempt >= 5) return { replicas, controller: this.controllerPartitions() };
    }
  }

  #states(): Array<{ partition: ObservedPartition; state: Omit<ReplicaObservation, 'entry'> }> {
    const out: Array<{ partition: ObservedPartition; state: Omit<ReplicaObservation, 'entry'> }> = [];
    for (const node of this.running()) {
      const partitions = (node.broker!.replicaManager as unknown as { partitions(): ObservedPartition[] }).partitions();
      for (const p of partitions) {
        if (!p.open || p.topic.startsWith('__')) continue;
        out.push({
          partition: p,
          state: {
            node: node.id,
            incarnation: node.incarnation,
            topic: p.topic,
            partition: p.partition,
            role: p.isLeader ? 'leader' : 'follower',
            leaderEpoch: p.leaderEpoch,
            highWatermark: p.highWatermark,
            logStartOffset: p.logStartOffset,
            logEndOffset: p.logEndOffset,
            ...(p.isLeader && p.maximalIsr ? { isr: [...p.maximalIsr] } : {}),
            ...(p.epochs ? { epochCache: JSON.stringify(p.epochs.toJSON()) } : {}),
          },
        });
      }
    }
    return out;
  }

  async #entries(p: ObservedPartition, start: number, end: number): Promise<(offset: number) => LogEntry | undefined> {
    const byOffset = new Map<number, LogEntry>();
    if (end > start) {
      let read;
      try {
        read = await p.log.read(start, Number.MAX_SAFE_INTEGER);
      } catch {
        return () => undefined;
      }
      for (const chunk of read.chunks) {
        for (const slice of iterateBatches(chunk)) {
          const key = `${slice.header.baseOffset}:${slice.header.partitionLeaderEpoch}:${slice.header.crc}`;
          let entries = this.#decoded.get(key);
          if (!entries) {
            const [batch] = decodeBatchesSync(slice.bytes);
            entries = batch!.records.map((r) => ({ value: r.value ? decoder.decode(r.value) : '', epoch: batch!.partitionLeaderEpoch, offset: r.offset }));
            this.#decoded.set(key, entries);
          }
          for (const e of entries) if (e.offset < end) byOffset.set(e.offset, e);
        }
      }
    }
    return (offset) => byOffset.get(offset);
  }
}
