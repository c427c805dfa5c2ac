/**
 * A small replicated cluster for the replication tests, without brokers: one
 * ReplicaManager + ReplicaFetcherManager per node on memory storage, a manual clock, a
 * controller stand-in that commits AlterPartition and publishes partition records to every
 * node, and an in-memory TransportFactory that carries requests through the real protocol
 * codec (encode → decode → the real Fetch / ListOffsets / OffsetForLeaderEpoch handlers →
 * encode → decode), with links that can be cut.
 */
import { memoryStorage } from '../../adapters/memory/index.ts';
import type { BrokerContext } from '../../core/broker/api/context.ts';
import { fetchHandler } from '../../core/broker/api/handlers/fetch.ts';
import { listOffsetsHandler } from '../../core/broker/api/handlers/list-offsets.ts';
import { offsetForLeaderEpochHandler } from '../../core/broker/api/handlers/offset-for-leader-epoch.ts';
import type { HandlerEntry } from '../../core/broker/api/handler.ts';
import type { AlterPartitionItem, AlterPartitionItemResult } from '../../core/broker/controller/broker-to-controller.ts';
import { MetadataLoader } from '../../core/broker/metadata/metadata-publisher.ts';
import type { MetadataRecord, PartitionRecord } from '../../core/broker/metadata/records.ts';
import { ProducerStateManager } from '../../core/broker/producer-state/producer-state-manager.ts';
import { ReplicaFetcherManager } from '../../core/broker/replication/replica-fetcher-manager.ts';
import type { ReplicaFetchConfig } from '../../core/broker/replication/replica-fetcher.ts';
import { ReplicaManager } from '../../core/broker/replica-manager.ts';
import type { Transport, TransportFactory } from '../../core/client/transport.ts';
import type { Clock } from '../../core/clock.ts';
import { silentLogger } from '../../core/contracts/logger.ts';
import type { Storage } from '../../core/contracts/storage.ts';
import { TributaryError } from '../../core/errors.ts';
import { KafkaCode } from '../../core/kafka-error-codes.ts';
import { concat, decodeRequest, decodeResponse, encodeRequest, encodeResponse } from '../../core/protocol/index.ts';
import { BROKER_VERSIONS } from '../../core/protocol/version-policy.ts';

/** A clock whose time moves only when the test says so. */
export class ManualClock implements Clock {
  #now = 1_700_000_000_000;
  #next = 1;
  readonly #timers = new Map<number, { at: number; callback: () => void }>();

  now(): number {
    return this.#now;
  }

  setTimeout(callback: () => void, ms: number): unknown {
    const id = this.#next++;
    this.#timers.set(id, { at: this.#now + Math.max(0, ms), callback });
    return id;
  }

  clearTimeout(handle: unknown): void {
    this.#timers.delete(handle as number);
  }

