/**
 * Partition reassignment (KIP-455; Kafka's ReplicationControlManager.alterPartitionReassignments
 * with PartitionReassignmentReplicas and PartitionReassignmentRevert), as pure functions of the
 * controller's image. A reassignment goes in two records:
 *
 * 1. the target is written with the replicas being added and removed: the partition's
 *    replicas become target + (current − target), so the new replicas fetch and catch up;
 * 2. once the ISR holds every target replica (they join through the leader's ordinary
 *    AlterPartition), any later change of the partition completes it
 *    (partition-change.ts): replicas := target, the removed ones leave the ISR, a removed
 *    leader gives way to a target in the ISR, the leader epoch bumps.
 *
 * A reassignment that only reorders or drops replicas already in sync completes at once.
 * Cancelling (null replicas) reverts to the original replicas and drops the adding ones from
 * the ISR; when that would leave no in-sync replica it takes an unclean election, refused
 * unless the topic allows one. A new reassignment of a reassigning partition starts from its
 * current (merged) replicas, as Kafka's does.
 */
import { kafkaError, KafkaCode } from '../../errors.ts';
import { isReassigning, type MetadataImage, type PartitionRegistration, type TopicImage } from '../metadata/metadata-image.ts';
import type { PartitionRecord } from '../metadata/records.ts';
import { buildPartitionChange } from './partition-change.ts';
import { type ActiveBroker, uncleanElectionEnabled } from './replication-control.ts';

/** One partition's reassignment as ListPartitionReassignments shows it. */
export interface OngoingReassignment {
  readonly partition: number;
  /** Every replica now: the targets first, then those being removed. */
  readonly replicas: readonly number[];
  readonly addingReplicas: readonly number[];
  readonly removingReplicas: readonly number[];
}

/**
 * Checks a target replica list as Kafka checks a manual assignment: not empty, no broker
 * twice, every broker registered (fenced ones too: a new broker may still be catching up).
 * INVALID_REPLICA_ASSIGNMENT otherwise.
 */
export function checkTargetReplicas(image: MetadataImage, target: readonly number[]): void {
  if (target.length === 0) throw kafkaError(KafkaCode.INVALID_REPLICA_ASSIGNMENT, 'The target replica list is empty');
  const seen = new Set<number>();
  for (const id of target) {
    if (seen.has(id)) throw kafkaError(KafkaCode.INVALID_REPLICA_ASSIGNMENT, `The target replica list names broker ${id} more than once`);
    seen.add(id);
    if (!image.registration(id)) throw kafkaError(KafkaCode.INVALID_REPLICA_ASSIGNMENT, `The target replica list names broker ${id}, but no such broker is registered`);
  }
}

/** The partition `index` of `topic`, or UNKNOWN_TOPIC_OR_PARTITION. */
export function existingPartition(topic: TopicImage | undefined, name: string, index: number): PartitionRegistration {
  if (!topic) throw kafkaError(KafkaCode.UNKNOWN_TOPIC_OR_PARTITION, `Topic "${name}" does not exist`);
  const partition = topic.partitions[index];
  if (!partition) throw kafkaError(KafkaCode.UNKNOWN_TOPIC_OR_PARTITION, `Topic "${name}" has no partition ${index}`);
  return partition;
}

/**
 * The record that starts (or changes) a reassignment of `partition` to `target`, or null
 * when nothing changes. Coded errors: INVALID_REPLICA_ASSIGNMENT.
 */
export function startReassignment(image: MetadataImage, topic: TopicImage, partition: PartitionRegistration, target: readonly number[], isActive: ActiveBroker): PartitionRecord | null {
  checkTargetReplicas(image, target);
  const current = partition.replicas;
  const removing = current.filter((id) => !target.includes(id)).sort((a, b) => a - b);
  const adding = target.filter((id) => !current.includes(id)).sort((a, b) => a - b);
  const replicas = [...target, ...removing];
  return buildPartitionChange(topic.id, partition, {
    targetReplicas: replicas,
    targetAdding: adding,
    targetRemoving: removing,
    isAcceptableLeader: isActive,
    unclean: uncleanElectionEnabled(topic, image),
  });
}

/**
 * The record that cancels the reassignment of `partition`: back to its original replicas,
 * the ones being added out of the ISR. NO_REASSIGNMENT_IN_PROGRESS when there is none;
 * INVALID_REPLICA_ASSIGNMENT when reverting would need an unclean election the topic does not allow.
 */
export function cancelReassignment(topic: TopicImage, partition: PartitionRegistration, isActive: ActiveBroker, image?: MetadataImage): PartitionRecord | null {
  if (!isReassigning(partition)) throw kafkaError(KafkaCode.NO_REASSIGNMENT_IN_PROGRESS, `No reassignment of ${topic.name}-${partition.partition} is in progress`);
  const adding = partition.addingReplicas ?? [];
  const original = partition.replicas.filter((id) => !adding.includes(id));
  let isr = partition.isr.filter((id) => !adding.includes(id));
  const unclean = uncleanElectionEnabled(topic, image);
  if (isr.length === 0) {
    // Only replicas being added are in sync: going back means trusting an original replica that is not.
    if (!unclean) throw kafkaError(KafkaCode.INVALID_REPLICA_ASSIGNMENT, `Cancelling the reassignment of ${topic.name}-${partition.partition} would need an unclean leader election (no original replica is in sync)`);
    isr = [original[0]!];
  }
  return buildPartitionChange(topic.id, partition, {
    targetReplicas: original,
    targetAdding: [],
    targetRemoving: [],
    targetIsr: isr,
    isAcceptableLeader: isActive,
    unclean,
  });
}

/** The reassignments under way, per topic name (topics without one left out); `wanted` narrows to some partitions. */
export function ongoingReassignments(image: MetadataImage, wanted: ReadonlyArray<{ name: string; partitionIndexes: readonly number[] }> | null): Array<{ name: string; partitions: OngoingReassignment[] }> {
  const out: Array<{ name: string; partitions: OngoingReassignment[] }> = [];
  const describe = (p: PartitionRegistration): OngoingReassignment => ({ partition: p.partition, replicas: [...p.replicas], addingReplicas: [...(p.addingReplicas ?? [])], removingReplicas: [...(p.removingReplicas ?? [])] });
  if (wanted === null) {
    for (const topic of image.topics()) {
      const partitions = topic.partitions.filter((p) => p && isReassigning(p)).map(describe);
      if (partitions.length > 0) out.push({ name: topic.name, partitions });
    }
    return out;
  }
  for (const w of wanted) {
    const topic = image.topic(w.name);
    if (!topic) continue;
    const partitions = w.partitionIndexes.map((i) => topic.partitions[i]).filter((p): p is PartitionRegistration => p !== undefined && isReassigning(p)).map(describe);
    if (partitions.length > 0) out.push({ name: topic.name, partitions });
  }
  return out;
}
