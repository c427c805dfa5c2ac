/**
 * Metadata records: the changes the controller makes to the cluster's metadata, in the
 * shape of KRaft's metadata log records (TopicRecord, PartitionRecord, ConfigRecord,
 * RemoveTopicRecord, RegisterBrokerRecord, AccessControlEntryRecord). The metadata image is what replaying them
 * gives; a node never changes its image any other way.
 */
import type { AclBinding } from '../../contracts/authorizer.ts';

/** A topic is created. Its partitions follow as {@link PartitionRecord}s. */
export interface TopicRecord {
  readonly type: 'topic';
  readonly name: string;
  /** Canonical UUID string. */
  readonly topicId: string;
  readonly replicationFactor: number;
  /** Creation time, ms since epoch. */
  readonly createdAt: number;
}

/** A partition is created, or its assignment, leader or in-sync set changed. */
export interface PartitionRecord {
  readonly type: 'partition';
  readonly topicId: string;
  readonly partitionId: number;
  /** Every replica's node id, the preferred leader first. */
  readonly replicas: readonly number[];
  /** The in-sync replicas' node ids. */
  readonly isr: readonly number[];
  /** Node id of the leader (-1: none). */
  readonly leader: number;
  /** Bumped on every leader change. */
  readonly leaderEpoch: number;
  /**
   * Bumped on every change of this partition (leader, ISR, replicas): an AlterPartition
   * names the epoch it was computed from and is refused when it is stale
   * (INVALID_UPDATE_VERSION). Absent in records written before clusters: 0.
   */
  readonly partitionEpoch?: number;
  /**
   * Replicas a reassignment is adding (in {@link replicas}, catching up; KIP-455). Absent or
   * empty: none — records written before reassignment have neither field.
   */
  readonly addingReplicas?: readonly number[];
  /** Replicas a reassignment will remove once every target replica is in sync (in {@link replicas}). */
  readonly removingReplicas?: readonly number[];
}

/** One config of a topic is set (a value) or removed (null). */
export interface ConfigRecord {
  readonly type: 'config';
  readonly resourceType: 'topic';
  readonly resourceName: string;
  readonly name: string;
  readonly value: string | null;
}

/** A topic is deleted with all its partitions. */
export interface RemoveTopicRecord {
  readonly type: 'remove-topic';
  readonly topicId: string;
}

/**
 * A broker joined (or changed its advertised address). In a cluster the controller writes
 * it on BrokerRegistration: the broker starts fenced, with `brokerEpoch` the metadata
 * offset of this record (Kafka's RegisterBrokerRecord). A cluster of one writes it with
 * neither field (epoch 0, unfenced).
 */
export interface RegisterBrokerRecord {
  readonly type: 'register-broker';
  readonly nodeId: number;
  readonly host: string;
  readonly port: number;
  readonly rack: string | null;
  /** Random id of this start of the broker process (a second process with the same node id differs). */
  readonly incarnationId?: string;
  /** The registration's epoch; heartbeats and AlterPartition must name it. */
  readonly brokerEpoch?: number;
  /** True until the broker has caught up with the metadata log and asked to be unfenced. */
  readonly fenced?: boolean;
}

/**
 * A registered broker is fenced (session expired, controlled shutdown done) or unfenced
 * (caught up and heartbeating) — Kafka's FenceBrokerRecord / UnfenceBrokerRecord. A fenced
 * broker leads nothing, is in no ISR, and clients do not see it in Metadata.
 */
export interface BrokerFenceRecord {
  readonly type: 'fence-broker';
  readonly nodeId: number;
  readonly brokerEpoch: number;
  readonly fenced: boolean;
}

/**
 * The controller handed out producer ids [`firstProducerId`, `firstProducerId + size`) to
 * broker `nodeId` (Kafka's ProducerIdsRecord): the next block starts after it.
 */
export interface ProducerIdsRecord {
  readonly type: 'producer-ids';
  readonly nodeId: number;
  readonly brokerEpoch: number;
  readonly firstProducerId: number;
  readonly size: number;
}

/**
 * The cluster's id, written once by the controller before the first registration it
 * accepts (Kafka keeps it in every node's meta.properties; here the metadata log is where
 * the controller learns it again after a restart). A broker registering with another id
 * is refused with INCONSISTENT_CLUSTER_ID.
 */
export interface ClusterIdRecord {
  readonly type: 'cluster-id';
  readonly clusterId: string;
}

/**
 * A user's SCRAM credential for one mechanism is set (Kafka's UserScramCredentialRecord,
 * written by AlterUserScramCredentials): the salted form only, never the password. Bytes
 * are standard base64 (records travel as JSON).
 */
export interface UserScramCredentialRecord {
  readonly type: 'user-scram-credential';
  readonly name: string;
  readonly mechanism: 'SCRAM-SHA-256' | 'SCRAM-SHA-512';
  readonly salt: string;
  readonly storedKey: string;
  readonly serverKey: string;
  readonly iterations: number;
}

/** A user's SCRAM credential for one mechanism is removed (Kafka's RemoveUserScramCredentialRecord). */
export interface RemoveUserScramCredentialRecord {
  readonly type: 'remove-user-scram-credential';
  readonly name: string;
  readonly mechanism: 'SCRAM-SHA-256' | 'SCRAM-SHA-512';
}

/**
 * A Raft quorum leader took office (Kafka's LeaderChangeMessage control record): the first
 * batch every new leader of the metadata quorum appends, in its own epoch. Raft lets a
 * leader count a majority as committing only entries of its own epoch, so once this one is
 * committed everything before it is too, and the leader's high watermark can be trusted.
 * It changes no metadata: images and loaders skip it.
 */
export interface LeaderChangeRecord {
  readonly type: 'leader-change';
  /** The new quorum leader's node id. */
  readonly leaderId: number;
  /** The quorum epoch it leads. */
  readonly epoch: number;
  /** The voters' node ids at that time. */
  readonly voters: readonly number[];
}


/**
 * An ACL is added (Kafka's AccessControlEntryRecord): `id` names it for its removal. The
 * binding's fields are the Authorizer contract's (core/contracts/authorizer.ts).
 */
export interface AclRecord extends AclBinding {
  readonly type: 'acl';
  /** Canonical UUID string. */
  readonly id: string;
}

/** The ACL with this id is removed (Kafka's RemoveAccessControlEntryRecord). */
export interface RemoveAclRecord {
  readonly type: 'remove-acl';
  readonly id: string;
}


/**
 * A broker's registration is removed (Kafka's UnregisterBrokerRecord: decommission, after its
 * replicas moved away). Only the registration of epoch `brokerEpoch` goes; a later one stays.
 */
export interface UnregisterBrokerRecord {
  readonly type: 'unregister-broker';
  readonly nodeId: number;
  readonly brokerEpoch: number;
}

/**
 * One dynamic broker config is set (a value) or removed (null) — Kafka's ConfigRecord of a
 * BROKER resource: `broker` is "" for the cluster-wide default or a node id for one broker.
 */
export interface BrokerConfigRecord {
  readonly type: 'broker-config';
  readonly broker: string;
  readonly name: string;
  readonly value: string | null;
}

/** Any metadata record. */
export type MetadataRecord = TopicRecord | PartitionRecord | ConfigRecord | RemoveTopicRecord | RegisterBrokerRecord | BrokerFenceRecord | ProducerIdsRecord | ClusterIdRecord | UserScramCredentialRecord | RemoveUserScramCredentialRecord | LeaderChangeRecord | AclRecord | RemoveAclRecord | UnregisterBrokerRecord | BrokerConfigRecord;
