/**
 * The checks and plans a topic operation goes through before any record is written,
 * shared by the controller of a cluster of one (LocalController) and the cluster's
 * (QuorumController): names and collisions, configs and config operations, replica
 * assignments, replication factor against the live brokers, partition limits. Pure
 * functions of what they are given; each controller decides where placement comes from
 * and how the result is committed.
 */
import { kafkaError, KafkaCode } from '../../errors.ts';
import { checkMaxMessageBytes } from '../broker-configs.ts';
import type { TopicImage } from '../metadata/metadata-image.ts';
import type { MetadataRecord } from '../metadata/records.ts';
import { ConfigType, TOPIC_CONFIGS, validateTopicConfigs } from '../topic-config.ts';
import { collisionKey, validateNewTopicName } from '../topic-name.ts';
import type { ConfigOp, CreateTopicSpec } from './controller.ts';

/**
 * Most partitions one request may create (Kafka's MAX_PARTITIONS_PER_BATCH): beyond it a
 * creation is POLICY_VIOLATION instead of a broker that allocates without bound.
 */
export const MAX_NEW_PARTITIONS_PER_REQUEST = 10_000;

/** Default of the partition limit (a controller's `maxPartitions` option). */
export const DEFAULT_MAX_PARTITIONS = 10_000;

/** POLICY_VIOLATION for a request that would create `count` partitions. */
export function tooManyPartitions(count: number): Error {
  return kafkaError(KafkaCode.POLICY_VIOLATION, `Excessively large number of partitions per request: ${count} (at most ${MAX_NEW_PARTITIONS_PER_REQUEST})`);
}

/**
 * POLICY_VIOLATION when `count` more partitions, beside `existing` ones and `reserved` ones
 * of creations under way, would pass `max`.
 */
export function checkPartitionLimit(existing: number, reserved: number, count: number, max: number): void {
  const total = existing + reserved + count;
  if (total > max) {
    throw kafkaError(
      KafkaCode.POLICY_VIOLATION,
      `Creating ${count} partition(s) would bring this broker to ${total} partitions, above its limit of ${max} (max.partitions; --max-partitions). Delete topics or raise the limit.`,
    );
  }
}

/**
 * Checks that `name` may be created beside `existing` topic names (those in the image and
 * those being created): INVALID_TOPIC_EXCEPTION for a bad name or one that collides in
 * metric names, TOPIC_ALREADY_EXISTS for a taken one.
 */
export function checkNewTopicName(name: string, taken: (name: string) => boolean, existing: Iterable<string>, spec: { readonly internal?: boolean } = {}): void {
  validateNewTopicName(name, spec);
  if (taken(name)) throw kafkaError(KafkaCode.TOPIC_ALREADY_EXISTS, `Topic "${name}" already exists`);
  const rival = collidingTopic(name, existing);
  if (rival !== undefined) throw kafkaError(KafkaCode.INVALID_TOPIC_EXCEPTION, `Topic "${name}" collides with existing topic "${rival}" ('.' and '_' are the same in metric names)`);
}

/** The name among `names` that `name` collides with ('.' and '_' alike), if any. */
export function collidingTopic(name: string, names: Iterable<string>): string | undefined {
  if (!name.includes('.') && !name.includes('_')) return undefined;
  const key = collisionKey(name);
  for (const other of names) {
    if (other !== name && collisionKey(other) === key) return other;
  }
  return undefined;
}

/** Each config checked alone, then against the broker's limits (socket.request.max.bytes). */
export function checkTopicConfigs(configs: Iterable<readonly [string, string | null | undefined]>, socketRequestMaxBytes: number | undefined): Map<string, string> {
  const checked = validateTopicConfigs(configs);
  if (socketRequestMaxBytes !== undefined) checkMaxMessageBytes(checked.get('max.message.bytes'), socketRequestMaxBytes);
  return checked;
}

/**
 * Checks one explicit replica assignment: `replicationFactor` distinct brokers, each live
 * (INVALID_REPLICA_ASSIGNMENT otherwise). Returns a copy.
 */
