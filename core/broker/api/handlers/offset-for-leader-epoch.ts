/**
 * OffsetForLeaderEpoch (API 23): where a leader epoch ends in a partition's log, from the
 * leader's epoch cache (partition/leader-epoch-cache.ts). Consumers send it after a
 * leader change to check that their position was not truncated away (KIP-320); followers
 * of older brokers sent it to find where to truncate (KIP-101, KIP-279) — ours use Fetch's
 * DivergingEpoch. Only the leader answers (NOT_LEADER_OR_FOLLOWER elsewhere), except to
 * replica id -2 (Kafka's debugging id); FENCED_LEADER_EPOCH / UNKNOWN_LEADER_EPOCH when the
 * caller's current leader epoch is behind or ahead.
 */
import { ApiKey } from '../../../protocol/api-keys.ts';
import type { BrokerContext } from '../context.ts';
import type { ApiRequest, ApiResponseInput } from '../../../protocol/api-messages.ts';
import type { BrokerRequestHeader, HandlerEntry } from '../handler.ts';
import { KafkaCode } from '../../../kafka-error-codes.ts';
import { access } from '../access.ts';

function handleOffsetForLeaderEpoch(ctx: BrokerContext, header: BrokerRequestHeader, body: ApiRequest<typeof ApiKey.OffsetForLeaderEpoch>): ApiResponseInput<typeof ApiKey.OffsetForLeaderEpoch> {
  // v0–2 have no replica id: consumers (and old followers), answered by the leader only.
  const replicaId = header.apiVersion >= 3 ? body.replicaId : -1;
  // Kafka's checks: CLUSTER_ACTION for a follower, DESCRIBE on each topic for a consumer.
  const can = access(ctx, header);
  const follower = replicaId >= 0 && can.cluster('cluster-action');
  const describable = replicaId >= 0 ? () => follower : can.filter('describe', 'topic', body.topics.map((t) => t.topic));
  const topics = body.topics.map((t) => ({
    topic: t.topic,
    partitions: t.partitions.map((p) => {
      if (!describable(t.topic)) return { partition: p.partition, errorCode: KafkaCode.TOPIC_AUTHORIZATION_FAILED, leaderEpoch: -1, endOffset: -1 };
      const found = ctx.replicaManager.lastOffsetForLeaderEpoch(t.topic, p.partition, p.currentLeaderEpoch, p.leaderEpoch, replicaId);
      return { partition: p.partition, errorCode: found.errorCode, leaderEpoch: found.leaderEpoch, endOffset: found.endOffset };
    }),
  }));
  return { throttleTimeMs: 0, topics };
}

/** OffsetForLeaderEpoch v0–4. */
export const offsetForLeaderEpochHandler: HandlerEntry<typeof ApiKey.OffsetForLeaderEpoch> = {
  apiKey: ApiKey.OffsetForLeaderEpoch,
  versions: { min: 0, max: 4 },
  handle: handleOffsetForLeaderEpoch,
};
