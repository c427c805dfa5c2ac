/**
 * Leader elections on demand (ElectLeaders, API 43) and the automatic preferred-leader
 * rebalance, as pure functions of the controller's image (Kafka's
 * ReplicationControlManager.electLeaders / electLeader and the rebalance the controller runs
 * every leader.imbalance.check.interval.seconds).
 *
 * Rules (Kafka's):
 * - PREFERRED (0): the first replica leads when it is in the ISR and may lead; a partition it
 *   already leads answers ELECTION_NOT_NEEDED, one it cannot lead PREFERRED_LEADER_NOT_AVAILABLE;
 * - UNCLEAN (1): a partition with a leader answers ELECTION_NOT_NEEDED; one without elects from
 *   the ISR if it can, else any live replica (acknowledged records may be lost: the operator
 *   asked), else ELIGIBLE_LEADERS_NOT_AVAILABLE;
 * - asked for every partition (null), the answer leaves out those that needed no election;
 * - the rebalance (ZooKeeper-era rule, which KRaft kept as a config): a broker whose share of
 *   the partitions it prefers to lead but does not exceeds leader.imbalance.per.broker.percentage
 *   gets them back by preferred elections.
 */
import { kafkaError, KafkaCode } from '../../errors.ts';
import type { MetadataImage, PartitionRegistration, TopicImage } from '../metadata/metadata-image.ts';
import type { PartitionRecord } from '../metadata/records.ts';
import { buildPartitionChange } from './partition-change.ts';
import { type ActiveBroker, uncleanElectionEnabled } from './replication-control.ts';

/** Kafka's ElectionType. */
export const ElectionType = Object.freeze({ PREFERRED: 0, UNCLEAN: 1 });

/** The election's record, or the coded error of one partition. */
export function electionRecord(topic: TopicImage, partition: PartitionRegistration, type: number, isActive: ActiveBroker, image?: MetadataImage): PartitionRecord {
  if (type === ElectionType.PREFERRED) {
    if (partition.leader !== -1 && partition.leader === partition.replicas[0]) throw kafkaError(KafkaCode.ELECTION_NOT_NEEDED, `Broker ${partition.leader}, the preferred replica, already leads ${topic.name}-${partition.partition}`);
    const record = buildPartitionChange(topic.id, partition, { isAcceptableLeader: isActive, unclean: uncleanElectionEnabled(topic, image), preferred: true });
    if (!record) throw kafkaError(KafkaCode.PREFERRED_LEADER_NOT_AVAILABLE, `The preferred replica ${partition.replicas[0]} of ${topic.name}-${partition.partition} is not in sync or not alive`);
    return record;
  }
  if (type === ElectionType.UNCLEAN) {
    if (partition.leader !== -1) throw kafkaError(KafkaCode.ELECTION_NOT_NEEDED, `${topic.name}-${partition.partition} has a leader (broker ${partition.leader})`);
    const record = buildPartitionChange(topic.id, partition, { isAcceptableLeader: isActive, unclean: true });
    if (!record) throw kafkaError(KafkaCode.ELIGIBLE_LEADERS_NOT_AVAILABLE, `No replica of ${topic.name}-${partition.partition} is alive`);
    return record;
  }
  throw kafkaError(KafkaCode.INVALID_REQUEST, `Unknown election type ${type}`);
}

/** Rebalance settings (Kafka's names and defaults). */
export interface LeaderRebalanceConfig {
  /** auto.leader.rebalance.enable (default true). */
  readonly enable: boolean;
  /** leader.imbalance.check.interval.seconds in ms (default 300 s). */
  readonly intervalMs: number;
  /** leader.imbalance.per.broker.percentage (default 10). */
  readonly perBrokerPercentage: number;
}

/** Kafka's defaults. */
export const DEFAULT_LEADER_REBALANCE: LeaderRebalanceConfig = Object.freeze({ enable: true, intervalMs: 300_000, perBrokerPercentage: 10 });

/**
 * The preferred elections the rebalance makes now: for every broker whose imbalance (of the
 * partitions it is the preferred replica of, the share it does not lead) exceeds
 * `perBrokerPercentage`, each such partition whose preferred replica may lead and is in sync.
 * Partitions being reassigned are left alone (their preferred replica is about to change).
 */
export function rebalanceRecords(image: MetadataImage, isActive: ActiveBroker, perBrokerPercentage: number): PartitionRecord[] {
  const preferredOf = new Map<number, Array<{ topic: TopicImage; partition: PartitionRegistration }>>();
  const imbalanced = new Map<number, number>();
  for (const topic of image.topics()) {
    for (const partition of topic.partitions) {
      const preferred = partition?.replicas[0];
      if (!partition || preferred === undefined) continue;
      let list = preferredOf.get(preferred);
      if (!list) preferredOf.set(preferred, (list = []));
      list.push({ topic, partition });
      if (partition.leader !== preferred) imbalanced.set(preferred, (imbalanced.get(preferred) ?? 0) + 1);
    }
  }
  const records: PartitionRecord[] = [];
  for (const [broker, count] of imbalanced) {
    const total = preferredOf.get(broker)!.length;
    if ((count * 100) / total <= perBrokerPercentage || !isActive(broker)) continue;
    for (const { topic, partition } of preferredOf.get(broker)!) {
      if (partition.leader === broker || partition.addingReplicas?.length || partition.removingReplicas?.length) continue;
      if (!partition.isr.includes(broker)) continue;
      const record = buildPartitionChange(topic.id, partition, { isAcceptableLeader: isActive, unclean: false, preferred: true });
      if (record && record.leader === broker) records.push(record);
    }
  }
  return records;
}
