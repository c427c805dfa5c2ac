/**
 * OffsetCommit and OffsetFetch against a group's coordinator, shared by the group
 * consumer (commits as a member of a generation) and the admin (commits as nobody, which
 * Kafka allows only while the group is empty).
 */
import { KafkaCode, TributaryError, kafkaError } from '../../errors.ts';
import { ApiKey } from '../../protocol/api-keys.ts';
import type { TopicPartition, TopicPartitionOffset } from '../consumer.ts';
import type { CoordinatorChannel } from './coordinator-channel.ts';

/** Who commits: a member of a generation, or nobody (`generationId` -1, `memberId` ''). */
export interface Committer {
  readonly generationId: number;
  readonly memberId: string;
  readonly groupInstanceId: string | null;
}

/** A committer outside group management (admin tools). */
export const NO_MEMBER: Committer = Object.freeze({ generationId: -1, memberId: '', groupInstanceId: null });

/** An offset to commit: the next offset to consume (last processed + 1), and optional metadata. */
export interface OffsetToCommit extends TopicPartition {
  readonly offset: number;
  readonly metadata?: string | null;
}

function byTopic<T extends TopicPartition>(items: readonly T[]): Map<string, T[]> {
  const out = new Map<string, T[]>();
  for (const i of items) {
    let list = out.get(i.topic);
    if (!list) out.set(i.topic, (list = []));
    list.push(i);
  }
  return out;
}

/**
 * Commits offsets. Rejects with the first partition's Kafka error (its code says what to
 * do: REBALANCE_IN_PROGRESS, ILLEGAL_GENERATION, UNKNOWN_MEMBER_ID, NOT_COORDINATOR, …).
 */
export async function commitOffsets(channel: CoordinatorChannel, who: Committer, offsets: readonly OffsetToCommit[]): Promise<void> {
  if (offsets.length === 0) return;
  for (const o of offsets) {
    if (!o || typeof o.topic !== 'string' || !Number.isInteger(o.partition) || o.partition < 0 || !Number.isSafeInteger(o.offset) || o.offset < 0) {
      throw new TributaryError('ERR_INVALID_ARGUMENT', 'An offset to commit needs { topic, partition ≥ 0, offset ≥ 0 }');
    }
  }
  const topics = [...byTopic(offsets)].map(([name, list]) => ({
    name,
    partitions: list.map((o) => ({ partitionIndex: o.partition, committedOffset: o.offset, committedLeaderEpoch: -1, commitTimestamp: -1, committedMetadata: o.metadata ?? null })),
  }));
  const { body } = await channel.send(ApiKey.OffsetCommit, {
    groupId: channel.groupId,
    generationIdOrMemberEpoch: who.generationId,
    memberId: who.memberId,
    groupInstanceId: who.groupInstanceId,
    retentionTimeMs: -1,
    topics,
  });
  for (const t of body.topics) {
    for (const p of t.partitions) {
      if (p.errorCode !== KafkaCode.NONE) {
        throw kafkaError(p.errorCode, `Committing ${t.name}-${p.partitionIndex} for group ${channel.groupId} failed`, { details: { groupId: channel.groupId, topic: t.name, partition: p.partitionIndex } });
      }
    }
  }
}

/** A committed offset as OffsetFetch reports it (offset -1: none). */
export interface CommittedOffset extends TopicPartitionOffset {
  readonly offset: number;
  readonly metadata: string | null;
}

/**
 * Committed offsets of the group (all its committed partitions when `partitions` is null).
 * Partitions without a commit come back with offset -1.
 */
export async function fetchCommittedOffsets(channel: CoordinatorChannel, partitions: readonly TopicPartition[] | null): Promise<CommittedOffset[]> {
  if (partitions !== null && partitions.length === 0) return [];
  const topics = partitions === null ? null : [...byTopic(partitions)].map(([name, list]) => ({ name, partitionIndexes: list.map((p) => p.partition) }));
  const { body } = await channel.send(ApiKey.OffsetFetch, { groupId: channel.groupId, topics, requireStable: false });
  if (body.errorCode !== KafkaCode.NONE) throw kafkaError(body.errorCode, `OffsetFetch for group ${channel.groupId} failed`, { details: { groupId: channel.groupId } });
  const out: CommittedOffset[] = [];
  for (const t of body.topics) {
    for (const p of t.partitions) {
      if (p.errorCode !== KafkaCode.NONE) throw kafkaError(p.errorCode, `OffsetFetch ${t.name}-${p.partitionIndex} for group ${channel.groupId} failed`, { details: { groupId: channel.groupId, topic: t.name, partition: p.partitionIndex } });
      out.push({ topic: t.name, partition: p.partitionIndex, offset: p.committedOffset, metadata: p.metadata });
    }
  }
  return out;
}
