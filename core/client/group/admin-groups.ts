/**
 * The admin's consumer-group operations (Admin delegates here): list, describe (with the
 * members' subscriptions and assignments decoded from the consumer protocol), committed
 * offsets with per-partition lag, offset resets (only while the group is empty, as Kafka
 * requires) and deletion.
 */
import type { Logger } from '../../contracts/logger.ts';
import { KafkaCode, TributaryError, kafkaError } from '../../errors.ts';
import { ApiKey } from '../../protocol/api-keys.ts';
import type { ApiResponse } from '../../protocol/api-messages.ts';
import { decodeConsumerAssignment, decodeConsumerSubscription } from '../../protocol/consumer-protocol.ts';
import type { Cluster } from '../cluster.ts';
import type { TopicPartition } from '../consumer.ts';
import { EARLIEST_TIMESTAMP, LATEST_TIMESTAMP, listOffsets } from '../list-offsets.ts';
import { type RetryPolicy, withRetry } from '../retry.ts';
import { CoordinatorChannel, coordinatorMoved, sendGroupApi } from './coordinator-channel.ts';
import { NO_MEMBER, commitOffsets, fetchCommittedOffsets } from './offsets.ts';

/** What the group operations need from the admin. */
export interface GroupAdminContext {
  readonly cluster: Cluster;
  readonly retry: RetryPolicy;
  readonly logger: Logger;
}

/** A group as listGroups reports it. */
export interface GroupOverview {
  readonly groupId: string;
  /** 'consumer' for consumer groups ('' for groups that only store offsets). */
  readonly protocolType: string;
  /** Empty, PreparingRebalance, CompletingRebalance, Stable, Dead ('' when the broker does not say). */
  readonly state: string;
}

/** A member as describeGroups reports it. */
export interface GroupMemberDescription {
  readonly memberId: string;
  readonly groupInstanceId: string | null;
  readonly clientId: string;
  readonly clientHost: string;
  /** The raw subscription and assignment bytes (as kafkajs gives them). */
  readonly memberMetadata: Uint8Array;
  readonly memberAssignment: Uint8Array;
  /** Decoded subscribed topics (consumer groups; empty when not decodable). */
  readonly topics: string[];
  /** Decoded assigned partitions (consumer groups; empty when not decodable). */
  readonly assignment: TopicPartition[];
}

/** A group as describeGroups reports it. */
export interface GroupDescription {
  readonly groupId: string;
  readonly state: string;
  readonly protocolType: string;
  /** The selected assignor (Stable groups). */
  readonly protocol: string;
  readonly errorCode: number;
  readonly members: GroupMemberDescription[];
}

/** One partition of fetchOffsets: committed offset (-1: none), high watermark, lag (null without a commit). */
export interface GroupPartitionOffset {
  readonly partition: number;
  readonly offset: number;
  readonly metadata: string | null;
  readonly high: number;
  readonly lag: number | null;
}

/** Where resetOffsets moves a group: earliest, latest, or the first offset at or after a timestamp. */
export interface ResetOffsetsOptions {
  readonly groupId: string;
  readonly topic: string;
  /** kafkajs's flag: true → earliest, false/absent → latest (unless `timestamp` or `to` says otherwise). */
  readonly earliest?: boolean;
  readonly to?: 'earliest' | 'latest';
  readonly timestamp?: number;
  /** Only these partitions (default: every partition of the topic). */
  readonly partitions?: readonly number[];
}

function retrying<T>(ctx: GroupAdminContext, channel: CoordinatorChannel | null, attempt: () => Promise<T>): Promise<T> {
  return withRetry(ctx.retry, attempt, (error) => {
    if (channel && coordinatorMoved(error)) channel.invalidate();
  });
}

