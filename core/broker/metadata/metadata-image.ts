/**
 * The metadata image: what this node knows about the whole cluster — the brokers, every
 * topic with its id and configs, and per partition its replicas, leader, leader epoch and
 * in-sync replicas (Kafka's MetadataImage). Metadata and FindCoordinator answer from it.
 * An image never changes; a {@link MetadataDelta} replays records onto one to make the next.
 */
import type { BrokerEndpoint } from '../api/context.ts';

/** One partition as the controller assigned it. */
export interface PartitionRegistration {
  readonly partition: number;
  /** Every replica's node id, the preferred leader first. */
  readonly replicas: readonly number[];
  /** The in-sync replicas' node ids. */
  readonly isr: readonly number[];
  /** Node id of the leader (-1: none). */
  readonly leader: number;
  readonly leaderEpoch: number;
}

/** One topic in the image. */
export interface TopicImage {
  readonly name: string;
  /** Canonical UUID string. */
  readonly id: string;
  readonly replicationFactor: number;
  /** Creation time, ms since epoch. */
  readonly createdAt: number;
  /** Partitions by index. */
  readonly partitions: readonly PartitionRegistration[];
  /** Topic-level config overrides (what CreateTopics / AlterConfigs set). */
  readonly configs: ReadonlyMap<string, string>;
}

function byName(a: { name: string }, b: { name: string }): number {
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}

/** An immutable snapshot of the cluster's metadata. */
export class MetadataImage {
  /** The image before any record. */
  static readonly EMPTY = new MetadataImage(new Map(), new Map());

  readonly #byId: ReadonlyMap<string, TopicImage>;
  readonly #byName: ReadonlyMap<string, TopicImage>;
  readonly #brokers: ReadonlyMap<number, BrokerEndpoint>;
  #sorted: TopicImage[] | undefined;

  constructor(topicsById: ReadonlyMap<string, TopicImage>, brokers: ReadonlyMap<number, BrokerEndpoint>) {
    this.#byId = topicsById;
    this.#byName = new Map([...topicsById.values()].map((t) => [t.name, t]));
    this.#brokers = brokers;
  }

  /** The topic named `name`. */
  topic(name: string): TopicImage | undefined {
    return this.#byName.get(name);
  }

  /** The topic with id `id`. */
  topicById(id: string): TopicImage | undefined {
    return this.#byId.get(id);
  }

  /** Every topic, sorted by name. */
  topics(): readonly TopicImage[] {
    this.#sorted ??= [...this.#byId.values()].sort(byName);
    return this.#sorted;
  }

  /** Topics by id (what a delta starts from). */
  get topicsById(): ReadonlyMap<string, TopicImage> {
    return this.#byId;
  }

  /** Registered brokers by node id. */
  get brokersById(): ReadonlyMap<number, BrokerEndpoint> {
    return this.#brokers;
  }

  /** The registered brokers, by node id. */
  brokers(): BrokerEndpoint[] {
    return [...this.#brokers.values()].sort((a, b) => a.nodeId - b.nodeId);
  }

  /** The broker with this node id. */
  broker(nodeId: number): BrokerEndpoint | undefined {
    return this.#brokers.get(nodeId);
  }
}