  /** Moves time forward by `ms`, firing due timers in order and letting promises settle between them. */
  async advance(ms: number): Promise<void> {
    const target = this.#now + ms;
    await settle();
    for (;;) {
      let due: [number, { at: number; callback: () => void }] | undefined;
      for (const entry of this.#timers) if (entry[1].at <= target && (!due || entry[1].at < due[1].at)) due = entry;
      if (!due) break;
      this.#timers.delete(due[0]);
      this.#now = Math.max(this.#now, due[1].at);
      due[1].callback();
      await settle();
    }
    this.#now = target;
    await settle();
  }
}

/** Lets pending promise chains (and memory-storage I/O) run. */
export async function settle(rounds = 8): Promise<void> {
  for (let i = 0; i < rounds; i++) await new Promise((resolve) => setImmediate(resolve));
}

/** Advances `clock` in steps of `stepMs` until `condition` holds; throws after `maxSteps`. */
export async function until(clock: ManualClock, condition: () => boolean, what: string, stepMs = 50, maxSteps = 400): Promise<void> {
  for (let i = 0; i < maxSteps; i++) {
    if (condition()) return;
    await clock.advance(stepMs);
  }
  if (!condition()) throw new Error(`Timed out (virtual time) waiting for ${what}`);
}

// REPL_DEBUG=1 prints what the replica managers and fetchers log.
const logger = process.env.REPL_DEBUG
  ? { debug: (m: string, f?: object) => console.log('debug', m, f), info: (m: string, f?: object) => console.log('info', m, f), warn: (m: string, f?: object) => console.log('warn', m, f), error: (m: string, f?: object) => console.log('error', m, f) }
  : silentLogger;

const HANDLERS = new Map<number, HandlerEntry>([fetchHandler, listOffsetsHandler, offsetForLeaderEpochHandler].map((h) => [h.apiKey, h as unknown as HandlerEntry]));

/** One node: its storage, replica manager, fetchers and metadata loader. */
export interface Node {
  readonly id: number;
  readonly storage: Storage;
  readonly replicaManager: ReplicaManager;
  readonly fetchers: ReplicaFetcherManager;
  readonly loader: MetadataLoader;
  /** AlterPartition items this node sent. */
  readonly alterPartitionCalls: AlterPartitionItem[];
}

/** Options of {@link ReplicationCluster}. */
export interface ClusterOptions {
  readonly nodes: readonly number[];
  readonly replicaLagTimeMaxMs?: number;
  readonly fetch?: ReplicaFetchConfig;
}

/** The cluster: nodes, links, the controller stand-in. */
export class ReplicationCluster {
  readonly clock = new ManualClock();
  readonly nodes = new Map<number, Node>();
  /** Directed links that are cut ("from>to"). */
  readonly cut = new Set<string>();
  /** Nodes whose AlterPartition calls fail as if the controller were unreachable. */
  readonly controllerUnreachable = new Set<number>();
  // The controller's view of each partition, by "topicId:partition".
  readonly #partitions = new Map<string, PartitionRecord & { partitionEpoch: number }>();
  // Topic and config records, replayed to a restarted node.
  readonly #topicRecords: MetadataRecord[] = [];
  readonly #options: ClusterOptions;

  constructor(options: ClusterOptions) {
    this.#options = options;
  }

  /** Opens every node. */
  async start(): Promise<this> {
    for (const id of this.#options.nodes) await this.#startNode(id);
    return this;
  }

  async #startNode(id: number, storage?: Storage): Promise<Node> {
    const s = storage ?? memoryStorage();
    if (!storage) await s.open();
    const alterPartitionCalls: AlterPartitionItem[] = [];
    const replicaManager = new ReplicaManager({
      nodeId: id,
      logger,
      storage: s,
      topicDefaults: {},
      producerState: new ProducerStateManager(s.metadata, logger),
      clock: this.clock,
      replicaLagTimeMaxMs: this.#options.replicaLagTimeMaxMs ?? 30_000,
      alterPartition: (item) => {
        alterPartitionCalls.push(item);
        return this.#alterPartition(id, item);
      },
    });
    const fetchers = new ReplicaFetcherManager({
      nodeId: id,
      logs: replicaManager,
      transportFactory: this.transportFactory(id),
      resolveAddress: (node) => ({ host: 'node', port: node, nodeId: node }),
      logger,
      clock: this.clock,
      config: this.#options.fetch,
    });
    replicaManager.useFetchers(fetchers);
    const loader = new MetadataLoader();
    loader.install(replicaManager);
    const node: Node = { id, storage: s, replicaManager, fetchers, loader, alterPartitionCalls };
    this.nodes.set(id, node);
    return node;
  }

  /**
   * Restarts node `id` over the same storage (a process restart with durable storage):
   * its fetchers stop, its partitions close, a new replica manager opens the logs again
   * and hears the controller's current metadata (`publishTo` false: not yet — it is
   * down until the test publishes).
   */
  async restart(id: number, publish = true): Promise<Node> {
    const old = this.node(id);
    await old.fetchers.shutdown();
    old.replicaManager.closeAll();
    await old.replicaManager.settle();
    const node = await this.#startNode(id, old.storage);
    if (publish) await this.republish(id);
    return node;
  }