/** Lists the groups of every broker (each broker knows the groups it coordinates). */
export async function listGroups(ctx: GroupAdminContext, options: { states?: readonly string[] } = {}): Promise<{ groups: GroupOverview[] }> {
  await retrying(ctx, null, () => ctx.cluster.connect());
  const brokers = ctx.cluster.brokers();
  const answers = await Promise.all(brokers.map((b) => retrying(ctx, null, async () => {
    const { body } = await sendGroupApi(await ctx.cluster.connection(b.nodeId), ApiKey.ListGroups, { statesFilter: [...(options.states ?? [])], typesFilter: [] });
    if (body.errorCode !== KafkaCode.NONE) throw kafkaError(body.errorCode, `ListGroups on broker ${b.nodeId} failed`, { details: { nodeId: b.nodeId } });
    return body.groups;
  })));
  const seen = new Map<string, GroupOverview>();
  for (const g of answers.flat()) seen.set(g.groupId, { groupId: g.groupId, protocolType: g.protocolType, state: g.groupState });
  return { groups: [...seen.values()].sort((a, b) => (a.groupId < b.groupId ? -1 : a.groupId > b.groupId ? 1 : 0)) };
}

/** One member of a DescribeGroups answer. */
type DescribedMember = ApiResponse<typeof ApiKey.DescribeGroups>['groups'][number]['members'][number];

function decodeMember(m: DescribedMember, consumer: boolean): GroupMemberDescription {
  let topics: string[] = [];
  let assignment: TopicPartition[] = [];
  if (consumer) {
    try {
      if (m.memberMetadata.byteLength > 0) topics = decodeConsumerSubscription(m.memberMetadata).topics;
      if (m.memberAssignment.byteLength > 0) {
        assignment = decodeConsumerAssignment(m.memberAssignment).assignedPartitions.flatMap((a) => a.partitions.map((partition) => ({ topic: a.topic, partition })));
      }
    } catch {
      // Another client's private format: the raw bytes are still there.
    }
  }
  return {
    memberId: m.memberId,
    groupInstanceId: m.groupInstanceId,
    clientId: m.clientId,
    clientHost: m.clientHost,
    memberMetadata: m.memberMetadata,
    memberAssignment: m.memberAssignment,
    topics,
    assignment,
  };
}

/** Describes groups: state, protocol and members with their decoded subscriptions and assignments. */
export async function describeGroups(ctx: GroupAdminContext, groupIds: readonly string[]): Promise<{ groups: GroupDescription[] }> {
  if (!Array.isArray(groupIds) || groupIds.length === 0 || groupIds.some((g) => typeof g !== 'string')) {
    throw new TributaryError('ERR_INVALID_ARGUMENT', 'describeGroups needs an array of group ids');
  }
  const groups = await Promise.all(groupIds.map((groupId) => {
    const channel = new CoordinatorChannel(ctx.cluster, groupId, ctx.logger);
    return retrying(ctx, channel, async () => {
      const { body } = await channel.send(ApiKey.DescribeGroups, { groups: [groupId], includeAuthorizedOperations: false });
      const g = body.groups[0];
      if (g.errorCode !== KafkaCode.NONE) throw kafkaError(g.errorCode, `DescribeGroups ${groupId} failed`, { details: { groupId } });
      const consumer = g.protocolType === 'consumer';
      return {
        groupId: g.groupId,
        state: g.groupState,
        protocolType: g.protocolType,
        protocol: g.protocolData,
        errorCode: g.errorCode,
        members: g.members.map((m) => decodeMember(m, consumer)),
      } satisfies GroupDescription;
    });
  }));
  return { groups };
}

async function partitionsOf(ctx: GroupAdminContext, topic: string): Promise<number[]> {
  const [meta] = await retrying(ctx, null, () => ctx.cluster.topicMetadata([topic]));
  return meta!.partitions.filter((p) => p !== undefined).map((p) => p.partition);
}

/**
 * Committed offsets of a group per topic with the high watermark and the lag
 * (high − committed). Without `topics`: every topic the group committed to.
 */
