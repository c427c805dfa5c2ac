/**
 * The metadata image: what this node knows about the whole cluster — the brokers, every
 * topic with its id and configs, and per partition its replicas, leader, leader epoch and
 * in-sync replicas (Kafka's MetadataImage). Metadata and FindCoordinator answer from it.
 * An image never changes; a {@link MetadataDelta} replays records onto one to make the next.
 */
import type { AclBinding } from '../../contracts/authorizer.ts';
import { AclIndex } from '../acl/acl-rules.ts';
import type { BrokerEndpoint } from '../api/context.ts';
import type { ScramCredential, ScramMechanism } from '../../security/scram.ts';

/** SCRAM credentials by user name, then by mechanism. */
export type ScramCredentials = ReadonlyMap<string, ReadonlyMap<ScramMechanism, ScramCredential>>;

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
  /** Bumped on every change of leader, ISR or replicas (0 for partitions written by a cluster of one). */
  readonly partitionEpoch: number;
  /** Replicas an ongoing reassignment adds (absent: none). */
  readonly addingReplicas?: readonly number[];
  /** Replicas an ongoing reassignment removes once the targets are in sync (absent: none). */
  readonly removingReplicas?: readonly number[];
}

/** True while a reassignment of `partition` is under way (replicas being added or removed). */
export function isReassigning(partition: Pick<PartitionRegistration, 'addingReplicas' | 'removingReplicas'>): boolean {
  return (partition.addingReplicas?.length ?? 0) > 0 || (partition.removingReplicas?.length ?? 0) > 0;
}

/** The replicas a reassignment moves `partition` to: its replicas without the ones being removed. */
export function targetReplicas(partition: Pick<PartitionRegistration, 'replicas' | 'removingReplicas'>): number[] {
  const removing = partition.removingReplicas ?? [];
  return partition.replicas.filter((id) => !removing.includes(id));
}

/**
 * A registered broker as the metadata log has it (Kafka's BrokerRegistration): its address,
 * the epoch of its registration, which start of the process registered, and whether it is
 * fenced. A cluster of one registers with epoch 0, no incarnation, unfenced.
 */
export interface BrokerRegistration extends BrokerEndpoint {
  /** The registration's epoch (the metadata offset of its record; 0 in a cluster of one). */
  readonly brokerEpoch: number;
  /** Random id of the process start that registered (null in a cluster of one). */
  readonly incarnationId: string | null;
  /** A fenced broker leads nothing, is in no ISR, and clients do not see it. */
  readonly fenced: boolean;
}

/** One partition of one topic, by topic id (what the per-broker look-ups return). */
export interface TopicIdPartition {
  readonly topicId: string;
  readonly partition: number;
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

const EMPTY_CONFIGS: ReadonlyMap<string, string> = new Map();

function byName(a: { name: string }, b: { name: string }): number {
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}

/** An immutable snapshot of the cluster's metadata. */
export class MetadataImage {
  /** The image before any record. */
  static readonly EMPTY = new MetadataImage(new Map(), new Map());

  readonly #byId: ReadonlyMap<string, TopicImage>;
  readonly #byName: ReadonlyMap<string, TopicImage>;
  readonly #registrations: ReadonlyMap<number, BrokerRegistration>;
  readonly #nextProducerId: number;
  readonly #clusterId: string | null;
  readonly #acls: ReadonlyMap<string, AclBinding>;
  #aclIndex: AclIndex | undefined;
  readonly #scram: ScramCredentials;
  readonly #brokerConfigs: ReadonlyMap<string, ReadonlyMap<string, string>>;
  #sorted: TopicImage[] | undefined;
  #unfenced: BrokerEndpoint[] | undefined;

  /**
   * @param registrations every registered broker, fenced or not
   * @param nextProducerId the first producer id no block has handed out yet
   * @param clusterId the cluster id the metadata log holds (null before one is written)
   * @param scram the users' SCRAM credentials
   * @param acls every ACL, by id
   * @param brokerConfigs dynamic broker configs by resource ("" the cluster default, else a node id)
   */
  constructor(
    topicsById: ReadonlyMap<string, TopicImage>,
    registrations: ReadonlyMap<number, BrokerRegistration>,
    nextProducerId = 0,
    clusterId: string | null = null,
    scram: ScramCredentials = new Map(),
    acls: ReadonlyMap<string, AclBinding> = new Map(),
    brokerConfigs: ReadonlyMap<string, ReadonlyMap<string, string>> = new Map(),
  ) {
    this.#scram = scram;
    this.#acls = acls;
    this.#brokerConfigs = brokerConfigs;
    this.#byId = topicsById;
    this.#byName = new Map([...topicsById.values()].map((t) => [t.name, t]));
    this.#registrations = registrations;
    this.#nextProducerId = nextProducerId;
    this.#clusterId = clusterId;
  }

