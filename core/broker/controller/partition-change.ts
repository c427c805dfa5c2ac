/**
 * How a partition's leader, ISR and replicas change (Kafka's PartitionChangeBuilder, without
 * eligible leader replicas): given the ISR (and, for a reassignment, the replicas) the
 * controller wants and which brokers may lead, the partition record to write — or null
 * when nothing changes.
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
 * - a preferred election (ElectLeaders, the leader rebalance) makes the first replica lead
 *   when it is in the ISR and acceptable; otherwise the leader stays (Kafka's PREFERRED);
 * - a reassignment (KIP-455) completes inside any change once the ISR it leaves holds every
 *   target replica: the replicas become the targets, the removed ones leave the ISR, and a
 *   removed leader gives way to a target in the ISR (so nothing acknowledged is lost);
 * - a leader change bumps the leader epoch, and so does a change that takes replicas away
 *   (the removed ones must stop fetching; Kafka's epoch bump on reassignment); any change of
 *   leader, ISR or replicas bumps the partition epoch.
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
  /** The topic allows unclean leader election (or an UNCLEAN ElectLeaders asks for one). */
  readonly unclean: boolean;
  /** A preferred-replica election (the first replica leads if it can; else nothing changes). */
  readonly preferred?: boolean;
  /** The replicas wanted, preferred first (default: the current ones). */
  readonly targetReplicas?: readonly number[];
  /** The replicas a reassignment is adding (default: the current ones). */
  readonly targetAdding?: readonly number[];
  /** The replicas a reassignment is removing (default: the current ones). */
  readonly targetRemoving?: readonly number[];
}

/** The outcome of one election. */
export interface ElectionResult {
  /** The new leader, or {@link NO_LEADER}. */
  readonly leader: number;
  /** True when the leader comes from outside the ISR (unclean election). */
  readonly unclean: boolean;
}

/**
 * Elects the leader of `partition` for an ISR of `isr` among `replicas` (default: the
 * partition's; see the rules above).
 */
export function electLeader(partition: PartitionRegistration, isr: readonly number[], request: PartitionChangeRequest, replicas: readonly number[] = partition.replicas): ElectionResult {
  const valid = (id: number) => replicas.includes(id) && isr.includes(id) && request.isAcceptableLeader(id);
  const preferred = replicas[0];
  if (request.preferred && preferred !== undefined && valid(preferred)) return { leader: preferred, unclean: false };
  if (partition.leader !== NO_LEADER && valid(partition.leader)) return { leader: partition.leader, unclean: false };
  const clean = replicas.find(valid);
  if (clean !== undefined) return { leader: clean, unclean: false };
  if (request.unclean) {
    const any = replicas.find((id) => request.isAcceptableLeader(id));
    if (any !== undefined) return { leader: any, unclean: true };
  }
  return { leader: NO_LEADER, unclean: false };
}

/**
 * The record that changes `partition` of topic `topicId` as `request` asks, or null when
 * neither its leader nor its ISR would change.
 */
export function buildPartitionChange(topicId: string, partition: PartitionRegistration, request: PartitionChangeRequest): PartitionRecord | null {
  let wanted: readonly number[] = request.targetIsr ?? partition.isr;
  let replicas: readonly number[] = request.targetReplicas ?? partition.replicas;
  let adding: readonly number[] = request.targetAdding ?? partition.addingReplicas ?? [];
  let removing: readonly number[] = request.targetRemoving ?? partition.removingReplicas ?? [];
  const completed = completeReassignment(replicas, adding, removing, wanted);
  if (completed) {
    ({ replicas, isr: wanted } = completed);
    adding = [];
    removing = [];
  }
  // The last member stays: an empty ISR would forget which replica holds every acknowledged record.
  let isr = wanted.length === 0 ? [...partition.isr] : [...wanted];
  const election = electLeader(partition, wanted, request, replicas);
  if (election.unclean) isr = [election.leader];
  const leaderChanged = election.leader !== partition.leader;
  const isrChanged = !sameMembers(isr, partition.isr);
  const replicasChanged = !sameOrder(replicas, partition.replicas);
  const reassignmentChanged = !sameOrder(adding, partition.addingReplicas ?? []) || !sameOrder(removing, partition.removingReplicas ?? []);
  if (!leaderChanged && !isrChanged && !replicasChanged && !reassignmentChanged) return null;
  // Replicas taken away: a new leader epoch, so that the removed ones stop fetching and every follower starts over.
  const replicasRemoved = partition.replicas.some((id) => !replicas.includes(id));
  return {
    type: 'partition',
    topicId,
    partitionId: partition.partition,
    replicas: [...replicas],
    isr,
    leader: election.leader,
    leaderEpoch: leaderChanged || replicasRemoved ? partition.leaderEpoch + 1 : partition.leaderEpoch,
    partitionEpoch: partition.partitionEpoch + 1,
    ...(adding.length > 0 ? { addingReplicas: [...adding] } : {}),
    ...(removing.length > 0 ? { removingReplicas: [...removing] } : {}),
  };
}

/**
 * The replicas and ISR a reassignment ends with, once `isr` allows it (Kafka's
 * PartitionReassignmentReplicas.maybeCompleteReassignment): the ISR without the replicas
 * being removed must be non-empty and hold every remaining replica. Null: not yet (or no
 * reassignment).
 */
export function completeReassignment(replicas: readonly number[], adding: readonly number[], removing: readonly number[], isr: readonly number[]): { replicas: number[]; isr: number[] } | null {
  if (adding.length === 0 && removing.length === 0) return null;
  const finalIsr = isr.filter((id) => !removing.includes(id));
  const finalReplicas = replicas.filter((id) => !removing.includes(id));
  if (finalIsr.length === 0 || finalReplicas.length === 0) return null;
  if (!finalReplicas.every((id) => finalIsr.includes(id))) return null;
  return { replicas: finalReplicas, isr: finalIsr };
}

function sameOrder(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((id, i) => b[i] === id);
}

/** True when `a` and `b` hold the same broker ids (order aside). */
export function sameMembers(a: readonly number[], b: readonly number[]): boolean {
  if (a.length !== b.length) return false;
  const set = new Set(a);
  return b.every((id) => set.has(id));
}