export async function fetchOffsets(ctx: GroupAdminContext, options: { groupId: string; topics?: readonly string[] }): Promise<Array<{ topic: string; partitions: GroupPartitionOffset[] }>> {
  if (!options || typeof options.groupId !== 'string' || options.groupId.length === 0) throw new TributaryError('ERR_INVALID_ARGUMENT', 'fetchOffsets needs a groupId');
  const channel = new CoordinatorChannel(ctx.cluster, options.groupId, ctx.logger);
  let wanted: TopicPartition[] | null = null;
  if (options.topics) {
    wanted = [];
    for (const topic of options.topics) for (const partition of await partitionsOf(ctx, topic)) wanted.push({ topic, partition });
  }
  const committed = await retrying(ctx, channel, () => fetchCommittedOffsets(channel, wanted));
  const topics = [...new Set(committed.map((c) => c.topic))];
  const highs = await listOffsets(ctx.cluster, committed.map((c) => ({ topic: c.topic, partition: c.partition, timestamp: LATEST_TIMESTAMP })), ctx.retry);
  const high = new Map(highs.map((h) => [`${h.topic}\u0000${h.partition}`, h.offset]));
  return topics.map((topic) => ({
    topic,
    partitions: committed
      .filter((c) => c.topic === topic)
      .sort((a, b) => a.partition - b.partition)
      .map((c) => {
        const h = high.get(`${c.topic}\u0000${c.partition}`) ?? -1;
        return { partition: c.partition, offset: c.offset, metadata: c.metadata, high: h, lag: c.offset >= 0 && h >= 0 ? Math.max(0, h - c.offset) : null };
      }),
  }));
}

/** Throws NON_EMPTY_GROUP unless the group has no members (Kafka resets only inactive groups). */
async function requireEmpty(ctx: GroupAdminContext, groupId: string): Promise<void> {
  const { groups } = await describeGroups(ctx, [groupId]);
  const g = groups[0]!;
  if (g.state !== 'Empty' && g.state !== 'Dead') {
    throw kafkaError(KafkaCode.NON_EMPTY_GROUP, `Offsets of group ${groupId} can only be changed while it is empty (it is ${g.state})`, { details: { groupId, state: g.state } });
  }
}

/** Commits explicit offsets for a group (only while it is empty). */
export async function setOffsets(ctx: GroupAdminContext, options: { groupId: string; topic: string; partitions: ReadonlyArray<{ partition: number; offset: number | string }> }): Promise<void> {
  if (!options || typeof options.groupId !== 'string' || typeof options.topic !== 'string' || !Array.isArray(options.partitions)) {
    throw new TributaryError('ERR_INVALID_ARGUMENT', 'setOffsets needs { groupId, topic, partitions: [{ partition, offset }] }');
  }
  await requireEmpty(ctx, options.groupId);
  const channel = new CoordinatorChannel(ctx.cluster, options.groupId, ctx.logger);
  const offsets = options.partitions.map((p) => ({ topic: options.topic, partition: p.partition, offset: Number(p.offset) }));
  await retrying(ctx, channel, () => commitOffsets(channel, NO_MEMBER, offsets));
}

/** Moves a group's offsets of a topic to earliest, latest or a timestamp (only while the group is empty). */
export async function resetOffsets(ctx: GroupAdminContext, options: ResetOffsetsOptions): Promise<Array<{ partition: number; offset: number }>> {
  if (!options || typeof options.groupId !== 'string' || typeof options.topic !== 'string') throw new TributaryError('ERR_INVALID_ARGUMENT', 'resetOffsets needs { groupId, topic }');
  if (options.timestamp !== undefined && (!Number.isSafeInteger(options.timestamp) || options.timestamp < 0)) {
    throw new TributaryError('ERR_INVALID_ARGUMENT', `Invalid timestamp ${String(options.timestamp)}`);
  }
  await requireEmpty(ctx, options.groupId);
  const all = await partitionsOf(ctx, options.topic);
  const partitions = options.partitions ? all.filter((p) => options.partitions!.includes(p)) : all;
  const where = options.timestamp ?? ((options.to ?? (options.earliest ? 'earliest' : 'latest')) === 'earliest' ? EARLIEST_TIMESTAMP : LATEST_TIMESTAMP);
  const found = await listOffsets(ctx.cluster, partitions.map((partition) => ({ topic: options.topic, partition, timestamp: where })), ctx.retry);
  // No record that recent: the end of the partition (as Kafka's --to-datetime does).
  const missing = found.filter((f) => f.offset < 0);
  const latest = missing.length === 0 ? [] : await listOffsets(ctx.cluster, missing.map((m) => ({ topic: options.topic, partition: m.partition, timestamp: LATEST_TIMESTAMP })), ctx.retry);
  const offsets = partitions.map((partition) => {
    const f = found.find((x) => x.partition === partition)!;
    return { partition, offset: f.offset >= 0 ? f.offset : latest.find((x) => x.partition === partition)!.offset };
  });
  const channel = new CoordinatorChannel(ctx.cluster, options.groupId, ctx.logger);
  await retrying(ctx, channel, () => commitOffsets(channel, NO_MEMBER, offsets.map((o) => ({ topic: options.topic, ...o }))));
  return offsets;
}

