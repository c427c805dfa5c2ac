/**
 * The narrow view of the controller listener that its request handlers get (as
 * BrokerContext is for a broker's handlers): the active controller as brokers reach it, the
 * metadata log to serve, and the listener's limits and shutdown signal.
 */
import type { Logger } from '../../../contracts/logger.ts';
import type { ApiRange } from '../../api/context.ts';
import type { BrokerLimits } from '../../broker-configs.ts';
import type { ShutdownWatch } from '../../partition/delayed-operations.ts';
import type { MetadataQuorum } from '../../quorum/metadata-quorum.ts';
import type { RaftEndpoint } from '../../quorum/raft/raft-endpoint.ts';
import type { BrokerToController } from '../broker-to-controller.ts';

/** What every controller-listener handler may use. */
export interface ControllerContext {
  /** This controller node's id (a voter of the quorum). */
  readonly nodeId: number;
  /** Where registrations, heartbeats, ISR changes, producer-id blocks and topic operations go. */
  readonly controller: BrokerToController;
  /** The metadata log brokers fetch (`__cluster_metadata` partition 0) and who leads it. */
  readonly quorum: Pick<MetadataQuorum, 'read' | 'leader'>;
  /**
   * The voter's Raft quorum, when the controller quorum is Raft (more than one voter): it
   * answers Vote, BeginQuorumEpoch, EndQuorumEpoch, FetchSnapshot, DescribeQuorum and the
   * metadata Fetch (of voters and observers). Absent: a single voter serves its log itself.
   */
  readonly raft?: RaftEndpoint;
  /** fetch.max.bytes bounds a metadata Fetch answer (at least one batch). */
  readonly limits: BrokerLimits;
  readonly logger: Logger;
  /** Tells when the listener shuts down: metadata long polls answer at once. */
  readonly shutdown: ShutdownWatch;
  /** The name of the topic with this id, when known (DeleteTopics v6 by id); undefined otherwise. */
  topicName(topicId: string): string | undefined;
  /** What ApiVersions advertises. */
  apiVersions(): readonly ApiRange[];
}
