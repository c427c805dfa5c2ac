/**
 * Where a cluster member finds the metadata log and the active controller: handed in (the
 * in-process cluster shares one quorum and controller), hosted here (a voter keeps the log
 * in its own storage and runs the controller), or over the network (every other broker).
 */
import type { Clock } from '../../clock.ts';
import type { Logger } from '../../contracts/logger.ts';
import type { Storage } from '../../contracts/storage.ts';
import { kafkaError, KafkaCode, TributaryError } from '../../errors.ts';
import type { BrokerToController } from '../controller/broker-to-controller.ts';
import { QuorumController } from '../controller/quorum-controller.ts';
import type { MetadataQuorum } from '../quorum/metadata-quorum.ts';
import { SingleQuorum } from '../quorum/single-quorum.ts';
import { RemoteMetadataReader } from '../quorum/remote-metadata-reader.ts';
import { RaftQuorum } from '../quorum/raft/raft-quorum.ts';
import { TransportRaftChannel } from '../quorum/transport-raft-channel.ts';
import { ControllerChannel } from '../controller/controller-channel.ts';
import type { ClusterOptions } from './cluster-options.ts';
import type { MetadataSource } from './metadata-follower.ts';

/** What a voter serves on its controller listener. */
export interface HostedController {
  /** The controller brokers call (a voter's own QuorumController; NOT_CONTROLLER until it is open). */
  readonly controller: BrokerToController;
  readonly quorum: MetadataQuorum;
  /** The voter's Raft quorum, when the quorum has several voters: the listener serves the Raft APIs through it. */
  readonly raft?: RaftQuorum;
}

/** The metadata log and controller a member uses. */
export interface ClusterParts {
  readonly source: MetadataSource;
  readonly controller: BrokerToController;
  /**
   * The controller this node runs (a voter), to be served on its controller listener: a
   * single voter's once {@link open} ran; a Raft voter's at once — its listener must answer
   * the other voters' votes and fetches before this broker can start (its metadata log
   * needs a leader elected by a majority).
   */
  readonly hosted?: HostedController;
  /**
   * True when the cluster's id comes from the metadata log only (a Raft quorum: the first
   * leader writes its proposal, and every member must wait for it instead of proposing its own).
   */
  readonly clusterIdFromLog?: boolean;
  /** The active controller's node id as known now (-1: none). */
  controllerId(): number;
  /**
   * Opens what needs the broker's storage (a voter's log and controller); called once
   * storage is open. `clusterId` names the cluster when a voter's log has no id yet.
   */
  open(clusterId: string): Promise<void>;
  /**
   * Stops what {@link open} started. `crash`: as a killed process would — a Raft leader
   * does not resign (the others find out by their timeouts).
   */
  close(crash?: boolean): Promise<void>;
}

/** What {@link clusterParts} needs of the broker. */
export interface ClusterPartsContext {
  readonly nodeId: number;
  readonly storage: Storage;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly numPartitions: number;
  readonly defaultReplicationFactor: number;
  readonly maxPartitions?: number;
  readonly socketRequestMaxBytes?: number;
}

