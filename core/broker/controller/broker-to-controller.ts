/**
 * What brokers ask of the active controller in a cluster (Kafka's BrokerRegistration,
 * BrokerHeartbeat, AlterPartition and AllocateProducerIds, plus the topic operations a
 * broker forwards for its clients). The controller implements it in-process
 * (QuorumController); over the network the same calls travel as Kafka requests to the
 * controller listener (controller-channel.ts), so a broker neither knows nor cares where
 * the controller runs.
 *
 * Every answer carries a Kafka error code (0: none), never a throw, for the rules the
 * caller acts on (stale epochs, not the controller); a throw means the call did not
 * reach a controller at all (connection lost) and may be retried.
 */
import type { BrokerConfigOperations, ClusterOperations } from './cluster-operations.ts';
import type { Controller } from './controller.ts';

/** BrokerRegistration. */
export interface BrokerRegistrationRequest {
  readonly nodeId: number;
  readonly clusterId: string;
  /** Random per process start: a second process with the same node id has another. */
  readonly incarnationId: string;
  readonly host: string;
  readonly port: number;
  readonly rack: string | null;
  /**
   * The broker epoch this node had when it last shut down cleanly (BrokerRegistration v3+
   * PreviousBrokerEpoch), -1 or absent when it did not (a first start, a crash). A data
   * directory is locked to one process, so a match proves the registration it names is this
   * node's own previous life and not a live duplicate: the controller lets it register at
   * once instead of waiting for the old session to end (a whole-cluster restart would
   * otherwise wait broker.session.timeout.ms).
   */
  readonly previousBrokerEpoch?: number;
}

/** BrokerRegistration's answer. */
export interface BrokerRegistrationResult {
  /**
   * 0, NOT_CONTROLLER (41), DUPLICATE_BROKER_REGISTRATION (101: another live process has
   * this node id), INCONSISTENT_CLUSTER_ID (104).
   */
  readonly errorCode: number;
  readonly errorMessage: string | null;
  /** The new registration's epoch (the metadata offset of its record), -1 on error. */
  readonly brokerEpoch: number;
}

/** BrokerHeartbeat. */
export interface BrokerHeartbeatRequest {
  readonly nodeId: number;
  readonly brokerEpoch: number;
  /** The highest metadata offset this broker has applied. */
  readonly currentMetadataOffset: number;
  /** True while the broker does not want to be unfenced (still catching up). */
  readonly wantFence: boolean;
  /** True when the broker is shutting down (controlled shutdown: leadership moves away first). */
  readonly wantShutdown: boolean;
}

/** BrokerHeartbeat's answer. */
export interface BrokerHeartbeatResult {
  /** 0, NOT_CONTROLLER (41), STALE_BROKER_EPOCH (77: register again), BROKER_ID_NOT_REGISTERED (102). */
  readonly errorCode: number;
  /** True once the broker has applied the metadata log up to its registration. */
  readonly isCaughtUp: boolean;
  readonly isFenced: boolean;
  /** True once a controlled shutdown may proceed (this broker leads nothing). */
  readonly shouldShutdown: boolean;
}

/** One partition's ISR change proposed by its leader. */
export interface AlterPartitionItem {
  readonly topicId: string;
  readonly partition: number;
  /** The leader epoch the leader holds. */
  readonly leaderEpoch: number;
  /** The partition epoch the proposal was computed from. */
  readonly partitionEpoch: number;
  readonly newIsr: readonly number[];
}

/** AlterPartition. */
export interface AlterPartitionRequest {
  readonly brokerId: number;
  readonly brokerEpoch: number;
  readonly items: readonly AlterPartitionItem[];
}

/** One partition's answer to an AlterPartition. */
export interface AlterPartitionItemResult {
  readonly topicId: string;
  readonly partition: number;
  /**
   * 0; NOT_CONTROLLER (41); STALE_BROKER_EPOCH (77); UNKNOWN_TOPIC_OR_PARTITION (3);
   * NOT_LEADER_OR_FOLLOWER (6: the sender no longer leads); FENCED_LEADER_EPOCH (74);
   * INVALID_UPDATE_VERSION (95: stale partition epoch); INELIGIBLE_REPLICA (107: a fenced
   * broker or one not a replica was proposed).
   */
  readonly errorCode: number;
  /** The partition as committed (on success) or as the controller has it (on error), when known. */
  readonly leader: number;
  readonly leaderEpoch: number;
  readonly partitionEpoch: number;
  readonly isr: readonly number[];
}

/** AllocateProducerIds. */
export interface AllocateProducerIdsRequest {
  readonly brokerId: number;
  readonly brokerEpoch: number;
}

/** AllocateProducerIds' answer: a block of ids for this broker alone. */
export interface AllocateProducerIdsResult {
  /** 0, NOT_CONTROLLER (41), STALE_BROKER_EPOCH (77). */
  readonly errorCode: number;
  readonly firstProducerId: number;
  readonly size: number;
}

/**
 * The active controller as brokers reach it. The topic operations are the
 * {@link Controller} ones (CreateTopics, DeleteTopics, CreatePartitions, configs);
 * they resolve once the change is committed to the metadata log, and reject with coded
 * errors (NOT_CONTROLLER when this node no longer leads the quorum). The operator's
 * {@link ClusterOperations} (reassignment, ElectLeaders, UnregisterBroker) are optional: a
 * controller without them answers those requests' clients that it cannot.
 */
export interface BrokerToController
  extends Omit<Controller, 'registerBroker' | 'controllerId' | keyof ClusterOperations | keyof BrokerConfigOperations>, Partial<ClusterOperations>, Partial<BrokerConfigOperations> {
  registerBroker(request: BrokerRegistrationRequest): Promise<BrokerRegistrationResult>;
  brokerHeartbeat(request: BrokerHeartbeatRequest): Promise<BrokerHeartbeatResult>;
  alterPartition(request: AlterPartitionRequest): Promise<AlterPartitionItemResult[]>;
  allocateProducerIds(request: AllocateProducerIdsRequest): Promise<AllocateProducerIdsResult>;
}
