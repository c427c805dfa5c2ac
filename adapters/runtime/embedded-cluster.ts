/**
 * An in-process cluster: N brokers, each with its own storage and a TCP listener on
 * 127.0.0.1 (so any Kafka client can use it), and a controller over an in-memory metadata
 * quorum — started in milliseconds, for tests and for trying replication. Faults on
 * demand: `kill(id)` (a crash: no controlled shutdown, no flush), `restart(id)` (the same
 * storage and port), `isolate(id)` / `heal()` (the node loses its links to its peers and the
 * controller while its clients stay connected), `pause(id)` / `resume(id)` (the node stops
 * answering its peers and the controller, as a process stopped by SIGSTOP looks to them).
 *
 * The controller runs as node {@link CONTROLLER_NODE_ID} of its own (Kafka's isolated
 * controller mode), so that killing any broker never takes the controller with it — or,
 * with `raftControllers`, every broker is also a voter of a Raft quorum (combined mode), and
 * killing the active controller's node is a controller failover.
 */
import { Broker } from '../../core/broker/broker.ts';
import { DEFAULT_HANDLERS } from '../../core/broker/api/preset.ts';
import type { BrokerToController } from '../../core/broker/controller/broker-to-controller.ts';
import { QuorumController } from '../../core/broker/controller/quorum-controller.ts';
import { type AddressInfo, createServer } from 'node:net';
import { MetadataImage } from '../../core/broker/metadata/metadata-image.ts';
import type { MetadataQuorum, QuorumVoter } from '../../core/broker/quorum/metadata-quorum.ts';
import type { RaftTimings } from '../../core/broker/quorum/raft/raft-timings.ts';
import type { LeaderRebalanceConfig } from '../../core/broker/controller/leader-election.ts';
import { newClusterId } from '../../core/broker/cluster/cluster-id.ts';
import { MemoryQuorum } from '../../core/broker/quorum/memory-quorum.ts';
import { type Clock, systemClock } from '../../core/clock.ts';
import { Client, type ClientOptions } from '../../core/client/client.ts';
import type { Logger } from '../../core/contracts/logger.ts';
import { silentLogger } from '../../core/contracts/logger.ts';
import type { Storage } from '../../core/contracts/storage.ts';
import { TributaryError } from '../../core/errors.ts';
import type { Registry } from '../../core/registry.ts';
import { serveController, startServer, type ControllerListener, type TributaryServer } from '../server/index.ts';
import { tcpTransport } from '../transport/index.ts';
import { nodeAsyncScope } from './async-scope.ts';
import { ClusterNetwork } from './cluster-network.ts';
import { createDefaultRegistry } from './default-registry.ts';
import type { EmbeddedBrokerOptions } from './embedded-broker.ts';

/** The controller's node id in an in-process cluster (Kafka's test clusters number controllers from 3000). */
export const CONTROLLER_NODE_ID = 3000;

/** How long an in-process call to the controller may take before it counts as lost. */
const CONTROLLER_CALL_TIMEOUT_MS = 5000;

