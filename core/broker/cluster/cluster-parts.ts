/**
 * Where a cluster member finds the metadata log and the active controller: handed in (the
 * in-process cluster shares one quorum and controller), hosted here (a voter keeps the log
 * in its own storage and runs the controller), or over the network (every other broker).
 */
import type { Clock } from '../../clock.ts';
import type { Logger } from '../../contracts/logger.ts';
import type { Storage } from '../../contracts/storage.ts';
import { TributaryError } from '../../errors.ts';
import type { BrokerToController } from '../controller/broker-to-controller.ts';
import { QuorumController } from '../controller/quorum-controller.ts';
import type { MetadataQuorum } from '../quorum/metadata-quorum.ts';
import { SingleQuorum } from '../quorum/single-quorum.ts';
import { RemoteMetadataReader } from '../quorum/remote-metadata-reader.ts';
import { ControllerChannel } from '../controller/controller-channel.ts';
import type { ClusterOptions } from './cluster-options.ts';
import type { MetadataSource } from './metadata-follower.ts';

/** The metadata log and controller a member uses. */
export interface ClusterParts {
  readonly source: MetadataSource;
  readonly controller: BrokerToController;
  /** The controller this node runs (a voter), to be served on its controller listener. */
  readonly hosted?: { readonly controller: QuorumController; readonly quorum: MetadataQuorum };
  /** The active controller's node id as known now (-1: none). */
  controllerId(): number;
  /**
   * Opens what needs the broker's storage (a voter's log and controller); called once
   * storage is open. `clusterId` names the cluster when a voter's log has no id yet.
   */
  open(clusterId: string): Promise<void>;
  /** Stops what {@link open} started. */
  close(): Promise<void>;
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
  if (cluster.voters.some((v) => v.nodeId === context.nodeId)) {
    if (cluster.voters.length > 1) {
      throw new TributaryError('ERR_INVALID_ARGUMENT', `--controller-quorum lists ${cluster.voters.length} voters: this version runs a single-voter quorum (a fault-tolerant Raft quorum is issue #10)`);
    }
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
        controller = new QuorumController({
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
  const link = { voters: cluster.voters, transport: cluster.transport, clock: context.clock, logger: context.logger, clientId: `tributary-broker-${context.nodeId}` };
  const reader = new RemoteMetadataReader({ ...link, nodeId: context.nodeId });
  const channel = new ControllerChannel({ ...link, defaultNumPartitions: context.numPartitions });
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
    // The operator's operations and dynamic broker configs (the hosted QuorumController has them all).
    alterPartitionReassignments: (r) => target().alterPartitionReassignments!(r),
    listPartitionReassignments: (r) => target().listPartitionReassignments!(r),
    electLeaders: (r) => target().electLeaders!(r),
    unregisterBroker: (r) => target().unregisterBroker!(r),
    alterBrokerConfigs: (resource, configs, validateOnly) => target().alterBrokerConfigs!(resource, configs, validateOnly),
    incrementalAlterBrokerConfigs: (resource, ops, validateOnly) => target().incrementalAlterBrokerConfigs!(resource, ops, validateOnly),
  };
}
