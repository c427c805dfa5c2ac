/**
 * A metadata delta: records replayed onto an image, with what they changed — the next
 * image, and the topics and partitions a publisher (the replica manager) must act on
 * (Kafka's MetadataDelta).
 */
import type { AclBinding } from '../../contracts/authorizer.ts';
import { TributaryError } from '../../errors.ts';
import { type BrokerRegistration, MetadataImage, type PartitionRegistration, type TopicImage } from './metadata-image.ts';
import type { MetadataRecord } from './records.ts';
import type { ScramCredential, ScramMechanism } from '../../security/scram.ts';
import { fromBase64 } from '../../security/scram.ts';

interface WorkingTopic {
  name: string;
  id: string;
  replicationFactor: number;
  createdAt: number;
  partitions: PartitionRegistration[];
  configs: Map<string, string>;
}

/** Changes on top of an image. */
export class MetadataDelta {
  /** The image the records are replayed onto. */
  readonly image: MetadataImage;
  /** Ids of topics created by these records. */
  readonly createdTopics = new Set<string>();
  /** Topics deleted by these records, as they were in {@link image}. */
  readonly deletedTopics = new Map<string, TopicImage>();
  /** Partitions created or changed, by topic id. */
  readonly changedPartitions = new Map<string, Set<number>>();
  /** Ids of topics whose configs changed. */
  readonly changedConfigs = new Set<string>();
  /** True when a broker registered, changed its address, or was fenced or unfenced. */
  brokersChanged = false;
  /** Node ids of the brokers registered, fenced or unfenced by these records. */
  readonly changedBrokers = new Set<number>();
  /** True when a producer-id block was handed out. */
  producerIdsChanged = false;
  /** True when an ACL was added or removed. */
  aclsChanged = false;
  /** True when a dynamic broker config changed. */
  brokerConfigsChanged = false;

  readonly #topics = new Map<string, WorkingTopic>();
  readonly #removed = new Set<string>();
  #brokers: Map<number, BrokerRegistration> | undefined;
  #nextProducerId: number | undefined;
  #clusterId: string | undefined;
  #acls: Map<string, AclBinding> | undefined;
  #scram: Map<string, Map<ScramMechanism, ScramCredential>> | undefined;
  #brokerConfigs: Map<string, Map<string, string>> | undefined;

  constructor(image: MetadataImage) {
    this.image = image;
  }

  /** Replays records in order. */
  replay(records: Iterable<MetadataRecord>): this {
    for (const record of records) this.#replay(record);
    return this;
  }