/** Resolves the parts of a member from its options. */
export function clusterParts(cluster: ClusterOptions, context: ClusterPartsContext): ClusterParts {
  if (cluster.quorum && cluster.controller) {
    const quorum = cluster.quorum;
    return { source: quorum, controller: cluster.controller, controllerId: () => quorum.leader().nodeId, open: async () => {}, close: async () => {} };
  }
  if (cluster.voters.some((v) => v.nodeId === context.nodeId) && cluster.voters.length > 1) return raftVoterParts(cluster, context);
  if (cluster.voters.some((v) => v.nodeId === context.nodeId)) {
    const quorum = new SingleQuorum({ storage: context.storage, nodeId: context.nodeId, clock: context.clock, logger: context.logger });
    let controller: QuorumController | undefined;
    const parts: ClusterParts = {
      source: quorum,
      controller: delegateTo(() => {
        if (!controller) throw new TributaryError('ERR_NOT_STARTED', 'The controller has not been started');
        return controller;
      }),
      get hosted() {
        return controller ? { controller, quorum } : undefined;
      },
      controllerId: () => quorum.leader().nodeId,
      async open(clusterId: string) {
        await quorum.open();
        controller = hostedQuorumController(cluster, context, quorum, clusterId);
        await controller.whenIdle();
      },
      async close() {
        controller?.close();
        await quorum.close();
      },
    };
    return parts;
  }
  if (!cluster.transport) throw new TributaryError('ERR_INVALID_ARGUMENT', `node ${context.nodeId}: a cluster member that is not a voter needs a transport to reach the controller`);
  // Every other broker: the metadata log fetched from, and calls sent to, the active controller.
  const link = { voters: cluster.voters, transport: cluster.transport, clock: context.clock, logger: context.logger, clientId: `tributary-broker-${context.nodeId}`, connectTimeoutMs: RAFT_REQUEST_TIMEOUT_MS };
  // Short request timeouts: a controller that stopped answering (SIGSTOP, a cut link) is left
  // for another voter soon, before the new controller's sessions for this broker run out.
  const reader = new RemoteMetadataReader({ ...link, nodeId: context.nodeId, requestTimeoutMs: RAFT_REQUEST_TIMEOUT_MS });
  const channel = new ControllerChannel({ ...link, defaultNumPartitions: context.numPartitions, requestTimeoutMs: CHANNEL_REQUEST_TIMEOUT_MS });
  // The leader the metadata log's answers name is where the controller calls go next.
  reader.onLeaderChange((leader) => {
    if (leader.nodeId >= 0) channel.preferLeader(leader.nodeId);
  });
  return {
    source: reader,
    controller: channel,
    controllerId: () => reader.leader().nodeId,
    open: async () => {},
    close: async () => {
      await reader.close();
      await channel.close?.();
    },
  };
}

/** The controller a voter runs over its metadata log, with the member's settings (one place for the single and the Raft voter). */
function hostedQuorumController(cluster: ClusterOptions, context: ClusterPartsContext, quorum: MetadataQuorum, clusterId: string): QuorumController {
  return new QuorumController({
    quorum,
    nodeId: context.nodeId,
    clock: context.clock,
    logger: context.logger,
    numPartitions: context.numPartitions,
    defaultReplicationFactor: context.defaultReplicationFactor,
    clusterId,
    ...(context.maxPartitions !== undefined ? { maxPartitions: context.maxPartitions } : {}),
    ...(context.socketRequestMaxBytes !== undefined ? { socketRequestMaxBytes: context.socketRequestMaxBytes } : {}),
    ...(cluster.sessionTimeoutMs !== undefined ? { sessionTimeoutMs: cluster.sessionTimeoutMs } : {}),
    ...(cluster.leaderRebalance !== undefined ? { leaderRebalance: cluster.leaderRebalance } : {}),
  });
}

/** How long one request of the broker's controller channel may take (an admin operation commits through the quorum first). */
const CHANNEL_REQUEST_TIMEOUT_MS = 5000;
/** How long a metadata Fetch may take past its long poll (controller.quorum.request.timeout.ms). */
const RAFT_REQUEST_TIMEOUT_MS = 2000;

/**
 * A voter of a Raft quorum (several voters): its RaftQuorum over this broker's storage,
 * reached by the other voters on the controller listener and reaching them through a
 * {@link TransportRaftChannel}; its own QuorumController over that log, active while this
 * node leads. The broker reads the metadata log from its own quorum (the committed part),
 * and calls the active controller — wherever it is — through a ControllerChannel that
 * follows the quorum's leader.
 */
