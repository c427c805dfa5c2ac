/**
 * How a partition's leader and ISR change (Kafka's PartitionChangeBuilder, without
 * reassignment and eligible leader replicas): given the ISR the controller wants and
 * which brokers may lead, the partition record to write — or null when nothing changes.
 *
 * Rules:
 * - the leader stays while it is in the target ISR and acceptable; otherwise the first
 *   replica, in replica order, that is in the target ISR and acceptable leads;
 * - none: with unclean election (the topic's unclean.leader.election.enable) the first
 *   acceptable replica leads and the ISR becomes just it (acknowledged records may be
 *   lost: only when the topic asks); without it the partition has no leader (-1);
 * - the ISR never becomes empty: when the target would be, the last member stays (Kafka
 *   keeps it so that it can lead again once it is back, instead of losing track of which
 *   replica has every acknowledged record);
 * - a leader change bumps the leader epoch; any change of leader or ISR bumps the
 *   partition epoch.
 */
import type { PartitionRegistration } from '../metadata/metadata-image.ts';
import type { PartitionRecord } from '../metadata/records.ts';

/** No leader. */
export const NO_LEADER = -1;

/** What the controller wants of one partition. */
export interface PartitionChangeRequest {
  /** The ISR wanted (default: the current one). Kept as it is when it would be empty. */
  readonly targetIsr?: readonly number[];
  /** Whether broker `id` may lead (registered, unfenced, not shutting down). */
  readonly isAcceptableLeader: (id: number) => boolean;
  /** The topic allows unclean leader election. */
  readonly unclean: boolean;
}

/** The outcome of one election. */
export interface ElectionResult {
  /** The new leader, or {@link NO_LEADER}. */
  readonly leader: number;
  /** True when the leader comes from outside the ISR (unclean election). */
  readonly unclean: boolean;
}

/** Elects the leader of `partition` for an ISR of `isr` (see the rules above). */
export function electLeader(partition: PartitionRegistration, isr: readonly number[], request: PartitionChangeRequest): ElectionResult {
  const valid = (id: number) => isr.includes(id) && request.isAcceptableLeader(id);
  if (partition.leader !== NO_LEADER && valid(partition.leader)) return { leader: partition.leader, unclean: false };
  const clean = partition.replicas.find(valid);
  if (clean !== undefined) return { leader: clean, unclean: false };
  if (request.unclean) {
    const any = partition.replicas.find((id) => request.isAcceptableLeader(id));
    if (any !== undefined) return { leader: any, unclean: true };
  }
  return { leader: NO_LEADER, unclean: false };
}

/**
 * The record that changes `partition` of topic `topicId` as `request` asks, or null when
 * neither its leader nor its ISR would change.
 */
export function buildPartitionChange(topicId: string, partition: PartitionRegistration, request: PartitionChangeRequest): PartitionRecord | null {
  const wanted = request.targetIsr ?? partition.isr;
  // The last member stays: an empty ISR would forget which replica holds every acknowledged record.
  let isr = wanted.length === 0 ? [...partition.isr] : [...wanted];
  const election = electLeader(partition, wanted, request);
  if (election.unclean) isr = [election.leader];
  const leaderChanged = election.leader !== partition.leader;
  const isrChanged = !sameMembers(isr, partition.isr);
  if (!leaderChanged && !isrChanged) return null;
  return {
    type: 'partition',
    topicId,
    partitionId: partition.partition,
    replicas: [...partition.replicas],
    isr,
    leader: election.leader,
    leaderEpoch: leaderChanged ? partition.leaderEpoch + 1 : partition.leaderEpoch,
    partitionEpoch: partition.partitionEpoch + 1,
  };
}

/** True when `a` and `b` hold the same broker ids (order aside). */
export function sameMembers(a: readonly number[], b: readonly number[]): boolean {
  if (a.length !== b.length) return false;
  const set = new Set(a);
  return b.every((id) => set.has(id));
}
