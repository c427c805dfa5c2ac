/**
 * Where a new partition's replicas go when no assignment is given (Kafka's rack-unaware
 * placement, as AdminUtils and StripedReplicaPlacer spread them): partition i's first
 * replica — its preferred leader — is broker (start + i) mod n of the sorted live brokers,
 * so leaders rotate evenly over the brokers; the followers come after it at a shift that
 * grows each time the partitions wrap around the brokers, so that the same pairs of
 * brokers do not always follow each other. `start` differs per topic, so that topics with
 * few partitions do not all lead on the same broker.
 */

/**
 * Replicas for partitions `first` … `first + count - 1` over `brokerIds` (live, unfenced),
 * `replicationFactor` each, the preferred leader first. The caller has checked that
 * `replicationFactor` is between 1 and the number of brokers.
 */
export function placeReplicas(brokerIds: readonly number[], start: number, first: number, count: number, replicationFactor: number): number[][] {
  const ids = [...brokerIds].sort((a, b) => a - b);
  const n = ids.length;
  const out: number[][] = [];
  for (let i = first; i < first + count; i++) {
    const leader = (start + i) % n;
    // The followers' shift changes once per full round of leaders.
    const shift = Math.floor((start + i) / n);
    const replicas = [ids[leader]!];
    for (let r = 1; r < replicationFactor; r++) {
      const offset = 1 + ((shift + r - 1) % (n - 1));
      replicas.push(ids[(leader + offset) % n]!);
    }
    out.push(replicas);
  }
  return out;
}

/** A topic's placement start, fixed by its id (so partitions added later continue the same rotation). */
export function placementStart(topicId: string, brokerCount: number): number {
  let hash = 0;
  for (let i = 0; i < topicId.length; i++) hash = (hash * 31 + topicId.charCodeAt(i)) >>> 0;
  return brokerCount === 0 ? 0 : hash % brokerCount;
}
