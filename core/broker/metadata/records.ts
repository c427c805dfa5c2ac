/**
 * Metadata records: the changes the controller makes to the cluster's metadata, in the
 * shape of KRaft's metadata log records (TopicRecord, PartitionRecord, ConfigRecord,
 * RemoveTopicRecord, RegisterBrokerRecord). The metadata image is what replaying them
 * gives; a node never changes its image any other way.
 */

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

/** A broker joined (or changed its advertised address). */
export interface RegisterBrokerRecord {
  readonly type: 'register-broker';
  readonly nodeId: number;
  readonly host: string;
  readonly port: number;
  readonly rack: string | null;
}

/** Any metadata record. */
export type MetadataRecord = TopicRecord | PartitionRecord | ConfigRecord | RemoveTopicRecord | RegisterBrokerRecord;
