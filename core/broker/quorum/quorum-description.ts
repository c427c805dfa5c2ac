/**
 * The controller quorum as DescribeQuorum tells it (Kafka's `kafka-metadata-quorum.sh
 * describe --status / --replication`): asked of the voters' controller listeners, answered
 * by the leader — who leads, at which epoch, the high watermark, and each voter's log end,
 * lag, last fetch and last caught-up time. `tributary cluster describe` and the fault
 * tests use it; a voter that does not lead answers NOT_LEADER_OR_FOLLOWER naming the
 * leader it knows, and the question moves there.
 */
import { kafkaError, KafkaCode } from '../../errors.ts';
import { ApiKey } from '../../protocol/api-keys.ts';
import { ControllerLink, type ControllerLinkOptions } from '../controller/controller-link.ts';
import { METADATA_TOPIC } from './metadata-batch-codec.ts';

/** One replica of the metadata log, as the leader sees it. */
export interface QuorumReplicaStatus {
  readonly nodeId: number;
  readonly logEndOffset: number;
  /** How far behind the leader's log end (0 for the leader). */
  readonly lag: number;
  /** When it last fetched (ms since epoch), -1 when unknown. */
  readonly lastFetchMs: number;
  /** When it was last caught up with the leader (ms since epoch), -1 when unknown. */
  readonly lastCaughtUpMs: number;
}

/** What {@link describeQuorum} returns. */
export interface QuorumDescription {
  readonly leaderId: number;
  readonly epoch: number;
  readonly highWatermark: number;
  readonly voters: readonly QuorumReplicaStatus[];
  readonly observers: readonly QuorumReplicaStatus[];
}

/** Asks the voters for the quorum's state (the leader answers); rejects when no leader answers within the link's retry time. */
export async function describeQuorum(options: ControllerLinkOptions): Promise<QuorumDescription> {
  const link = new ControllerLink({ clientId: 'tributary-describe-quorum', ...options });
  try {
    return await link.call(
      ApiKey.DescribeQuorum,
      () => ({ topics: [{ topicName: METADATA_TOPIC, partitions: [{ partitionIndex: 0 }] }] }),
      (response) => {
        if (response.errorCode !== KafkaCode.NONE) throw kafkaError(response.errorCode, response.errorMessage ?? 'DescribeQuorum refused');
        const p = response.topics[0]?.partitions[0];
        if (!p) throw kafkaError(KafkaCode.UNKNOWN_SERVER_ERROR, 'DescribeQuorum answered without the metadata partition');
        const empty: QuorumDescription = { leaderId: p.leaderId, epoch: p.leaderEpoch, highWatermark: -1, voters: [], observers: [] };
        if (p.errorCode === KafkaCode.NOT_LEADER_OR_FOLLOWER) return { kind: 'not-controller', value: empty, ...(p.leaderId >= 0 ? { leaderId: p.leaderId } : {}) };
        if (p.errorCode !== KafkaCode.NONE) throw kafkaError(p.errorCode, p.errorMessage ?? 'DescribeQuorum refused for the metadata partition');
        const leaderEnd = p.currentVoters.find((v) => v.replicaId === p.leaderId)?.logEndOffset ?? p.highWatermark;
        const status = (r: (typeof p.currentVoters)[number]): QuorumReplicaStatus => ({
          nodeId: r.replicaId,
          logEndOffset: r.logEndOffset,
          lag: Math.max(0, leaderEnd - r.logEndOffset),
          lastFetchMs: r.lastFetchTimestamp,
          lastCaughtUpMs: r.lastCaughtUpTimestamp,
        });
        return { kind: 'done', value: { leaderId: p.leaderId, epoch: p.leaderEpoch, highWatermark: p.highWatermark, voters: p.currentVoters.map(status), observers: p.observers.map(status) } };
      },
    );
  } finally {
    await link.close();
  }
}
