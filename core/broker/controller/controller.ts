/**
 * The controller: the one place that changes cluster metadata — topic creation and
 * deletion, partition placement, partition growth, config changes, broker registration.
 * It validates, decides, persists, and publishes metadata records; every node (this one
 * included) learns of the change only through those records.
 */
import type { AclBinding, AclBindingFilter } from '../../contracts/authorizer.ts';
import type { AclCreationResult, AclDeletionResult } from '../acl/acl-control.ts';
import type { BrokerEndpoint } from '../api/context.ts';
import type { TopicImage } from '../metadata/metadata-image.ts';
import type { ScramMechanism } from '../../security/scram.ts';

/**
 * SCRAM credential changes as AlterUserScramCredentials carries them (checked by the
 * handler): each upsertion's salt and client-side SaltedPassword, from which the controller
 * derives the stored keys; each deletion's user and mechanism.
 */
export interface ScramCredentialChanges {
  readonly upsertions: ReadonlyArray<{ readonly name: string; readonly mechanism: ScramMechanism; readonly iterations: number; readonly salt: Uint8Array; readonly saltedPassword: Uint8Array }>;
  readonly deletions: ReadonlyArray<{ readonly name: string; readonly mechanism: ScramMechanism }>;
}
import type { BrokerConfigOperations, ClusterOperations } from './cluster-operations.ts';

/** What a topic creation asks for, before defaults are applied. */
export interface CreateTopicSpec {
  readonly name: string;
  /** -1 for the broker default. */
  readonly numPartitions: number;
  /** -1 for the broker default. */
  readonly replicationFactor: number;
  /** Explicit replica assignment per partition (then both counts are -1). */
  readonly assignments?: ReadonlyArray<{ partitionIndex: number; brokerIds: number[] }>;
  readonly configs?: Iterable<readonly [string, string | null | undefined]>;
  /**
   * The broker's own creation of an internal topic (`__consumer_offsets` in a cluster, on
   * a group's first FindCoordinator): its reserved name is allowed.
   */
  readonly internal?: boolean;
}

/** One IncrementalAlterConfigs operation (Kafka's AlterConfigOp.OpType numbers: 0 set, 1 delete, 2 append, 3 subtract). */
export interface ConfigOp {
  readonly name: string;
  readonly op: number;
  readonly value: string | null;
}

/**
 * The metadata operations requests need (CreateTopics, DeleteTopics, CreatePartitions,
 * AlterConfigs, auto-creation); in a cluster also the operator's {@link ClusterOperations}
 * (a broker without a cluster controller has none).
 */
export interface Controller extends Partial<ClusterOperations>, Partial<BrokerConfigOperations> {
  /** This controller's node id (what Metadata and DescribeCluster report). */
  readonly controllerId: number;
  /** Partitions of a topic created with numPartitions -1 (num.partitions). */
  readonly defaultNumPartitions: number;
  /**
   * Validates a creation and, unless `validateOnly`, creates the topic; resolves with the
   * topic as the image holds it (or would). Errors are coded: INVALID_TOPIC_EXCEPTION,
   * TOPIC_ALREADY_EXISTS, INVALID_PARTITIONS, INVALID_REPLICATION_FACTOR,
   * INVALID_REPLICA_ASSIGNMENT, INVALID_REQUEST, INVALID_CONFIG, POLICY_VIOLATION.
   */
  createTopic(spec: CreateTopicSpec, validateOnly?: boolean): Promise<TopicImage>;
  /** The topic, created with the defaults when missing (auto-creation). */
  getOrCreateTopic(name: string): Promise<TopicImage>;
  /** Deletes a topic and its data. UNKNOWN_TOPIC_OR_PARTITION when missing. */
  deleteTopic(name: string): Promise<void>;
  /** Grows a topic to `count` partitions; explicit assignments give the new partitions' replicas. */
  createPartitions(name: string, count: number, assignments: number[][] | null, validateOnly?: boolean): Promise<void>;
  /** Replaces a topic's config overrides (AlterConfigs semantics: unset ones revert to defaults). */
  alterTopicConfigs(name: string, configs: Iterable<readonly [string, string | null | undefined]>, validateOnly?: boolean): Promise<void>;
  /**
   * Changes single config overrides of a topic (IncrementalAlterConfigs): each op sets,
   * deletes (back to the default), appends to or subtracts from (list configs only) one
   * config; the others stay. INVALID_CONFIG / INVALID_REQUEST / UNKNOWN_TOPIC_OR_PARTITION.
   */
  incrementalAlterTopicConfigs(name: string, ops: readonly ConfigOp[], validateOnly?: boolean): Promise<void>;
  /**
   * Adds ACLs (CreateAcls): one result per binding, in order — INVALID_REQUEST for one that
   * cannot be stored, NONE otherwise (an ACL already there is not added twice). Resolves once
   * the image shows them (in a cluster: committed and replayed by this broker).
   */
  createAcls(bindings: readonly AclBinding[]): Promise<AclCreationResult[]>;
  /**
   * Removes the ACLs each filter matches (DeleteAcls): one result per filter listing what it
   * removed; a null filter matches nothing. Resolves once the image no longer shows them.
   */
  deleteAcls(filters: readonly (AclBindingFilter | null)[]): Promise<AclDeletionResult[]>;
  /** Registers (or re-registers) a broker's advertised address; visible at once. */
  registerBroker(endpoint: BrokerEndpoint): void;
  /**
   * Sets and removes users' SCRAM credentials (AlterUserScramCredentials, already checked
   * by the handler) as metadata records; resolves once this node's image shows them.
   * Optional, so that a Controller written before issue 14 still fits.
   */
  alterUserScramCredentials?(changes: ScramCredentialChanges): Promise<void>;
}
