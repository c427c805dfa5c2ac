/**
 * What makes a broker a member of a cluster rather than a cluster of one: the controller
 * quorum's voters, how to reach other nodes, and the timing of heartbeats, sessions and
 * replication (Kafka's names in the comments; the CLI flags carry the same names).
 */
import type { Clock } from '../../clock.ts';
import type { TransportFactory } from '../../client/transport.ts';
import type { BrokerToController } from '../controller/broker-to-controller.ts';
import type { LeaderRebalanceConfig } from '../controller/leader-election.ts';
import type { MetadataQuorum, QuorumVoter } from '../quorum/metadata-quorum.ts';
import type { RaftTimings } from '../quorum/raft/raft-timings.ts';

/** `BrokerOptions.cluster`. */
export interface ClusterOptions {
  /** The controller quorum's voters (controller.quorum.voters). A broker whose id is listed also runs the controller. */
  readonly voters: readonly QuorumVoter[];
  /** Opens connections to other nodes: replica fetchers, the controller channel. */
  readonly transport?: TransportFactory;
  /**
   * The metadata log in this process (the in-process cluster's shared quorum): read
   * directly instead of fetched from the controller listener.
   */
  readonly quorum?: MetadataQuorum;
  /** The active controller in this process (the in-process cluster's): called directly. */
  readonly controller?: BrokerToController;
  /** Time source for heartbeats, sessions, replica lag and back-offs. Default: the system clock. */
  readonly clock?: Clock;
  /** broker.heartbeat.interval.ms. Default 2000. */
  readonly heartbeatIntervalMs?: number;
  /** broker.session.timeout.ms (applied by the controller this node hosts). Default 9000. */
  readonly sessionTimeoutMs?: number;
  /** replica.lag.time.max.ms. Default 30000. */
  readonly replicaLagTimeMaxMs?: number;
  /** replica.fetch.wait.max.ms. Default 500. */
  readonly replicaFetchWaitMaxMs?: number;
  /** replica.fetch.backoff.ms. Default 1000. */
  readonly replicaFetchBackoffMs?: number;
  /** How long a controlled shutdown waits for leadership to move away. Default 30000. */
  readonly controlledShutdownTimeoutMs?: number;
  /** The Raft quorum's timings (controller.quorum.*), when the quorum has several voters. Default: KRaft's. */
  readonly raftTimings?: Partial<RaftTimings>;
  /** Committed metadata records between two snapshots of a Raft voter (KIP-630). Default 20,000 (raft-quorum.ts). */
  readonly metadataSnapshotRecords?: number;
  /** The hosted controller's automatic preferred-leader rebalance (Kafka's defaults: on, 300 s, 10 %). */
  readonly leaderRebalance?: Partial<LeaderRebalanceConfig>;
}

/** Kafka's defaults for {@link ClusterOptions}' timings. */
export const CLUSTER_DEFAULTS = Object.freeze({
  heartbeatIntervalMs: 2000,
  sessionTimeoutMs: 9000,
  replicaLagTimeMaxMs: 30_000,
  replicaFetchWaitMaxMs: 500,
  replicaFetchBackoffMs: 1000,
  controlledShutdownTimeoutMs: 30_000,
});

/**
 * Parses `ID@HOST:PORT[,ID@HOST:PORT…]` (controller.quorum.voters). Throws a message that
 * names the bad entry: a wrong flag is a clear error at start, never a hang.
 */
export function parseVoters(text: string): QuorumVoter[] {
  const voters: QuorumVoter[] = [];
  for (const raw of text.split(',')) {
    const entry = raw.trim();
    const match = /^(\d+)@(\[[^\]]+\]|[^:@]+):(\d+)$/.exec(entry);
    if (!match) throw new Error(`bad controller quorum voter "${entry}": expected ID@HOST:PORT, e.g. 1@127.0.0.1:9093`);
    const nodeId = Number(match[1]);
    const port = Number(match[3]);
    if (!Number.isSafeInteger(nodeId) || nodeId < 0) throw new Error(`bad node id in controller quorum voter "${entry}"`);
    if (port < 1 || port > 65535) throw new Error(`bad port in controller quorum voter "${entry}"`);
    if (voters.some((v) => v.nodeId === nodeId)) throw new Error(`node ${nodeId} is listed twice in the controller quorum`);
    voters.push({ nodeId, host: match[2]!.replace(/^\[|\]$/g, ''), port });
  }
  if (voters.length === 0) throw new Error('the controller quorum needs at least one voter');
  return voters;
}
