/**
 * The simulation's clients: idempotent producers sending unique values with acks=all to
 * the leader they believe in (read from a random running broker's metadata, which may be
 * stale), over the simulated network like any node. A batch is retried with the same
 * sequence until it is acknowledged (idempotence makes the retry safe); every
 * acknowledgement — partition, offset, value — goes to the invariant checker.
 */
import { KafkaCode } from '../../core/kafka-error-codes.ts';
import { ApiKey } from '../../core/protocol/api-keys.ts';
import { encodeBatchSync } from '../../core/records/record-batch.ts';
import type { Transport } from '../../core/client/transport.ts';
import { silentLogger } from '../../core/contracts/logger.ts';
import type { Ack } from './invariants.ts';
import type { SeededRandom } from './seeded-random.ts';
import type { SimCluster } from './sim-cluster.ts';
import type { SimTrace } from './sim-trace.ts';

const enc = new TextEncoder();

/** Errors after which the same batch is sent again (to the leader as known then). */
const RETRIABLE = new Set<number>([
  KafkaCode.NOT_LEADER_OR_FOLLOWER,
  KafkaCode.NOT_ENOUGH_REPLICAS,
  KafkaCode.NOT_ENOUGH_REPLICAS_AFTER_APPEND,
  KafkaCode.REQUEST_TIMED_OUT,
  KafkaCode.UNKNOWN_TOPIC_OR_PARTITION,
  KafkaCode.LEADER_NOT_AVAILABLE,
  KafkaCode.NETWORK_EXCEPTION,
  KafkaCode.FENCED_LEADER_EPOCH,
  KafkaCode.UNKNOWN_LEADER_EPOCH,
  KafkaCode.KAFKA_STORAGE_ERROR,
  KafkaCode.NOT_CONTROLLER,
  KafkaCode.COORDINATOR_LOAD_IN_PROGRESS,
  KafkaCode.CONCURRENT_TRANSACTIONS,
]);

/** Options of {@link SimProducer}. */
export interface SimProducerOptions {
  /** Its node id on the network (clients are nodes too: links to them can fail). */
  readonly clientId: number;
  readonly topic: string;
  readonly partitions: readonly number[];
  readonly requestTimeoutMs: number;
  /** Produce's timeoutMs: how long acks=all may wait on the broker. */
  readonly ackTimeoutMs: number;
  /** -1 (acks=all, the default) or 1 (the leader alone: what the checker must catch losing data). */
  readonly acks?: -1 | 1;
  /** Pause between two records. */
  readonly intervalMs: number;
  /** Called with every acknowledgement. */
  readonly onAck: (ack: Ack) => void;
}

interface Pending {
  readonly partition: number;
  readonly value: string;
  readonly sequence: number;
  bytes: Uint8Array;
}

/** One idempotent producer. */
export class SimProducer {
  readonly #cluster: SimCluster;
  readonly #random: SeededRandom;
  readonly #trace: SimTrace;
  readonly #options: SimProducerOptions;
  readonly #connections = new Map<number, Transport>();
  readonly #sequences = new Map<number, number>();
  #producerId = -1;
  #producerEpoch = -1;
  #pending: Pending | undefined;
  #count = 0;
  #resets = 0;
  #running = false;
  #loop: Promise<void> | undefined;
  /** Acknowledged records. */
  acked = 0;
  /** Attempts that failed and were retried. */
  retries = 0;

  constructor(cluster: SimCluster, random: SeededRandom, trace: SimTrace, options: SimProducerOptions) {
    this.#cluster = cluster;
    this.#random = random;
    this.#trace = trace;
    this.#options = options;
  }

  /** Starts sending. */
  start(): void {
    this.#running = true;
    this.#loop = this.#run();
  }

  /** Stops after the request in flight (which may still be acknowledged). */
  async stop(): Promise<void> {
    this.#running = false;
    await this.#loop;
    for (const c of this.#connections.values()) await c.close();
  }

  /** True while a record waits for its acknowledgement. */
  get busy(): boolean {
    return this.#pending !== undefined;
  }

  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => this.#cluster.clock.setTimeout(resolve, ms));
  }

