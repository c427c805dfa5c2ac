/**
 * Where a cluster member finds the metadata log and the active controller: handed in (the
 * in-process cluster shares one quorum and controller), hosted here (a voter), or over the
 * network (every other broker).
 */
import { TributaryError } from '../../errors.ts';
import type { BrokerToController } from '../controller/broker-to-controller.ts';
import type { ClusterOptions } from './cluster-options.ts';
import type { MetadataSource } from './metadata-follower.ts';

/** The metadata log and controller a member uses. */
export interface ClusterParts {
  readonly source: MetadataSource;
  readonly controller: BrokerToController;
  /** The active controller's node id as known now (-1: none). */
  controllerId(): number;
}

/** Resolves the parts of a member from its options. */
export function clusterParts(cluster: ClusterOptions, nodeId: number): ClusterParts {
  if (cluster.quorum && cluster.controller) {
    const quorum = cluster.quorum;
    return { source: quorum, controller: cluster.controller, controllerId: () => quorum.leader().nodeId };
  }
  throw new TributaryError('ERR_INVALID_ARGUMENT', `node ${nodeId}: a cluster member needs an in-process quorum and controller (networked members are not wired yet)`);
}