function raftVoterParts(cluster: ClusterOptions, context: ClusterPartsContext): ClusterParts {
  if (!cluster.transport) throw new TributaryError('ERR_INVALID_ARGUMENT', `node ${context.nodeId}: a voter of a quorum of ${cluster.voters.length} needs a transport to reach the other voters`);
  const channel = new TransportRaftChannel({ nodeId: context.nodeId, voters: cluster.voters, transport: cluster.transport, clock: context.clock, logger: context.logger });
  const quorum = new RaftQuorum({
    nodeId: context.nodeId,
    voters: cluster.voters,
    storage: context.storage,
    clock: context.clock,
    logger: context.logger,
    channel,
    ...(cluster.raftTimings !== undefined ? { timings: cluster.raftTimings } : {}),
    ...(cluster.metadataSnapshotRecords !== undefined ? { maxRecordsBetweenSnapshots: cluster.metadataSnapshotRecords } : {}),
  });
  let controller: QuorumController | undefined;
  const hostedController: BrokerToController = delegateTo(() => {
    if (!controller) throw kafkaError(KafkaCode.NOT_CONTROLLER, `Node ${context.nodeId}'s controller has not started yet`);
    return controller;
  });
  const link = { voters: cluster.voters, transport: cluster.transport, clock: context.clock, logger: context.logger, clientId: `tributary-broker-${context.nodeId}`, connectTimeoutMs: RAFT_REQUEST_TIMEOUT_MS };
  const toController = new ControllerChannel({ ...link, defaultNumPartitions: context.numPartitions, requestTimeoutMs: CHANNEL_REQUEST_TIMEOUT_MS });
  const unsubscribe = quorum.onLeaderChange((leader) => {
    if (leader.nodeId >= 0) toController.preferLeader(leader.nodeId);
  });
  return {
    source: quorum,
    controller: toController,
    hosted: { controller: hostedController, quorum, raft: quorum },
    clusterIdFromLog: true,
    controllerId: () => quorum.leader().nodeId,
    async open(clusterId: string) {
      // The controller first: it sees the quorum's first leader change.
      // The first leader names the cluster with its proposal; every member then takes the log's.
      controller = hostedQuorumController(cluster, context, quorum, clusterId);
      await quorum.open();
    },
    async close(crash = false) {
      unsubscribe();
      controller?.close();
      await toController.close();
      // Crashing, nothing more goes out: the resignation below fails to send.
      if (crash) await channel.close();
      // A leader resigns (EndQuorumEpoch) so the others elect at once.
      await quorum.close();
      await channel.close();
    },
  };
}

/** A controller whose calls go to whatever `target` returns at call time (one built after storage opens). */
function delegateTo(target: () => BrokerToController): BrokerToController {
  return {
    get defaultNumPartitions() {
      return target().defaultNumPartitions;
    },
    registerBroker: (r) => target().registerBroker(r),
    brokerHeartbeat: (r) => target().brokerHeartbeat(r),
    alterPartition: (r) => target().alterPartition(r),
    allocateProducerIds: (r) => target().allocateProducerIds(r),
    createTopic: (spec, validateOnly) => target().createTopic(spec, validateOnly),
    getOrCreateTopic: (name) => target().getOrCreateTopic(name),
    deleteTopic: (name) => target().deleteTopic(name),
    createPartitions: (name, count, assignments, validateOnly) => target().createPartitions(name, count, assignments, validateOnly),
    alterTopicConfigs: (name, configs, validateOnly) => target().alterTopicConfigs(name, configs, validateOnly),
    incrementalAlterTopicConfigs: (name, ops, validateOnly) => target().incrementalAlterTopicConfigs(name, ops, validateOnly),
    alterUserScramCredentials: async (changes) => {
      const controller = target();
      if (!controller.alterUserScramCredentials) throw kafkaError(KafkaCode.UNSUPPORTED_VERSION, 'This controller does not keep SCRAM credentials');
      await controller.alterUserScramCredentials(changes);
    },
    createAcls: (bindings) => target().createAcls(bindings),
    deleteAcls: (filters) => target().deleteAcls(filters),
    // The operator's operations and dynamic broker configs (the hosted QuorumController has them all).
    alterPartitionReassignments: (r) => target().alterPartitionReassignments!(r),
    listPartitionReassignments: (r) => target().listPartitionReassignments!(r),
    electLeaders: (r) => target().electLeaders!(r),
    unregisterBroker: (r) => target().unregisterBroker!(r),
    alterBrokerConfigs: (resource, configs, validateOnly) => target().alterBrokerConfigs!(resource, configs, validateOnly),
    incrementalAlterBrokerConfigs: (resource, ops, validateOnly) => target().incrementalAlterBrokerConfigs!(resource, ops, validateOnly),
  };
}
