/**
 * The replica fetcher: one loop per source broker that keeps this node's follower
 * partitions of that leader in step with it (Kafka's ReplicaFetcherThread over
 * AbstractFetcherThread). Each round sends one Fetch (v12+: replica id, current leader
 * epoch, last fetched epoch) for every partition not backing off, appends what comes back
 * exactly as the leader wrote it, takes the leader's high watermark, and truncates when the
 * leader answers DivergingEpoch — to where the two logs agree by the epoch caches, never to
 * the local high watermark (KIP-101, KIP-279).
 *
 * It talks to the leader over the client's {@link TransportFactory}; addresses come from
 * the metadata image through an injected resolver, and all timing (back-off, reconnects)
 * runs on the injected {@link Clock}. Connection failures back off and retry forever.
 */
import type { Clock } from '../../clock.ts';
import type { Logger } from '../../contracts/logger.ts';
import type { BrokerAddress, Transport, TransportFactory } from '../../client/transport.ts';
import { KafkaCode } from '../../errors.ts';
import { ApiKey } from '../../protocol/api-keys.ts';
import type { ApiRequestInput, ApiResponse } from '../../protocol/api-messages.ts';
import { SCHEMAS } from '../../protocol/generated/index.ts';
import { UNDEFINED_EPOCH } from '../partition/leader-epoch-cache.ts';
import type { Partition } from '../partition/partition.ts';

/** Kafka's replica fetcher defaults. */
export const REPLICA_FETCH_DEFAULTS = Object.freeze({
  /** replica.fetch.wait.max.ms */
  fetchWaitMaxMs: 500,
  /** replica.fetch.min.bytes */
  fetchMinBytes: 1,
  /** replica.fetch.max.bytes (per partition) */
  fetchMaxBytes: 1_048_576,
  /** replica.fetch.response.max.bytes */
  fetchResponseMaxBytes: 10_485_760,
  /** replica.fetch.backoff.ms */
  fetchBackoffMs: 1_000,
  /** How long a fetch may go unanswered on top of its wait (request timeout). */
  requestTimeoutMs: 30_000,
  connectTimeoutMs: 10_000,
});

/** The lowest Fetch version a follower sends (LastFetchedEpoch, DivergingEpoch). */
const MIN_FETCH_VERSION = 12;

/** What the fetcher asks of the replica manager (ReplicaManager implements it). */
export interface FollowerLogs {
  /** Appends fetched batches as the leader wrote them; resolves with the new log end. */
  appendReplicated(partition: Partition, records: Uint8Array): Promise<number>;
  /** Truncates the log (and epoch cache, producer state) to `offset`. */
  truncate(partition: Partition, offset: number): Promise<void>;
  /** Empties the log and starts it at `offset`. */
  truncateFullyAndStartAt(partition: Partition, offset: number): Promise<void>;
  /** Moves the log start up to the leader's (never past the log end). */
  followLogStart(partition: Partition, leaderLogStartOffset: number): Promise<void>;
}

/** Settings of the fetchers (Kafka's replica.fetch.* configs). */
export interface ReplicaFetchConfig {
  readonly fetchWaitMaxMs?: number;
  readonly fetchMinBytes?: number;
  readonly fetchMaxBytes?: number;
  readonly fetchResponseMaxBytes?: number;
  readonly fetchBackoffMs?: number;
  readonly requestTimeoutMs?: number;
  readonly connectTimeoutMs?: number;
}

/** What every fetcher of a node shares. */
export interface ReplicaFetcherContext {
  /** This node's id (the replica id of its fetches). */
  readonly nodeId: number;
  readonly logs: FollowerLogs;
  readonly transportFactory: TransportFactory;
  /** The address of a broker from the metadata image, or undefined while unknown. */
  readonly resolveAddress: (nodeId: number) => BrokerAddress | undefined;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly config: Required<ReplicaFetchConfig>;
}

/** One partition as a fetcher follows it. */
export interface FetchTarget {
  readonly topicId: string;
  readonly partition: Partition;
  /** The leader epoch this fetch state belongs to. */
  readonly leaderEpoch: number;
}

interface FetchState extends FetchTarget {
  /** Not fetched before this time (ms on the clock): a back-off after an error. */
  delayedUntil: number;
}

/** What one round sent for one partition. */
interface Sent {
  readonly state: FetchState;
  readonly fetchOffset: number;
}

