/**
 * The partition records the controller writes when brokers come and go and leaders
 * propose ISR changes (the record-making half of Kafka's ReplicationControlManager),
 * as pure functions of the controller's image and of which brokers may lead.
 */
import { KafkaCode } from '../../errors.ts';
import { isReassigning, type MetadataImage, type PartitionRegistration, type TopicImage } from '../metadata/metadata-image.ts';
import type { PartitionRecord } from '../metadata/records.ts';
import type { AlterPartitionItem } from './broker-to-controller.ts';
import { buildPartitionChange } from './partition-change.ts';

/** Whether broker `id` may lead, join an ISR and get new replicas (registered, unfenced, not shutting down). */
export type ActiveBroker = (id: number) => boolean;

/** A new partition: every replica in sync, the preferred (first) replica leads, epochs 0. */
export function newPartitionRecord(topicId: string, partitionId: number, replicas: readonly number[]): PartitionRecord {
  return { type: 'partition', topicId, partitionId, replicas: [...replicas], isr: [...replicas], leader: replicas[0] ?? -1, leaderEpoch: 0, partitionEpoch: 0 };
}

/**
 * True when the topic allows a leader from outside the ISR: its unclean.leader.election.enable,
 * else the cluster's dynamic default of it in `image` (a broker config written by
 * AlterConfigs), else false.
 */
export function uncleanElectionEnabled(topic: TopicImage, image?: MetadataImage): boolean {
  const value = topic.configs.get('unclean.leader.election.enable') ?? image?.brokerConfigs('').get('unclean.leader.election.enable');
  return value === 'true';
}

/**
 * The changes that take broker `nodeId` (being fenced, shut down or replaced by a new
 * process) out of every ISR it is in — never emptying one — and elect new leaders where
 * it led, from the brokers `isActive` accepts other than itself.
 */
export function removeBrokerFromPartitions(image: MetadataImage, nodeId: number, isActive: ActiveBroker): PartitionRecord[] {
  const records: PartitionRecord[] = [];
  const acceptable = (id: number) => id !== nodeId && isActive(id);
  for (const topic of image.topics()) {
    for (const partition of topic.partitions) {
      if (!partition || (!partition.isr.includes(nodeId) && partition.leader !== nodeId)) continue;
      const change = buildPartitionChange(topic.id, partition, {
        targetIsr: partition.isr.filter((id) => id !== nodeId),
        isAcceptableLeader: acceptable,
        unclean: uncleanElectionEnabled(topic, image),
      });
      if (change) records.push(change);
    }
  }
  return records;
}

/**
 * The elections that broker `nodeId` being unfenced allows: every leaderless partition
 * with a replica on it elects again, `nodeId` now acceptable (it leads where its ISR
 * membership was kept, or — when the topic allows it — uncleanly).
 */
export function electionsOnUnfence(image: MetadataImage, nodeId: number, isActive: ActiveBroker): PartitionRecord[] {
  const records: PartitionRecord[] = [];
  const acceptable = (id: number) => id === nodeId || isActive(id);
  for (const topic of image.topics()) {
    for (const partition of topic.partitions) {
      if (!partition || partition.leader !== -1 || !partition.replicas.includes(nodeId)) continue;
      const change = buildPartitionChange(topic.id, partition, { isAcceptableLeader: acceptable, unclean: uncleanElectionEnabled(topic, image) });
      if (change) records.push(change);
    }
  }
  return records;
}

/**
 * The error code of one AlterPartition item from broker `brokerId` against the partition
 * as committed (0: acceptable), in Kafka's order. Epochs above the controller's mean it is
 * behind a newer controller: NOT_CONTROLLER sends the leader looking for it.
 */
export function checkAlterPartition(brokerId: number, item: AlterPartitionItem, current: PartitionRegistration, isActive: ActiveBroker): number {
  if (item.leaderEpoch > current.leaderEpoch || item.partitionEpoch > current.partitionEpoch) return KafkaCode.NOT_CONTROLLER;
  if (item.leaderEpoch < current.leaderEpoch) return KafkaCode.FENCED_LEADER_EPOCH;
  if (current.leader !== brokerId) return KafkaCode.NOT_LEADER_OR_FOLLOWER;
  if (item.partitionEpoch < current.partitionEpoch) return KafkaCode.INVALID_UPDATE_VERSION;
  // The leader stays in the ISR it proposes; a member named twice is a malformed request.
  if (!item.newIsr.includes(current.leader) || new Set(item.newIsr).size !== item.newIsr.length) return KafkaCode.INVALID_REQUEST;
  // Only a replica on an unfenced broker that is not shutting down may join.
  for (const id of item.newIsr) if (!current.replicas.includes(id) || !isActive(id)) return KafkaCode.INELIGIBLE_REPLICA;
  return 0;
}

/**
 * The record that commits an accepted ISR change: leader and leader epoch stay, the partition
 * epoch bumps. During a reassignment the change may complete it (partition-change.ts): then the
 * replicas shrink to the targets and a removed leader gives way to one `isActive` accepts.
 */
export function isrChangeRecord(topicId: string, current: PartitionRegistration, newIsr: readonly number[], isActive: ActiveBroker = () => true): PartitionRecord {
  if (isReassigning(current)) {
    const change = buildPartitionChange(topicId, current, { targetIsr: newIsr, isAcceptableLeader: isActive, unclean: false });
    if (change) return change;
  }
  return {
    type: 'partition',
    topicId,
    partitionId: current.partition,
    replicas: [...current.replicas],
    isr: [...newIsr],
    leader: current.leader,
    leaderEpoch: current.leaderEpoch,
    partitionEpoch: current.partitionEpoch + 1,
  };
}
