/**
 * ListOffsets for the consumer and the admin: offsets by timestamp (-2 earliest, -1
 * latest, or a time), asked of each partition's leader, with one metadata refresh and
 * retry on routing errors.
 */
import { KafkaCode, kafkaError } from '../errors.ts';
import { ApiKey } from '../protocol/api-keys.ts';
import { type Cluster, needsRefresh } from './cluster.ts';
import { type RetryPolicy, withRetry } from './retry.ts';

/** ListOffsets' special timestamps. */
export const EARLIEST_TIMESTAMP = -2;
/** The latest offset (the high watermark for read_uncommitted). */
export const LATEST_TIMESTAMP = -1;

/** One partition's answer. */
export interface PartitionOffset {
  readonly topic: string;
  readonly partition: number;
  /** The offset (-1 when no record is at or after the timestamp). */
  readonly offset: number;
  /** Timestamp of that record (-1 for earliest/latest). */
  readonly timestamp: number;
}

/** One partition to look up, at a timestamp. */
export interface OffsetQuery {
  readonly topic: string;
  readonly partition: number;
  readonly timestamp: number;
}

/** Looks up offsets, grouped per leader, retrying retriable failures. */
export async function listOffsets(cluster: Cluster, queries: readonly OffsetQuery[], retry: RetryPolicy, isolationLevel = 0): Promise<PartitionOffset[]> {
  if (queries.length === 0) return [];
  return withRetry(retry, async () => {
    await cluster.topicMetadata([...new Set(queries.map((q) => q.topic))]);
    const byLeader = new Map<number, OffsetQuery[]>();
    for (const q of queries) {
      const leader = cluster.leaderOf(q.topic, q.partition);
      if (leader < 0) throw kafkaError(cluster.cachedTopic(q.topic)?.partitions[q.partition] ? KafkaCode.LEADER_NOT_AVAILABLE : KafkaCode.UNKNOWN_TOPIC_OR_PARTITION, `No leader for ${q.topic}-${q.partition}`);
      let list = byLeader.get(leader);
      if (!list) byLeader.set(leader, (list = []));
      list.push(q);
    }
    const answers = await Promise.all([...byLeader].map(async ([leader, list]) => {
      const topics = new Map<string, Array<{ partitionIndex: number; currentLeaderEpoch: number; timestamp: number; maxNumOffsets: number }>>();
      for (const q of list) {
        let parts = topics.get(q.topic);
        if (!parts) topics.set(q.topic, (parts = []));
        parts.push({ partitionIndex: q.partition, currentLeaderEpoch: -1, timestamp: q.timestamp, maxNumOffsets: 1 });
      }
      const body = await cluster.sendTo(leader, ApiKey.ListOffsets, {
        replicaId: -1,
        isolationLevel,
        topics: [...topics].map(([name, partitions]) => ({ name, partitions })),
        timeoutMs: 30_000,
      });
      const out: PartitionOffset[] = [];
      for (const t of body.topics) {
        for (const p of t.partitions) {
          if (p.errorCode !== KafkaCode.NONE) throw kafkaError(p.errorCode, `ListOffsets ${t.name}-${p.partitionIndex} failed`, { details: { topic: t.name, partition: p.partitionIndex } });
          out.push({ topic: t.name, partition: p.partitionIndex, offset: p.offset, timestamp: p.timestamp });
        }
      }
      return out;
    }));
    return answers.flat();
  }, (error) => (needsRefresh(error) ? cluster.refresh() : undefined));
}