/** One loop fetching from one source broker. */
export class ReplicaFetcher {
  /** The leader this fetcher fetches from. */
  readonly sourceId: number;
  readonly #ctx: ReplicaFetcherContext;
  readonly #states = new Map<Partition, FetchState>();
  #transport: Transport | undefined;
  #running = true;
  #wake: (() => void) | undefined;
  // Set by add/remove/stop when no pause was waiting: the next pause returns at once.
  #signalled = false;
  #loop: Promise<void>;

  constructor(sourceId: number, ctx: ReplicaFetcherContext) {
    this.sourceId = sourceId;
    this.#ctx = ctx;
    this.#loop = this.#run();
  }

  /** How many partitions it fetches. */
  get size(): number {
    return this.#states.size;
  }

  /** The partitions it fetches. */
  partitions(): Partition[] {
    return [...this.#states.keys()];
  }

  /** Starts fetching `targets` (replacing the state of a partition already fetched). */
  add(targets: readonly FetchTarget[]): void {
    for (const t of targets) this.#states.set(t.partition, { ...t, delayedUntil: 0 });
    this.#signal();
  }

  /** Stops fetching `partitions`; answers already on their way are ignored. */
  remove(partitions: readonly Partition[]): void {
    for (const p of partitions) this.#states.delete(p);
    this.#signal();
  }

  /** Stops the loop and closes the connection; resolves once the loop has ended. */
  async stop(): Promise<void> {
    this.#running = false;
    this.#signal();
    const transport = this.#transport;
    this.#transport = undefined;
    await transport?.close().catch(() => undefined);
    await this.#loop;
  }

  #signal(): void {
    const wake = this.#wake;
    this.#wake = undefined;
    if (wake) wake();
    else this.#signalled = true;
  }