/** Deletes empty groups and their offsets; rejects with the first failure (GROUP_ID_NOT_FOUND, NON_EMPTY_GROUP, …). */
export async function deleteGroups(ctx: GroupAdminContext, groupIds: readonly string[]): Promise<Array<{ groupId: string; errorCode: number }>> {
  if (!Array.isArray(groupIds) || groupIds.length === 0) throw new TributaryError('ERR_INVALID_ARGUMENT', 'deleteGroups needs an array of group ids');
  const results = await Promise.all(groupIds.map((groupId) => {
    const channel = new CoordinatorChannel(ctx.cluster, groupId, ctx.logger);
    return retrying(ctx, channel, async () => {
      const { body } = await channel.send(ApiKey.DeleteGroups, { groupsNames: [groupId] });
      const r = body.results.find((x) => x.groupId === groupId) ?? { groupId, errorCode: KafkaCode.NONE };
      if (coordinatorMoved(r.errorCode)) throw kafkaError(r.errorCode, `DeleteGroups ${groupId}: coordinator moved`);
      return { groupId, errorCode: r.errorCode };
    });
  }));
  const failed = results.find((r) => r.errorCode !== KafkaCode.NONE);
  if (failed) throw kafkaError(failed.errorCode, `Deleting group ${failed.groupId} failed`, { details: { results } });
  return results;
}

/**
 * Deletes a group's committed offsets of some partitions (OffsetDelete, KIP-496; kafkajs has
 * no such call, the Java AdminClient names it deleteConsumerGroupOffsets). A group that
 * still consumes a topic keeps its offsets: GROUP_SUBSCRIBED_TO_TOPIC.
 */
export async function deleteOffsets(
  ctx: GroupAdminContext,
  options: { groupId: string; topic: string; partitions?: readonly number[] },
): Promise<Array<{ partition: number; errorCode: number }>> {
  if (typeof options?.groupId !== 'string' || options.groupId === '') throw new TributaryError('ERR_INVALID_ARGUMENT', 'deleteOffsets needs a groupId');
  if (typeof options.topic !== 'string' || options.topic === '') throw new TributaryError('ERR_INVALID_ARGUMENT', 'deleteOffsets needs a topic');
  let partitions = options.partitions ? [...options.partitions] : undefined;
  if (!partitions) {
    const [meta] = await withRetry(ctx.retry, () => ctx.cluster.topicMetadata([options.topic]));
    partitions = meta!.partitions.filter((p) => p !== undefined).map((p) => p.partition);
  }
  const channel = new CoordinatorChannel(ctx.cluster, options.groupId, ctx.logger);
  const results = await retrying(ctx, channel, async () => {
    const { body } = await channel.send(ApiKey.OffsetDelete, { groupId: options.groupId, topics: [{ name: options.topic, partitions: partitions!.map((partitionIndex) => ({ partitionIndex })) }] });
    if (body.errorCode !== KafkaCode.NONE) {
      throw kafkaError(body.errorCode, `Deleting offsets of group ${options.groupId} failed`, { details: { groupId: options.groupId } });
    }
    return body.topics.flatMap((t) => t.partitions.map((p) => ({ partition: p.partitionIndex, errorCode: p.errorCode })));
  });
  const failed = results.find((r) => r.errorCode !== KafkaCode.NONE);
  if (failed) throw kafkaError(failed.errorCode, `Deleting the offset of ${options.topic}-${failed.partition} in group ${options.groupId} failed`, { details: { results } });
  return results;
}