  async #connection(nodeId: number): Promise<Transport> {
    const open = this.#connections.get(nodeId);
    if (open?.connected) return open;
    const t = await this.#cluster.network.transportFor(this.#options.clientId)({ host: `node${nodeId}`, port: 9092, nodeId }, {
      clientId: `producer-${this.#options.clientId}`,
      requestTimeoutMs: this.#options.requestTimeoutMs,
      connectTimeoutMs: this.#options.requestTimeoutMs,
      logger: silentLogger,
    });
    this.#connections.set(nodeId, t);
    return t;
  }

  /** The leader of a partition as a random running broker's metadata says (-1: unknown). */
  #leaderOf(partition: number): number {
    const running = this.#cluster.running();
    if (running.length === 0) return -1;
    const broker = this.#random.pick(running).broker!;
    return broker.image.topic(this.#options.topic)?.partitions[partition]?.leader ?? -1;
  }

  async #run(): Promise<void> {
    const id = this.#options.clientId;
    while (this.#running) {
      try {
        if (this.#producerId < 0) await this.#initProducerId();
        if (this.#producerId < 0) {
          await this.#sleep(this.#random.int(50, 300));
          continue;
        }
        const p = this.#pending ?? this.#next();
        const leader = this.#leaderOf(p.partition);
        if (leader < 0) {
          await this.#sleep(this.#random.int(50, 300));
          continue;
        }
        const t = await this.#connection(leader);
        const version = Math.min(9, t.apiVersions.find((r) => r.apiKey === ApiKey.Produce)?.maxVersion ?? 9);
        const answer = (await t.request(ApiKey.Produce, version, {
          transactionalId: null,
          acks: this.#options.acks ?? -1,
          timeoutMs: this.#options.ackTimeoutMs,
          topicData: [{ name: this.#options.topic, partitionData: [{ index: p.partition, records: p.bytes }] }],
        } as never)) as { responses: Array<{ partitionResponses: Array<{ errorCode: number; baseOffset: number }> }> };
        const r = answer.responses[0]!.partitionResponses[0]!;
        if (r.errorCode === KafkaCode.NONE) {
          this.acked++;
          this.#sequences.set(p.partition, p.sequence + 1);
          this.#pending = undefined;
          this.#trace.add(`ack producer=${id} p=${p.partition} offset=${r.baseOffset} value=${p.value} via=${leader}`);
          this.#options.onAck({ topic: this.#options.topic, partition: p.partition, offset: r.baseOffset, value: p.value });
          await this.#sleep(this.#options.intervalMs);
          continue;
        }
        if (r.errorCode === KafkaCode.DUPLICATE_SEQUENCE_NUMBER) {
          // Stored before, offset unknown: not counted as acknowledged, never sent again.
          this.#trace.add(`duplicate producer=${id} p=${p.partition} value=${p.value}`);
          this.#sequences.set(p.partition, p.sequence + 1);
          this.#pending = undefined;
          continue;
        }
        this.retries++;
        if (!RETRIABLE.has(r.errorCode)) {
          // The producer's state is gone (OUT_OF_ORDER_SEQUENCE_NUMBER, UNKNOWN_PRODUCER_ID, …):
          // a new producer session; the record gets a new value, as the old one may be stored.
          this.#trace.add(`producer-reset producer=${id} p=${p.partition} error=${r.errorCode} value=${p.value}`);
          this.#producerId = -1;
          this.#pending = undefined;
          this.#resets++;
          continue;
        }
        this.#trace.add(`retry producer=${id} p=${p.partition} error=${r.errorCode} via=${leader}`);
      } catch (error) {
        this.retries++;
        this.#trace.add(`retry producer=${id} ${(error as { code?: string }).code ?? String(error)}`);
      }
      await this.#sleep(this.#random.int(50, 300));
    }
  }

  #next(): Pending {
    const partition = this.#options.partitions[this.#count % this.#options.partitions.length]!;
    const value = `v${this.#options.clientId}-${this.#count}${this.#resets > 0 ? `-r${this.#resets}` : ''}`;
    this.#count++;
    const sequence = this.#sequences.get(partition) ?? 0;
    const bytes = encodeBatchSync({
      records: [{ key: null, value: enc.encode(value), headers: [] }],
      producerId: this.#producerId,
      producerEpoch: this.#producerEpoch,
      baseSequence: sequence,
      now: this.#cluster.clock.now(),
    });
    this.#pending = { partition, value, sequence, bytes };
    return this.#pending;
  }

  async #initProducerId(): Promise<void> {
    const running = this.#cluster.running();
    if (running.length === 0) return;
    const node = this.#random.pick(running);
    try {
      const t = await this.#connection(node.id);
      const r = (await t.request(ApiKey.InitProducerId, 4, { transactionalId: null, transactionTimeoutMs: 60_000, producerId: -1, producerEpoch: -1 } as never)) as { errorCode: number; producerId: number; producerEpoch: number };
      if (r.errorCode !== 0) {
        this.#trace.add(`init-producer-id producer=${this.#options.clientId} error=${r.errorCode}`);
        return;
      }
      this.#producerId = r.producerId;
      this.#producerEpoch = r.producerEpoch;
      this.#sequences.clear();
      this.#trace.add(`init-producer-id producer=${this.#options.clientId} pid=${r.producerId}`);
    } catch (error) {
      this.#trace.add(`init-producer-id producer=${this.#options.clientId} ${(error as { code?: string }).code ?? String(error)}`);
    }
  }
}
