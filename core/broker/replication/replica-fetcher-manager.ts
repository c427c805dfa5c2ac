/**
 * The replica fetcher manager (Kafka's ReplicaFetcherManager): which follower partition
 * is fetched by which {@link ReplicaFetcher} — one fetcher per source broker. The replica
 * manager tells it, from metadata, which partitions to follow from which leader, and
 * which to stop following (this node leads them now, or they are gone).
 */
import { type Clock, systemClock } from '../../clock.ts';
import type { BrokerAddress, TransportFactory } from '../../client/transport.ts';
import type { Logger } from '../../contracts/logger.ts';
import type { Partition } from '../partition/partition.ts';
import type { FollowedPartition, ReplicaFetchers } from '../replica-manager.ts';
import { type FollowerLogs, REPLICA_FETCH_DEFAULTS, type ReplicaFetchConfig, ReplicaFetcher, type ReplicaFetcherContext } from './replica-fetcher.ts';

/** Options of {@link ReplicaFetcherManager}. */
export interface ReplicaFetcherManagerOptions {
  /** This node's id. */
  readonly nodeId: number;
  /** Where fetched data goes: the replica manager. */
  readonly logs: FollowerLogs;
  /** Opens connections to leaders (TCP between processes, in-memory in tests and the simulation). */
  readonly transportFactory: TransportFactory;
  /** A broker's address from the current metadata image (undefined while unknown). */
  readonly resolveAddress: (nodeId: number) => BrokerAddress | undefined;
  readonly logger: Logger;
  /** Time for back-offs (default: the system clock). */
  readonly clock?: Clock;
  /** replica.fetch.* settings (Kafka's defaults otherwise). */
  readonly config?: ReplicaFetchConfig;
}

/** The fetchers of one node. */
export class ReplicaFetcherManager implements ReplicaFetchers {
  readonly #ctx: ReplicaFetcherContext;
  readonly #fetchers = new Map<number, ReplicaFetcher>();
  // Which fetcher has each partition.
  readonly #sourceOf = new Map<Partition, number>();
  #stopped = false;

  constructor(options: ReplicaFetcherManagerOptions) {
    this.#ctx = {
      nodeId: options.nodeId,
      logs: options.logs,
      transportFactory: options.transportFactory,
      resolveAddress: options.resolveAddress,
      clock: options.clock ?? systemClock,
      logger: options.logger,
      config: { ...REPLICA_FETCH_DEFAULTS, ...stripUndefined(options.config ?? {}) },
    };
  }

  /** Starts (or restarts at a new leader or epoch) fetching these partitions from their leaders. */
  addPartitions(entries: readonly FollowedPartition[]): void {
    if (this.#stopped) return;
    const bySource = new Map<number, FollowedPartition[]>();
    for (const entry of entries) {
      const previous = this.#sourceOf.get(entry.partition);
      if (previous !== undefined && previous !== entry.leaderId) this.#detach(previous, [entry.partition]);
      this.#sourceOf.set(entry.partition, entry.leaderId);
      let list = bySource.get(entry.leaderId);
      if (!list) bySource.set(entry.leaderId, (list = []));
      list.push(entry);
    }
    for (const [source, list] of bySource) {
      let fetcher = this.#fetchers.get(source);
      if (!fetcher) this.#fetchers.set(source, (fetcher = new ReplicaFetcher(source, this.#ctx)));
      fetcher.add(list.map((e) => ({ topicId: e.topicId, partition: e.partition, leaderEpoch: e.leaderEpoch })));
    }
  }

  /** Stops fetching these partitions. */
  removePartitions(partitions: readonly Partition[]): void {
    const bySource = new Map<number, Partition[]>();
    for (const p of partitions) {
      const source = this.#sourceOf.get(p);
      if (source === undefined) continue;
      this.#sourceOf.delete(p);
      let list = bySource.get(source);
      if (!list) bySource.set(source, (list = []));
      list.push(p);
    }
    for (const [source, list] of bySource) this.#detach(source, list);
  }

  /** The broker a partition is fetched from, or undefined. */
  sourceOf(partition: Partition): number | undefined {
    return this.#sourceOf.get(partition);
  }

  /** The fetcher of a source broker, if any (tests, metrics). */
  fetcher(sourceId: number): ReplicaFetcher | undefined {
    return this.#fetchers.get(sourceId);
  }

  /** Stops every fetcher (broker shutdown); resolves once their loops ended. */
  async shutdown(): Promise<void> {
    this.#stopped = true;
    const all = [...this.#fetchers.values()];
    this.#fetchers.clear();
    this.#sourceOf.clear();
    await Promise.all(all.map((f) => f.stop()));
  }

  #detach(source: number, partitions: readonly Partition[]): void {
    const fetcher = this.#fetchers.get(source);
    if (!fetcher) return;
    fetcher.remove(partitions);
    // A fetcher with nothing to fetch goes (Kafka's shutdownIdleFetcherThreads).
    if (fetcher.size === 0) {
      this.#fetchers.delete(source);
      void fetcher.stop();
    }
  }
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