  /** Publishes every topic and the controller's current partition records to node `id` (a node that was down catching up). */
  async republish(id: number): Promise<void> {
    const node = this.node(id);
    const topics = this.#topicRecords.filter((r) => r.type === 'topic' && !node.loader.image.topicById(r.topicId));
    const names = new Set(topics.map((r) => (r.type === 'topic' ? r.name : '')));
    const configs = this.#topicRecords.filter((r) => r.type === 'config' && names.has(r.resourceName));
    await node.loader.publish([...topics, ...configs, ...this.#partitions.values()]);
  }

  /** Node `id`. */
  node(id: number): Node {
    const n = this.nodes.get(id);
    if (!n) throw new Error(`No node ${id}`);
    return n;
  }

  /** Creates a topic with one partition per assignment; the first replica leads at epoch 0. */
  async createTopic(name: string, topicId: string, assignments: ReadonlyArray<readonly number[]>, configs: Record<string, string> = {}): Promise<void> {
    const records: MetadataRecord[] = [{ type: 'topic', name, topicId, replicationFactor: assignments[0]!.length, createdAt: 0 }];
    for (const [k, v] of Object.entries(configs)) records.push({ type: 'config', resourceType: 'topic', resourceName: name, name: k, value: v });
    this.#topicRecords.push(...records);
    assignments.forEach((replicas, partitionId) => {
      const record = { type: 'partition' as const, topicId, partitionId, replicas: [...replicas], isr: [...replicas], leader: replicas[0]!, leaderEpoch: 0, partitionEpoch: 0 };
      this.#partitions.set(`${topicId}:${partitionId}`, record);
      records.push(record);
    });
    await this.publish(records);
  }

  /** The controller's view of a partition. */
  registration(topicId: string, partition: number): PartitionRecord & { partitionEpoch: number } {
    return this.#partitions.get(`${topicId}:${partition}`)!;
  }

  /** Commits a partition change (new leader epoch when the leader changes) and publishes it to `to` (default: every node). */
  async changePartition(topicId: string, partition: number, change: { leader?: number; isr?: number[] }, to?: readonly number[]): Promise<void> {
    const before = this.registration(topicId, partition);
    const leader = change.leader ?? before.leader;
    const next = {
      ...before,
      leader,
      isr: change.isr ?? before.isr,
      leaderEpoch: leader !== before.leader ? before.leaderEpoch + 1 : before.leaderEpoch,
      partitionEpoch: before.partitionEpoch + 1,
    };
    this.#partitions.set(`${topicId}:${partition}`, next);
    await this.publish([next], to);
  }

  /** Publishes records to the nodes `to` (default: every node). */
  async publish(records: readonly MetadataRecord[], to?: readonly number[]): Promise<void> {
    for (const node of this.nodes.values()) {
      if (to && !to.includes(node.id)) continue;
      // A restarted node that has not heard of the topic yet gets everything with republish().
      const known = records.filter((r) => r.type !== 'partition' || records.some((t) => t.type === 'topic' && t.topicId === r.topicId) || node.loader.image.topicById(r.topicId));
      if (known.length > 0) await node.loader.publish(known);
    }
  }

  async #alterPartition(nodeId: number, item: AlterPartitionItem): Promise<AlterPartitionItemResult> {
    if (this.controllerUnreachable.has(nodeId)) throw new TributaryError('ERR_CONNECTION_CLOSED', 'controller unreachable', { retriable: true });
    const current = this.registration(item.topicId, item.partition);
    const answer = (errorCode: number) => ({ topicId: item.topicId, partition: item.partition, errorCode, leader: current.leader, leaderEpoch: current.leaderEpoch, partitionEpoch: current.partitionEpoch, isr: current.isr });
    if (current.leader !== nodeId) return answer(KafkaCode.NOT_LEADER_OR_FOLLOWER);
    if (item.leaderEpoch !== current.leaderEpoch) return answer(KafkaCode.FENCED_LEADER_EPOCH);
    if (item.partitionEpoch !== current.partitionEpoch) return answer(KafkaCode.INVALID_UPDATE_VERSION);
    const next = { ...current, isr: [...item.newIsr], partitionEpoch: current.partitionEpoch + 1 };
    this.#partitions.set(`${item.topicId}:${item.partition}`, next);
    await this.publish([next]);
    return { ...answer(0), isr: next.isr, partitionEpoch: next.partitionEpoch };
  }

  /** Cuts (or with `up` restores) the links between `a` and `b`, both ways. */
  link(a: number, b: number, up: boolean): void {
    for (const key of [`${a}>${b}`, `${b}>${a}`]) (up ? this.cut.delete(key) : this.cut.add(key));
  }

  /** Cuts every link of node `id` (it keeps running: an isolated node). */
  isolate(id: number): void {
    for (const other of this.nodes.keys()) if (other !== id) this.link(id, other, false);
  }

  /** Restores every link. */
  heal(): void {
    this.cut.clear();
  }

  /** An in-memory TransportFactory for node `from`: requests go through the codec to the target node's handlers. */
  transportFactory(from: number): TransportFactory {
    return async (address) => {
      const to = address.port;
      const target = () => {
        const node = this.nodes.get(to);
        if (!node || this.cut.has(`${from}>${to}`) || this.cut.has(`${to}>${from}`)) throw new TributaryError('ERR_CONNECTION_CLOSED', `No route from ${from} to ${to}`, { retriable: true });
        return node;
      };
      target();
      let connected = true;
      let correlationId = 0;
      // As a real connection: closing it fails the requests still waiting for an answer.
      const pending = new Set<(error: Error) => void>();
      const transport: Transport = {
        apiVersions: BROKER_VERSIONS,
        get connected() {
          return connected;
        },
        request: (async (apiKey: number, apiVersion: number, body: object) => {
          if (!connected) throw new TributaryError('ERR_CONNECTION_CLOSED', 'closed', { retriable: true });
          const node = target();
          const id = ++correlationId;
          const frame = concat(encodeRequest({ apiKey, apiVersion, correlationId: id, clientId: `node-${from}` }, body)).subarray(4);
          const decoded = decodeRequest(frame, BROKER_VERSIONS);
          const handler = HANDLERS.get(apiKey);
          if (!handler) throw new Error(`No handler for API ${apiKey} in the test transport`);
          const ctx = { replicaManager: node.replicaManager, limits: { fetchMaxBytes: 52_428_800 } } as unknown as BrokerContext;
          const answer = await new Promise<unknown>((resolve, reject) => {
            pending.add(reject);
            Promise.resolve(handler.handle(ctx, decoded.header, decoded.body as never)).then(resolve, reject).finally(() => pending.delete(reject));
          });
          // The answer travels back only if the link still stands.
          target();
          if (!connected) throw new TributaryError('ERR_CONNECTION_CLOSED', 'closed', { retriable: true });
          return decodeResponse(apiKey, apiVersion, concat(encodeResponse(apiKey, apiVersion, id, answer as object)).subarray(4)).body;
        }) as Transport['request'],
        close: async () => {
          connected = false;
          for (const reject of [...pending]) reject(new TributaryError('ERR_CONNECTION_CLOSED', 'closed', { retriable: true }));
          pending.clear();
        },
      };
      return transport;
    };
  }

  /** Stops every fetcher and closes every node. */
  async close(): Promise<void> {
    for (const node of this.nodes.values()) {
      await node.fetchers.shutdown();
      node.replicaManager.closeAll();
      await node.storage.close();
    }
    this.nodes.clear();
  }
}