/** Options of {@link createCluster}. */
export interface EmbeddedClusterOptions {
  /** How many brokers (node ids 1…N). Default 3. */
  readonly brokers?: number;
  /** Storage of node `id` (called again on restart only when the node has none). Default: memory. */
  readonly storage?: (nodeId: number) => Storage;
  /** Options every broker gets (partitions, topic defaults, limits, groups…). */
  readonly broker?: Omit<EmbeddedBrokerOptions, 'storage' | 'listen' | 'registry' | 'nodeId' | 'cluster' | 'host' | 'port'>;
  /** default.replication.factor of auto-created topics. Default min(3, brokers). */
  readonly defaultReplicationFactor?: number;
  /**
   * Timings (Kafka's names). An in-process cluster serves tests, so its defaults are
   * shorter than Kafka's (heartbeat 2000, session 9000, lag 30000): a killed broker is
   * fenced after 3 s instead of 9 s.
   */
  readonly heartbeatIntervalMs?: number;
  /** broker.session.timeout.ms. Default 3000. */
  readonly sessionTimeoutMs?: number;
  /** replica.lag.time.max.ms. Default 10000. */
  readonly replicaLagTimeMaxMs?: number;
  /** Where plugins are found; what clients use. Default: the built-ins. */
  readonly registry?: Registry;
  readonly logger?: Logger;
  /** Time source of the cluster parts. Default: the system clock. */
  readonly clock?: Clock;
  /**
   * Every broker is also a voter of a Raft controller quorum (issue 12), as `tributary broker
   * --controller-quorum 1@…,2@…,3@…` runs it: no isolated controller, the voters elect one
   * over the in-process network's links (their controller listeners on 127.0.0.1, through
   * the same faults as every other link), and `kill(id)` of the active controller's node takes
   * the controller with it. Needs 3 brokers or more for a quorum that survives one loss.
   */
  readonly raftControllers?: boolean;
  /** Raft timings (controller.quorum.*) of {@link raftControllers}. Default: shorter than KRaft's, for tests. */
  readonly raftTimings?: Partial<RaftTimings>;
  /** Committed metadata records between two snapshots of a Raft voter, with {@link raftControllers}. Default 20,000. */
  readonly metadataSnapshotRecords?: number;
  /** The controller's automatic leader rebalance (Kafka's defaults: on, every 300 s, 10 %). */
  readonly leaderRebalance?: Partial<LeaderRebalanceConfig>;
}

/** Raft timings of an in-process quorum: failures detected in a second or two. */
// (A follower's fetch waits up to 500 ms at the leader: the request timeout must be longer.)
const IN_PROCESS_RAFT_TIMINGS: Partial<RaftTimings> = Object.freeze({ electionTimeoutMs: 500, fetchTimeoutMs: 1000, electionBackoffMaxMs: 500, requestTimeoutMs: 1000 });

interface Node {
  readonly id: number;
  readonly storage: Storage;
  port: number;
  broker: Broker | undefined;
  server: TributaryServer | undefined;
  /** Its controller listener (a Raft voter), on 127.0.0.1 at the node's controller port. */
  controllerListener: ControllerListener | undefined;
}

/** A running in-process cluster. */
export class EmbeddedCluster {
  readonly #quorum: MemoryQuorum | undefined;
  readonly #controller: QuorumController | undefined;
  /** The links between nodes, with their faults. */
  readonly network: ClusterNetwork;
  readonly registry: Registry;
  readonly #options: EmbeddedClusterOptions;
  readonly #nodes = new Map<number, Node>();
  readonly #clients = new Set<Client>();
  readonly #clock: Clock;
  readonly #paused = new Set<number>();
  readonly #controllerPorts = new Map<number, number>();