export function checkAssignment(ids: readonly number[], replicationFactor: number, liveIds: readonly number[]): number[] {
  const live = new Set(liveIds);
  if (ids.length === 0 || ids.length !== replicationFactor) {
    throw kafkaError(KafkaCode.INVALID_REPLICA_ASSIGNMENT, `Every partition needs ${replicationFactor} replicas; got ${ids.length}`);
  }
  if (new Set(ids).size !== ids.length) throw kafkaError(KafkaCode.INVALID_REPLICA_ASSIGNMENT, `Duplicate broker ids in assignment ${ids.join(',')}`);
  for (const id of ids) if (!live.has(id)) throw kafkaError(KafkaCode.INVALID_REPLICA_ASSIGNMENT, `Broker ${id} in the assignment is not alive`);
  return [...ids];
}

/** What {@link planTopicReplicas} needs besides the spec. */
export interface ReplicaPlanContext {
  /** num.partitions (for numPartitions -1). */
  readonly numPartitions: number;
  /** default.replication.factor (for replicationFactor -1). */
  readonly defaultReplicationFactor: number;
  /** The brokers replicas may go to (live, unfenced). */
  readonly liveIds: readonly number[];
  /** Places `count` partitions of `replicationFactor` replicas each (called once the counts are checked). */
  place(count: number, replicationFactor: number): number[][];
}

/** The replication factor and the replicas of every partition of a new topic. */
export interface ReplicaPlan {
  readonly replicationFactor: number;
  readonly replicas: number[][];
}

/**
 * The replicas of a new topic: the explicit assignments checked, or the counts (defaults
 * applied) checked and placed. INVALID_REQUEST when both are given; INVALID_PARTITIONS,
 * INVALID_REPLICATION_FACTOR (with the live broker count when too few are live),
 * INVALID_REPLICA_ASSIGNMENT, POLICY_VIOLATION for too many partitions.
 */
export function planTopicReplicas(spec: CreateTopicSpec, context: ReplicaPlanContext): ReplicaPlan {
  const assignments = spec.assignments ?? [];
  if (assignments.length > 0) {
    if (spec.numPartitions !== -1 || spec.replicationFactor !== -1) {
      throw kafkaError(KafkaCode.INVALID_REQUEST, 'Both numPartitions or replicationFactor and replicasAssignments were set; use either one');
    }
    const sorted = [...assignments].sort((a, b) => a.partitionIndex - b.partitionIndex);
    sorted.forEach((a, i) => {
      if (a.partitionIndex !== i) throw kafkaError(KafkaCode.INVALID_REPLICA_ASSIGNMENT, 'Partition assignments must cover partitions 0..n-1 exactly once');
    });
    const replicationFactor = sorted[0]!.brokerIds.length;
    return { replicationFactor, replicas: sorted.map((a) => checkAssignment(a.brokerIds, replicationFactor, context.liveIds)) };
  }
  const numPartitions = spec.numPartitions === -1 ? context.numPartitions : spec.numPartitions;
  const replicationFactor = spec.replicationFactor === -1 ? context.defaultReplicationFactor : spec.replicationFactor;
  if (!Number.isInteger(numPartitions) || numPartitions < 1) throw kafkaError(KafkaCode.INVALID_PARTITIONS, `Number of partitions ${numPartitions} is below 1`);
  if (numPartitions > MAX_NEW_PARTITIONS_PER_REQUEST) throw tooManyPartitions(numPartitions);
  checkReplicationFactor(replicationFactor, context.liveIds.length);
  return { replicationFactor, replicas: context.place(numPartitions, replicationFactor) };
}

/** INVALID_REPLICATION_FACTOR when `replicationFactor` is below 1 or above the `live` broker count. */
export function checkReplicationFactor(replicationFactor: number, live: number): void {
  if (!Number.isInteger(replicationFactor) || replicationFactor < 1) {
    throw kafkaError(KafkaCode.INVALID_REPLICATION_FACTOR, `Replication factor ${replicationFactor} is below 1`);
  }
  if (replicationFactor > live) {
    throw kafkaError(KafkaCode.INVALID_REPLICATION_FACTOR, `Replication factor ${replicationFactor} is larger than the number of live brokers (${live})`);
  }
}