  /** The cluster id the metadata log holds (null in a cluster of one, or before the controller wrote it). */
  get clusterId(): string | null {
    return this.#clusterId;
  }

  /** Every ACL by its id (what a delta starts from, and what DescribeAcls lists). */
  get acls(): ReadonlyMap<string, AclBinding> {
    return this.#acls;
  }

  /** The ACLs indexed for authorization (built once per image, on first use). */
  get aclIndex(): AclIndex {
    this.#aclIndex ??= this.#acls.size === 0 ? AclIndex.EMPTY : new AclIndex(this.#acls.values());
    return this.#aclIndex;
  }

  /** Every user's SCRAM credentials, by name then mechanism (what a delta starts from). */
  get scramCredentials(): ScramCredentials {
    return this.#scram;
  }

  /** The SCRAM credential of `user` for `mechanism`, if set. */
  scramCredential(user: string, mechanism: ScramMechanism): ScramCredential | undefined {
    return this.#scram.get(user)?.get(mechanism);
  }

  /** The dynamic configs of broker resource `resource` ("" the cluster default, else a node id), by broker config name. */
  brokerConfigs(resource: string): ReadonlyMap<string, string> {
    return this.#brokerConfigs.get(resource) ?? EMPTY_CONFIGS;
  }

  /** Every broker resource's dynamic configs (what a delta starts from). */
  get brokerConfigsByResource(): ReadonlyMap<string, ReadonlyMap<string, string>> {
    return this.#brokerConfigs;
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

  /** Every registered broker by node id, fenced ones too (what a delta starts from). */
  get registrationsById(): ReadonlyMap<number, BrokerRegistration> {
    return this.#registrations;
  }

  /**
   * The unfenced brokers' addresses, by node id: what Metadata and DescribeCluster show
   * clients (a fenced broker serves nothing). A cluster of one registers unfenced.
   */
  brokers(): BrokerEndpoint[] {
    this.#unfenced ??= [...this.#registrations.values()]
      .filter((b) => !b.fenced)
      .sort((a, b) => a.nodeId - b.nodeId)
      .map((b) => ({ nodeId: b.nodeId, host: b.host, port: b.port, rack: b.rack }));
    return [...this.#unfenced];
  }

  /** Every registered broker, fenced ones too, by node id. */
  allBrokers(): BrokerRegistration[] {
    return [...this.#registrations.values()].sort((a, b) => a.nodeId - b.nodeId);
  }

  /** The address of the registered broker with this node id (fenced or not). */
  broker(nodeId: number): BrokerEndpoint | undefined {
    return this.#registrations.get(nodeId);
  }

  /** The registration of broker `nodeId` (epoch, incarnation, fenced). */
  registration(nodeId: number): BrokerRegistration | undefined {
    return this.#registrations.get(nodeId);
  }

  /** True when broker `nodeId` is registered and fenced. An unknown broker is not "fenced": check {@link registration}. */
  isFenced(nodeId: number): boolean {
    return this.#registrations.get(nodeId)?.fenced === true;
  }

  /** The first producer id no block has handed out yet (0 before any block). */
  get nextProducerId(): number {
    return this.#nextProducerId;
  }

  /** The partitions broker `nodeId` leads. */
  partitionsLedBy(nodeId: number): TopicIdPartition[] {
    return this.#partitionsWhere((p) => p.leader === nodeId);
  }

  /** The partitions with a replica on broker `nodeId`. */
  partitionsReplicatedOn(nodeId: number): TopicIdPartition[] {
    return this.#partitionsWhere((p) => p.replicas.includes(nodeId));
  }

  /** The partitions whose ISR has broker `nodeId`. */
  partitionsInIsrOf(nodeId: number): TopicIdPartition[] {
    return this.#partitionsWhere((p) => p.isr.includes(nodeId));
  }

  /** The partitions with no leader (offline). */
  partitionsWithoutLeader(): TopicIdPartition[] {
    return this.#partitionsWhere((p) => p.leader === -1);
  }

  /** Partition `partition` of topic `topicId`. */
  partition(topicId: string, partition: number): PartitionRegistration | undefined {
    return this.#byId.get(topicId)?.partitions[partition];
  }

  // Walks every partition: the images are small enough that an index would cost more than it saves.
  #partitionsWhere(test: (p: PartitionRegistration) => boolean): TopicIdPartition[] {
    const out: TopicIdPartition[] = [];
    for (const topic of this.topics()) for (const p of topic.partitions) if (p && test(p)) out.push({ topicId: topic.id, partition: p.partition });
    return out;
  }
}