  /** Sleeps up to `ms` on the clock, or until add/remove/stop. */
  #pause(ms: number): Promise<void> {
    if (this.#signalled || !this.#running) {
      this.#signalled = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const timer = this.#ctx.clock.setTimeout(() => {
        this.#wake = undefined;
        resolve();
      }, ms);
      this.#wake = () => {
        this.#ctx.clock.clearTimeout(timer);
        resolve();
      };
    });
  }

  async #run(): Promise<void> {
    const { clock, logger, config } = this.#ctx;
    while (this.#running) {
      if (this.#states.size === 0) {
        // Idle: dropping the connection spares the leader an idle session.
        const idle = this.#transport;
        this.#transport = undefined;
        await idle?.close().catch(() => undefined);
        await this.#pause(config.fetchBackoffMs * 60);
        continue;
      }
      const now = clock.now();
      const ready = [...this.#states.values()].filter((s) => s.delayedUntil <= now);
      if (ready.length === 0) {
        const next = Math.min(...[...this.#states.values()].map((s) => s.delayedUntil));
        await this.#pause(Math.max(1, next - now));
        continue;
      }
      let transport: Transport;
      try {
        transport = await this.#connect();
      } catch (error) {
        logger.warn('replica fetcher cannot reach its leader; retrying', { source: this.sourceId, error: String(error) });
        await this.#pause(config.fetchBackoffMs);
        continue;
      }
      try {
        await this.#fetchOnce(transport, ready);
      } catch (error) {
        if (!this.#running) break;
        logger.warn('replica fetch failed; reconnecting', { source: this.sourceId, error: String(error) });
        if (this.#transport === transport) this.#transport = undefined;
        await transport.close().catch(() => undefined);
        await this.#pause(config.fetchBackoffMs);
      }
    }
  }

  async #connect(): Promise<Transport> {
    if (this.#transport?.connected) return this.#transport;
    const { resolveAddress, transportFactory, config, logger, nodeId } = this.#ctx;
    const address = resolveAddress(this.sourceId);
    if (!address) throw new Error(`The address of broker ${this.sourceId} is not known yet`);
    const transport = await transportFactory(
      { host: address.host, port: address.port, nodeId: this.sourceId },
      { clientId: `tributary-broker-${nodeId}`, requestTimeoutMs: config.requestTimeoutMs, connectTimeoutMs: config.connectTimeoutMs, logger },
    );
    if (!this.#running) {
      await transport.close().catch(() => undefined);
      throw new Error('The replica fetcher stopped');
    }
    this.#transport = transport;
    return transport;
  }

  /** The Fetch version to send: the highest both sides speak, at least 12. */
  #version(transport: Transport): number | undefined {
    const advertised = transport.apiVersions.find((r) => r.apiKey === ApiKey.Fetch);
    const schema = SCHEMAS.get(ApiKey.Fetch)!;
    if (!advertised) return undefined;
    const max = Math.min(advertised.maxVersion, schema.maxVersion);
    return max >= MIN_FETCH_VERSION && advertised.minVersion <= max ? max : undefined;
  }

  async #fetchOnce(transport: Transport, ready: readonly FetchState[]): Promise<void> {
    const { nodeId, config, logger, clock } = this.#ctx;
    const version = this.#version(transport);
    if (version === undefined) {
      logger.error('the leader does not serve Fetch v12 or later; cannot replicate from it', { source: this.sourceId });
      for (const s of ready) s.delayedUntil = clock.now() + config.fetchBackoffMs;
      return;
    }
    const byId = version >= 13;
    const sent = new Map<string, Sent[]>();
    const topics: Array<{ topic: string; topicId: string; partitions: Array<Record<string, number>> }> = [];
    for (const state of ready) {
      const p = state.partition;
      const key = byId ? state.topicId : p.topic;
      let list = sent.get(key);
      if (!list) {
        sent.set(key, (list = []));
        topics.push({ topic: p.topic, topicId: state.topicId, partitions: [] });
      }
      const fetchOffset = p.nextOffset;
      list.push({ state, fetchOffset });
      topics.find((t) => (byId ? t.topicId : t.topic) === key)!.partitions.push({
        partition: p.partition,
        currentLeaderEpoch: state.leaderEpoch,
        fetchOffset,
        lastFetchedEpoch: p.epochs.latestEpoch ?? UNDEFINED_EPOCH,
        logStartOffset: p.logStartOffset,
        partitionMaxBytes: config.fetchMaxBytes,
      });
    }
    const body: ApiRequestInput<typeof ApiKey.Fetch> = {
      replicaId: nodeId,
      replicaState: { replicaId: nodeId, replicaEpoch: -1 },
      maxWaitMs: config.fetchWaitMaxMs,
      minBytes: config.fetchMinBytes,
      maxBytes: config.fetchResponseMaxBytes,
      isolationLevel: 0,
      sessionId: 0,
      sessionEpoch: -1,
      topics,
      forgottenTopicsData: [],
      rackId: '',
    };
    const response = await transport.request(ApiKey.Fetch, version, body, { extraTimeoutMs: config.fetchWaitMaxMs });
    if (response.errorCode !== 0) {
      logger.warn('replica fetch refused', { source: this.sourceId, errorCode: response.errorCode });
      for (const s of ready) s.delayedUntil = clock.now() + config.fetchBackoffMs;
      return;
    }
    for (const topic of response.responses) {
      const list = sent.get(byId ? topic.topicId : topic.topic);
      if (!list) continue;
      for (const data of topic.partitions) {
        const entry = list.find((e) => e.state.partition.partition === data.partitionIndex);
        // Removed or restarted (a new leader epoch) while the fetch was out: not ours any more.
        if (!entry || this.#states.get(entry.state.partition) !== entry.state) continue;
        await this.#handle(transport, entry, data);
      }
    }
  }

  async #handle(transport: Transport, entry: Sent, data: ApiResponse<typeof ApiKey.Fetch>['responses'][number]['partitions'][number]): Promise<void> {
    const { logs, logger, clock, config } = this.#ctx;
    const { state, fetchOffset } = entry;
    const p = state.partition;
    const where = { topic: p.topic, partition: p.partition, source: this.sourceId, leaderEpoch: state.leaderEpoch };
    try {
      switch (data.errorCode) {
        case KafkaCode.NONE: {
          const diverging = data.divergingEpoch;
          if (diverging && diverging.epoch >= 0 && diverging.endOffset >= 0) {
            const offset = this.#truncationOffset(p, diverging.epoch, diverging.endOffset);
            logger.info('follower log diverged from the leader; truncating', { ...where, divergingEpoch: diverging.epoch, divergingEndOffset: diverging.endOffset, truncateTo: offset, logEndOffset: p.logEndOffset });
            const before = { end: p.logEndOffset, epoch: p.epochs.latestEpoch };
            await logs.truncate(p, offset);
            // No progress would repeat the same answer at once, forever: pause instead.
            if (p.logEndOffset === before.end && p.epochs.latestEpoch === before.epoch) {
              logger.warn('truncation on a diverging epoch changed nothing; backing off', where);
              state.delayedUntil = clock.now() + config.fetchBackoffMs;
            }
            return;
          }
          if (p.nextOffset !== fetchOffset) return; // truncated meanwhile: fetch again from the new end
          if (data.records && data.records.length > 0) await logs.appendReplicated(p, data.records);
          p.updateHighWatermark(data.highWatermark);
          if (data.logStartOffset > p.logStartOffset) await logs.followLogStart(p, data.logStartOffset);
          return;
        }
        case KafkaCode.OFFSET_OUT_OF_RANGE:
          await this.#outOfRange(transport, state);
          return;
        case KafkaCode.NOT_LEADER_OR_FOLLOWER:
        case KafkaCode.FENCED_LEADER_EPOCH:
        case KafkaCode.UNKNOWN_LEADER_EPOCH:
        case KafkaCode.UNKNOWN_TOPIC_OR_PARTITION:
        case KafkaCode.UNKNOWN_TOPIC_ID:
          // The leader's view and ours differ: wait for the metadata that settles it.
          logger.debug('replica fetch: waiting for metadata', { ...where, errorCode: data.errorCode });
          state.delayedUntil = clock.now() + config.fetchBackoffMs;
          return;
        default:
          logger.warn('replica fetch error', { ...where, errorCode: data.errorCode });
          state.delayedUntil = clock.now() + config.fetchBackoffMs;
      }
    } catch (error) {
      logger.warn('replica fetch: could not apply the answer', { ...where, error: String(error) });
      state.delayedUntil = clock.now() + config.fetchBackoffMs;
    }
  }

  /**
   * Where to truncate on DivergingEpoch {epoch, endOffset} (Kafka's rule): when this log
   * has the leader's epoch, at the smaller of the two ends of that epoch; when it does not,
   * at the end of this log's largest epoch below it (the next fetch narrows down further);
   * when this log knows no epoch at or below it, at the leader's end offset. Never past the
   * log end.
   */
  #truncationOffset(p: Partition, leaderEpoch: number, leaderEndOffset: number): number {
    const end = p.logEndOffset;
    const local = p.endOffsetForEpoch(leaderEpoch);
    if (local.epoch === UNDEFINED_EPOCH || local.endOffset === UNDEFINED_EPOCH) return Math.min(leaderEndOffset, end);
    if (local.epoch !== leaderEpoch) return Math.min(local.endOffset, end);
    return Math.min(local.endOffset, leaderEndOffset, end);
  }

  /**
   * OFFSET_OUT_OF_RANGE: this log ends below the leader's log start (retention or
   * DeleteRecords took what it still needs) — start over at the leader's log start; or it
   * ends past the leader's log end — truncate to that end.
   */
  async #outOfRange(transport: Transport, state: FetchState): Promise<void> {
    const { logs, logger, nodeId } = this.#ctx;
    const p = state.partition;
    const listed = async (timestamp: number): Promise<number | undefined> => {
      const advertised = transport.apiVersions.find((r) => r.apiKey === ApiKey.ListOffsets);
      const version = Math.min(advertised?.maxVersion ?? 1, 7);
      const answer = await transport.request(ApiKey.ListOffsets, version, {
        replicaId: nodeId,
        isolationLevel: 0,
        topics: [{ name: p.topic, partitions: [{ partitionIndex: p.partition, currentLeaderEpoch: state.leaderEpoch, timestamp }] }],
      });
      const part = answer.topics[0]?.partitions[0];
      return part && part.errorCode === 0 && part.offset >= 0 ? part.offset : undefined;
    };
    const start = await listed(-2);
    const end = await listed(-1);
    if (start === undefined || end === undefined) {
      state.delayedUntil = this.#ctx.clock.now() + this.#ctx.config.fetchBackoffMs;
      return;
    }
    if (p.logEndOffset > end) {
      logger.warn('follower log is past the leader\'s end; truncating', { topic: p.topic, partition: p.partition, logEndOffset: p.logEndOffset, leaderEnd: end });
      await logs.truncate(p, end);
    } else if (p.logEndOffset < start) {
      logger.info('follower log ends before the leader\'s log start; starting over there', { topic: p.topic, partition: p.partition, logEndOffset: p.logEndOffset, leaderStart: start });
      await logs.truncateFullyAndStartAt(p, start);
    } else {
      state.delayedUntil = this.#ctx.clock.now() + this.#ctx.config.fetchBackoffMs;
    }
  }
}