/**
 * The replicas of the partitions a CreatePartitions adds to `topic` to reach `count`:
 * explicit `assignments` checked, or `place(first, added)` for the new ones.
 * (The caller has found the topic.) INVALID_PARTITIONS when `count` does not
 * grow it, POLICY_VIOLATION for too many, INVALID_REPLICA_ASSIGNMENT for bad assignments.
 */
export function planNewPartitions(
  topic: TopicImage,
  count: number,
  assignments: readonly (readonly number[])[] | null,
  liveIds: readonly number[],
  place: (first: number, added: number) => number[][],
): number[][] {
  const current = topic.partitions.length;
  if (count <= current) throw kafkaError(KafkaCode.INVALID_PARTITIONS, `Topic "${topic.name}" has ${current} partitions; the new count ${count} must be larger`);
  const added = count - current;
  if (added > MAX_NEW_PARTITIONS_PER_REQUEST) throw tooManyPartitions(added);
  if (assignments) {
    if (assignments.length !== added) {
      throw kafkaError(KafkaCode.INVALID_REPLICA_ASSIGNMENT, `${assignments.length} assignments given for ${added} new partitions`);
    }
    return assignments.map((ids) => checkAssignment(ids, topic.replicationFactor, liveIds));
  }
  return place(current, added);
}

/**
 * Checks IncrementalAlterConfigs operations on their own: INVALID_REQUEST for a repeated
 * name or an unknown operation, INVALID_CONFIG for an unknown name, append/subtract on a
 * non-list config, or a null value to set.
 */
export function checkConfigOps(ops: readonly ConfigOp[]): void {
  const seen = new Set<string>();
  for (const o of ops) {
    if (seen.has(o.name)) throw kafkaError(KafkaCode.INVALID_REQUEST, `Config ${o.name} appears more than once`);
    seen.add(o.name);
    const spec = TOPIC_CONFIGS.get(o.name);
    if (!spec) throw kafkaError(KafkaCode.INVALID_CONFIG, `Unknown topic config name: ${o.name}`);
    if (o.op < 0 || o.op > 3) throw kafkaError(KafkaCode.INVALID_REQUEST, `Unknown config operation ${o.op} for ${o.name}`);
    if ((o.op === 2 || o.op === 3) && spec.type !== ConfigType.list) {
      throw kafkaError(KafkaCode.INVALID_CONFIG, `Config ${o.name} is not a list: ${o.op === 2 ? 'append' : 'subtract'} is not allowed`);
    }
    if (o.op !== 1 && o.value === null) throw kafkaError(KafkaCode.INVALID_CONFIG, `Null value for topic config ${o.name}`);
  }
}

/** The overrides after `ops` (already checked by {@link checkConfigOps}), validated (INVALID_CONFIG). */
export function applyConfigOps(overrides: ReadonlyMap<string, string>, ops: readonly ConfigOp[]): Map<string, string> {
  const out = new Map(overrides);
  for (const o of ops) {
    const current = out.get(o.name) ?? TOPIC_CONFIGS.get(o.name)!.defaultValue;
    const list = current.split(',').map((x) => x.trim()).filter((x) => x !== '');
    const items = (o.value ?? '').split(',').map((x) => x.trim()).filter((x) => x !== '');
    if (o.op === 0) out.set(o.name, o.value!);
    else if (o.op === 1) out.delete(o.name);
    else if (o.op === 2) out.set(o.name, [...list, ...items.filter((x) => !list.includes(x))].join(','));
    else out.set(o.name, list.filter((x) => !items.includes(x)).join(','));
  }
  return validateTopicConfigs(out);
}

/**
 * The config records that take topic `name` from overrides `before` to `after`: removals
 * of the names `after` lacks, then `after`'s values (all of them, or with `onlyChanged`
 * those that differ).
 */
export function configChangeRecords(name: string, before: ReadonlyMap<string, string>, after: ReadonlyMap<string, string>, onlyChanged: boolean): MetadataRecord[] {
  const records: MetadataRecord[] = [];
  for (const key of before.keys()) if (!after.has(key)) records.push({ type: 'config', resourceType: 'topic', resourceName: name, name: key, value: null });
  for (const [key, value] of after) if (!onlyChanged || before.get(key) !== value) records.push({ type: 'config', resourceType: 'topic', resourceName: name, name: key, value });
  return records;
}