  /** Use {@link createCluster}. */
  constructor(options: EmbeddedClusterOptions, registry: Registry, clock: Clock) {
    this.#options = options;
    this.registry = registry;
    this.#clock = clock;
    const logger = options.logger ?? silentLogger;
    this.network = new ClusterNetwork(clock);
    const count = options.brokers ?? 3;
    if (options.raftControllers) {
      this.#quorum = undefined;
      this.#controller = undefined;
      return;
    }
    this.#quorum = new MemoryQuorum({ clock, leaderId: CONTROLLER_NODE_ID });
    this.#controller = new QuorumController({
      quorum: this.#quorum,
      nodeId: CONTROLLER_NODE_ID,
      clock,
      logger,
      numPartitions: options.broker?.numPartitions ?? 1,
      defaultReplicationFactor: options.defaultReplicationFactor ?? Math.min(3, count),
      sessionTimeoutMs: options.sessionTimeoutMs ?? 3000,
      leaderRebalance: options.leaderRebalance,
      // Written to the log at once, so every broker takes it before it registers.
      clusterId: newClusterId(),
    });
  }

  /** The in-memory metadata log (not with {@link EmbeddedClusterOptions.raftControllers}: each voter keeps its own). */
  get quorum(): MemoryQuorum {
    if (!this.#quorum) throw new TributaryError('ERR_INVALID_ARGUMENT', 'A cluster of Raft voters has no shared in-memory quorum: each node keeps its own log');
    return this.#quorum;
  }

  /** The isolated controller (node {@link CONTROLLER_NODE_ID}); not with {@link EmbeddedClusterOptions.raftControllers}. */
  get controller(): QuorumController {
    if (!this.#controller) throw new TributaryError('ERR_INVALID_ARGUMENT', 'A cluster of Raft voters has no isolated controller: see controllerId() and image()');
    return this.#controller;
  }

  /** The active controller's node id as the running nodes know it (-1: none, an election is under way). */
  controllerId(): number {
    if (this.#controller) return this.#quorum!.leader().nodeId;
    let best = { nodeId: -1, epoch: -1 };
    for (const node of this.#nodes.values()) {
      const leader = node.broker?.hostedController?.quorum.leader();
      if (leader && leader.nodeId >= 0 && leader.epoch > best.epoch) best = leader;
    }
    return best.nodeId;
  }

  /**
   * The cluster's metadata as the controller has it: the isolated controller's image, or
   * with Raft voters the most advanced image among the running nodes (the committed log).
   */
  image(): MetadataImage {
    if (this.#controller) return this.#controller.image;
    let best: { image: MetadataImage; offset: number } | undefined;
    for (const node of this.#nodes.values()) {
      const broker = node.broker;
      if (!broker?.cluster) continue;
      const offset = broker.cluster.follower.nextOffset;
      if (!best || offset > best.offset) best = { image: broker.image, offset };
    }
    return best?.image ?? MetadataImage.EMPTY;
  }

  /** Node ids of the brokers (running or not). */
  get nodeIds(): number[] {
    return [...this.#nodes.keys()];
  }

  /** `127.0.0.1:port` of every broker: the bootstrap list. */
  get bootstrap(): string[] {
    return [...this.#nodes.values()].map((n) => `127.0.0.1:${n.port}`);
  }

  /** The running broker `id` (throws when it is down). */
  broker(id: number): Broker {
    const broker = this.#node(id).broker;
    if (!broker) throw new TributaryError('ERR_NOT_STARTED', `Broker ${id} is not running`);
    return broker;
  }

  /** True while broker `id` runs. */
  running(id: number): boolean {
    return this.#nodes.get(id)?.broker !== undefined;
  }

  /** A client bootstrapped from every broker, over TCP (closed with the cluster). */
  client(options: Partial<Omit<ClientOptions, 'transport' | 'brokers'>> = {}): Client {
    const client = new Client({ brokers: this.bootstrap, registry: this.registry, asyncScope: nodeAsyncScope(), transport: tcpTransport(), ...options });
    this.#clients.add(client);
    return client;
  }

  /** The node id leading `topic`-`partition` as the controller has it (-1: none). */
  leaderOf(topic: string, partition: number): number {
    return this.image().topic(topic)?.partitions[partition]?.leader ?? -1;
  }

  /** Starts broker `id` (used by {@link createCluster} and {@link restart}). */
  async start(id: number): Promise<void> {
    let node = this.#nodes.get(id);
    if (!node) {
      node = { id, storage: this.#options.storage?.(id) ?? this.registry.create('storage', 'memory'), port: 0, broker: undefined, server: undefined, controllerListener: undefined };
      this.#nodes.set(id, node);
    }
    if (node.broker) throw new TributaryError('ERR_ALREADY_STARTED', `Broker ${id} is already running`);
    const { broker: shared = {} } = this.#options;
    const clock = this.#clock;
    const broker = new Broker({
      codecs: this.registry,
      ...shared,
      handlers: shared.handlers ?? DEFAULT_HANDLERS,
      groups: { initialRebalanceDelayMs: 0, ...shared.groups },
      storage: node.storage,
      nodeId: id,
      logger: this.#options.logger ?? shared.logger,
      defaultReplicationFactor: this.#options.defaultReplicationFactor ?? Math.min(3, this.#options.brokers ?? 3),
      cluster: {
        ...(this.#controller
          ? { voters: [{ nodeId: CONTROLLER_NODE_ID, host: 'in-process', port: 0 }], quorum: this.#quorumFor(id), controller: this.#controllerFor(id) }
          : {
              voters: this.#raftVoters(),
              raftTimings: { ...IN_PROCESS_RAFT_TIMINGS, ...this.#options.raftTimings },
              ...(this.#options.metadataSnapshotRecords !== undefined ? { metadataSnapshotRecords: this.#options.metadataSnapshotRecords } : {}),
              ...(this.#options.leaderRebalance !== undefined ? { leaderRebalance: this.#options.leaderRebalance } : {}),
            }),
        transport: this.network.transportFor(id, tcpTransport()),
        clock,
        heartbeatIntervalMs: this.#options.heartbeatIntervalMs ?? 500,
        sessionTimeoutMs: this.#options.sessionTimeoutMs ?? 3000,
        replicaLagTimeMaxMs: this.#options.replicaLagTimeMaxMs ?? 10_000,
        controlledShutdownTimeoutMs: 5000,
      },
    });
    // A Raft voter answers the other voters before its broker starts (its start waits for a leader).
    const hosted = broker.hostedController;
    if (hosted?.raft) {
      node.controllerListener = await serveController({ nodeId: id, controller: hosted.controller, quorum: hosted.quorum, raft: hosted.raft, host: '127.0.0.1', port: this.#controllerPorts.get(id)!, logger: this.#options.logger ?? silentLogger });
    }
    // The same port after a restart: clients reconnect to the address they know.
    try {
      node.server = await startServer(broker, { host: '127.0.0.1', port: node.port });
    } catch (error) {
      await node.controllerListener?.close();
      node.controllerListener = undefined;
      throw error;
    }
    node.port = Number(node.server.address.split(':').pop());
    node.broker = broker;
  }

  /** Kills broker `id` as kill -9 would: no controlled shutdown, no flush; its storage stays. */
  async kill(id: number): Promise<void> {
    const node = this.#node(id);
    const { broker, server, controllerListener } = node;
    if (!broker) return;
    node.broker = undefined;
    node.server = undefined;
    node.controllerListener = undefined;
    // Its controller listener goes with the process: nobody reaches it any more.
    await controllerListener?.close().catch(() => undefined);
    await broker.crash();
    await server?.close().catch(() => undefined);
  }

  /** Stops broker `id` cleanly (controlled shutdown: leadership moves away first). */
  async stop(id: number): Promise<void> {
    const node = this.#node(id);
    const { server, controllerListener } = node;
    node.broker = undefined;
    node.server = undefined;
    node.controllerListener = undefined;
    // The controller listener stays while the broker shuts down in a controlled way and its quorum resigns.
    try {
      await server?.close();
    } finally {
      await controllerListener?.close().catch(() => undefined);
    }
  }

  /** Starts a killed or stopped broker again on its storage and port. */
  async restart(id: number): Promise<void> {
    if (this.#node(id).broker) await this.kill(id);
    await this.start(id);
  }

  /** Cuts every link between broker `id` and its peers and the controller; its clients stay connected. */
  isolate(id: number): void {
    this.#node(id);
    this.network.isolate(id, this.#peersOf());
  }

  /**
   * Broker `id` stops answering its peers and the controller (its links blackholed: calls
   * time out rather than fail), as a paused process looks to them; {@link resume} ends it.
   */
  pause(id: number): void {
    this.#node(id);
    this.#paused.add(id);
    this.network.isolate(id, this.#peersOf(), 'blackhole');
  }

  /** Ends a {@link pause}. */
  resume(id: number): void {
    this.#paused.delete(id);
    for (const other of this.#peersOf()) if (other !== id) this.network.setBoth(id, other, { kind: 'up' });
  }

  /** Every link up again (isolations and pauses end). */
  heal(): void {
    this.#paused.clear();
    this.network.heal();
  }

  /** Resolves once `count` brokers are registered and unfenced; rejects after `timeoutMs`. */
  async waitForBrokers(count = this.#nodes.size, timeoutMs = 30_000): Promise<void> {
    const deadline = this.#clock.now() + timeoutMs;
    while (this.image().brokers().length < count) {
      if (this.#clock.now() >= deadline) throw new TributaryError('ERR_REQUEST_TIMEOUT', `Only ${this.image().brokers().length} of ${count} brokers were unfenced within ${timeoutMs} ms`);
      await new Promise<void>((resolve) => this.#clock.setTimeout(resolve, 20));
    }
  }

  /**
   * Resolves once every partition of `topics` (all topics when omitted) has a leader and
   * all its replicas in sync, as the controller sees it; rejects after `timeoutMs`.
   */
  async waitForFullIsr(topics?: readonly string[], timeoutMs = 30_000): Promise<void> {
    const deadline = this.#clock.now() + timeoutMs;
    for (;;) {
      const image = this.image();
      const names = topics ?? image.topics().map((t) => t.name);
      const full = names.every((name) => {
        const topic = image.topic(name);
        return topic !== undefined && topic.partitions.every((p) => p.leader >= 0 && p.isr.length === p.replicas.length);
      });
      if (full) return;
      if (this.#clock.now() >= deadline) throw new TributaryError('ERR_REQUEST_TIMEOUT', `Partitions of ${names.join(', ')} did not reach a full ISR within ${timeoutMs} ms`);
      await new Promise<void>((resolve) => this.#clock.setTimeout(resolve, 50));
    }
  }

  /** Closes clients, brokers (controlled shutdown) and the controller. */
  async close(): Promise<void> {
    this.heal();
    await Promise.all([...this.#clients].map((c) => c.close().catch(() => undefined)));
    this.#clients.clear();
    await Promise.all([...this.#nodes.keys()].map((id) => this.stop(id).catch(() => undefined)));
    this.#controller?.close();
    await this.#quorum?.close();
  }

  // Whom a node's links reach: every other node, and the isolated controller when there is one.
  #peersOf(): number[] {
    return this.#controller ? [...this.#nodes.keys(), CONTROLLER_NODE_ID] : [...this.#nodes.keys()];
  }

  // The Raft voters: every broker, its controller listener on its own port of 127.0.0.1.
  #raftVoters(): QuorumVoter[] {
    return [...this.#controllerPorts].map(([nodeId, port]) => ({ nodeId, host: '127.0.0.1', port }));
  }

  /** Picks the controller port of each voter (kept across restarts); called once before the first start. */
  async reserveControllerPorts(): Promise<void> {
    for (let id = 1; id <= (this.#options.brokers ?? 3); id++) {
      const probe = createServer();
      await new Promise<void>((resolve, reject) => probe.once('error', reject).listen(0, '127.0.0.1', () => resolve()));
      this.#controllerPorts.set(id, (probe.address() as AddressInfo).port);
      await new Promise<void>((resolve) => probe.close(() => resolve()));
    }
  }

  #node(id: number): Node {
    const node = this.#nodes.get(id);
    if (!node) throw new TributaryError('ERR_INVALID_ARGUMENT', `No broker ${id} in this cluster (brokers: ${this.nodeIds.join(', ')})`);
    return node;
  }

  // Node `id`'s view of the metadata log: reads pass the network like any other call.
  #quorumFor(id: number): MetadataQuorum {
    const quorum = this.quorum;
    const network = this.network;
    return {
      leader: () => quorum.leader(),
      append: (records, epoch) => quorum.append(records, epoch),
      read: (from, waitMs) => network.call(id, CONTROLLER_NODE_ID, CONTROLLER_CALL_TIMEOUT_MS + waitMs, () => quorum.read(from, waitMs)),
      onLeaderChange: (listener) => quorum.onLeaderChange(listener),
      close: async () => {},
    };
  }

  // Node `id`'s channel to the controller: every call passes the network.
  #controllerFor(id: number): BrokerToController {
    const controller = this.controller;
    const network = this.network;
    const call = <T>(fn: () => Promise<T>) => network.call(id, CONTROLLER_NODE_ID, CONTROLLER_CALL_TIMEOUT_MS, fn);
    return {
      get defaultNumPartitions() {
        return controller.defaultNumPartitions;
      },
      registerBroker: (r) => call(() => controller.registerBroker(r)),
      brokerHeartbeat: (r) => call(() => controller.brokerHeartbeat(r)),
      alterPartition: (r) => call(() => controller.alterPartition(r)),
      allocateProducerIds: (r) => call(() => controller.allocateProducerIds(r)),
      createTopic: (spec, validateOnly) => call(() => controller.createTopic(spec, validateOnly)),
      getOrCreateTopic: (name) => call(() => controller.getOrCreateTopic(name)),
      deleteTopic: (name) => call(() => controller.deleteTopic(name)),
      createPartitions: (name, count, assignments, validateOnly) => call(() => controller.createPartitions(name, count, assignments, validateOnly)),
      alterTopicConfigs: (name, configs, validateOnly) => call(() => controller.alterTopicConfigs(name, configs, validateOnly)),
      incrementalAlterTopicConfigs: (name, ops, validateOnly) => call(() => controller.incrementalAlterTopicConfigs(name, ops, validateOnly)),
      alterUserScramCredentials: (changes) => call(() => controller.alterUserScramCredentials(changes)),
      createAcls: (bindings) => call(() => controller.createAcls(bindings)),
      deleteAcls: (filters) => call(() => controller.deleteAcls(filters)),
      alterPartitionReassignments: (r) => call(() => controller.alterPartitionReassignments(r)),
      listPartitionReassignments: (r) => call(() => controller.listPartitionReassignments(r)),
      electLeaders: (r) => call(() => controller.electLeaders(r)),
      unregisterBroker: (r) => call(() => controller.unregisterBroker(r)),
      alterBrokerConfigs: (resource, configs, validateOnly) => call(() => controller.alterBrokerConfigs(resource, configs, validateOnly)),
      incrementalAlterBrokerConfigs: (resource, ops, validateOnly) => call(() => controller.incrementalAlterBrokerConfigs(resource, ops, validateOnly)),
    };
  }
}


/**
 * Starts an in-process cluster of `brokers` brokers (default 3) and its controller;
 * resolves once every broker is registered and unfenced.
 */
export async function createCluster(options: EmbeddedClusterOptions = {}): Promise<EmbeddedCluster> {
  const count = options.brokers ?? 3;
  if (!Number.isInteger(count) || count < 1) throw new TributaryError('ERR_INVALID_ARGUMENT', `brokers must be a positive integer, got ${count}`);
  const cluster = new EmbeddedCluster(options, options.registry ?? createDefaultRegistry(), options.clock ?? systemClock);
  if (options.raftControllers) await cluster.reserveControllerPorts();
  else await cluster.controller.whenIdle();
  try {
    await Promise.all(Array.from({ length: count }, (_, i) => cluster.start(i + 1)));
    await cluster.waitForBrokers(count);
  } catch (error) {
    await cluster.close().catch(() => undefined);
    throw error;
  }
  return cluster;
}