  #replay(record: MetadataRecord): void {
    switch (record.type) {
      case 'topic':
        this.#removed.delete(record.topicId);
        this.#topics.set(record.topicId, { name: record.name, id: record.topicId, replicationFactor: record.replicationFactor, createdAt: record.createdAt, partitions: [], configs: new Map() });
        this.createdTopics.add(record.topicId);
        return;
      case 'partition': {
        const topic = this.#working(record.topicId);
        if (!topic) throw new TributaryError('ERR_INVALID_ARGUMENT', `Partition record for unknown topic ${record.topicId}`);
        topic.partitions[record.partitionId] = {
          partition: record.partitionId,
          replicas: [...record.replicas],
          isr: [...record.isr],
          leader: record.leader,
          leaderEpoch: record.leaderEpoch,
          partitionEpoch: record.partitionEpoch ?? 0,
          // Only while a reassignment runs: images of logs without one look as they always did.
          ...(record.addingReplicas?.length ? { addingReplicas: [...record.addingReplicas] } : {}),
          ...(record.removingReplicas?.length ? { removingReplicas: [...record.removingReplicas] } : {}),
        };
        let set = this.changedPartitions.get(record.topicId);
        if (!set) this.changedPartitions.set(record.topicId, (set = new Set()));
        set.add(record.partitionId);
        return;
      }
      case 'config': {
        const id = [...this.#topics.values()].find((t) => t.name === record.resourceName)?.id ?? this.image.topic(record.resourceName)?.id;
        const topic = id === undefined ? undefined : this.#working(id);
        if (!topic) throw new TributaryError('ERR_INVALID_ARGUMENT', `Config record for unknown topic ${record.resourceName}`);
        if (record.value === null) topic.configs.delete(record.name);
        else topic.configs.set(record.name, record.value);
        this.changedConfigs.add(topic.id);
        return;
      }
      case 'remove-topic': {
        const before = this.image.topicById(record.topicId);
        if (before) this.deletedTopics.set(record.topicId, before);
        this.#topics.delete(record.topicId);
        this.#removed.add(record.topicId);
        this.createdTopics.delete(record.topicId);
        this.changedPartitions.delete(record.topicId);
        this.changedConfigs.delete(record.topicId);
        return;
      }
      case 'register-broker':
        this.#brokers ??= new Map(this.image.registrationsById);
        this.#brokers.set(record.nodeId, {
          nodeId: record.nodeId,
          host: record.host,
          port: record.port,
          rack: record.rack,
          brokerEpoch: record.brokerEpoch ?? 0,
          incarnationId: record.incarnationId ?? null,
          fenced: record.fenced ?? false,
        });
        this.brokersChanged = true;
        this.changedBrokers.add(record.nodeId);
        return;
      case 'fence-broker': {
        this.#brokers ??= new Map(this.image.registrationsById);
        const current = this.#brokers.get(record.nodeId);
        // A fence for an earlier registration of the node (another epoch) changes nothing.
        if (!current || current.brokerEpoch !== record.brokerEpoch || current.fenced === record.fenced) return;
        this.#brokers.set(record.nodeId, { ...current, fenced: record.fenced });
        this.brokersChanged = true;
        this.changedBrokers.add(record.nodeId);
        return;
      }
      case 'unregister-broker': {
        this.#brokers ??= new Map(this.image.registrationsById);
        const current = this.#brokers.get(record.nodeId);
        if (!current || current.brokerEpoch !== record.brokerEpoch) return;
        this.#brokers.delete(record.nodeId);
        this.brokersChanged = true;
        this.changedBrokers.add(record.nodeId);
        return;
      }
      case 'producer-ids':
        this.#nextProducerId = Math.max(this.#nextProducerId ?? this.image.nextProducerId, record.firstProducerId + record.size);
        this.producerIdsChanged = true;
        return;
      case 'broker-config': {
        this.#brokerConfigs ??= new Map([...this.image.brokerConfigsByResource].map(([k, v]) => [k, new Map(v)]));
        let configs = this.#brokerConfigs.get(record.broker);
        if (!configs) this.#brokerConfigs.set(record.broker, (configs = new Map()));
        if (record.value === null) configs.delete(record.name);
        else configs.set(record.name, record.value);
        if (configs.size === 0) this.#brokerConfigs.delete(record.broker);
        this.brokerConfigsChanged = true;
        return;
      }
      case 'cluster-id':
        this.#clusterId = record.clusterId;
        return;
      case 'acl': {
        this.#acls ??= new Map(this.image.acls);
        const { type: _type, id, ...binding } = record;
        this.#acls.set(id, Object.freeze(binding));
        this.aclsChanged = true;
        return;
      }
      case 'remove-acl':
        this.#acls ??= new Map(this.image.acls);
        this.#acls.delete(record.id);
        this.aclsChanged = true;
        return;
      case 'user-scram-credential': {
        const user = this.#scramUser(record.name);
        user.set(record.mechanism, { salt: fromBase64(record.salt), iterations: record.iterations, storedKey: fromBase64(record.storedKey), serverKey: fromBase64(record.serverKey) });
        return;
      }
      case 'remove-user-scram-credential': {
        const user = this.#scramUser(record.name);
        user.delete(record.mechanism);
        if (user.size === 0) this.#scram!.delete(record.name);
        return;
      }
      case 'leader-change':
        // The quorum's own bookkeeping (a new Raft leader's first batch): no metadata changes.
        return;
    }
  }

  // A user's credentials as changed so far: the image's copied on the first SCRAM record.
  #scramUser(name: string): Map<ScramMechanism, ScramCredential> {
    this.#scram ??= new Map([...this.image.scramCredentials].map(([n, m]) => [n, new Map(m)]));
    let user = this.#scram.get(name);
    if (!user) this.#scram.set(name, (user = new Map()));
    return user;
  }

  // The topic as changed so far: a copy of the image's on first change.
  #working(id: string): WorkingTopic | undefined {
    let topic = this.#topics.get(id);
    if (topic) return topic;
    if (this.#removed.has(id)) return undefined;
    const base = this.image.topicById(id);
    if (!base) return undefined;
    topic = { name: base.name, id, replicationFactor: base.replicationFactor, createdAt: base.createdAt, partitions: [...base.partitions], configs: new Map(base.configs) };
    this.#topics.set(id, topic);
    return topic;
  }

  /** The image after these records. */
  apply(): MetadataImage {
    if (this.#topics.size === 0 && this.#removed.size === 0 && !this.#brokers && this.#nextProducerId === undefined && this.#clusterId === undefined && !this.#scram && !this.#acls && !this.#brokerConfigs) return this.image;
    const topics = new Map(this.image.topicsById);
    for (const id of this.#removed) topics.delete(id);
    for (const [id, t] of this.#topics) topics.set(id, Object.freeze({ ...t, partitions: Object.freeze([...t.partitions]), configs: t.configs }));
    return new MetadataImage(topics, this.#brokers ?? this.image.registrationsById, this.#nextProducerId ?? this.image.nextProducerId, this.#clusterId ?? this.image.clusterId, this.#scram ?? this.image.scramCredentials, this.#acls ?? this.image.acls, this.#brokerConfigs ?? this.image.brokerConfigsByResource);
  }
}
