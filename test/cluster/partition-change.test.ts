/**
 * Partition change rules (Kafka's PartitionChangeBuilder): who leads after an ISR change,
 * that the last ISR member stays, that unclean election happens only when the topic asks,
 * and that leader and partition epochs bump as they should. Also replica placement.
 */
import { describe, expect, it } from 'vitest';
import { buildPartitionChange, electLeader } from '../../core/broker/controller/partition-change.ts';
import { placeReplicas } from '../../core/broker/controller/replica-placement.ts';
import type { PartitionRegistration } from '../../core/broker/metadata/metadata-image.ts';

const partition = (over: Partial<PartitionRegistration> = {}): PartitionRegistration => ({
  partition: 0,
  replicas: [1, 2, 3],
  isr: [1, 2, 3],
  leader: 1,
  leaderEpoch: 5,
  partitionEpoch: 9,
  ...over,
});
const all = () => true;
const except = (...ids: number[]) => (id: number) => !ids.includes(id);

describe('leader election', () => {
  it('keeps a leader that is still in the ISR and acceptable', () => {
    expect(electLeader(partition(), [1, 3], { isAcceptableLeader: all, unclean: false })).toEqual({ leader: 1, unclean: false });
  });

  it('elects the first replica in replica order that is in the ISR and acceptable, not the first ISR member', () => {
    const p = partition({ replicas: [3, 1, 2], isr: [2, 1, 3], leader: 3 });
    expect(electLeader(p, [2, 1], { isAcceptableLeader: except(3), unclean: false }).leader).toBe(1);
    expect(electLeader(p, [2, 1], { isAcceptableLeader: except(3, 1), unclean: false }).leader).toBe(2);
  });

  it('finds no leader when no ISR member is acceptable and the topic does not allow unclean election', () => {
    expect(electLeader(partition({ isr: [1] }), [1], { isAcceptableLeader: except(1), unclean: false })).toEqual({ leader: -1, unclean: false });
  });

  it('elects any acceptable replica uncleanly only when asked', () => {
    expect(electLeader(partition({ isr: [1] }), [1], { isAcceptableLeader: except(1), unclean: true })).toEqual({ leader: 2, unclean: true });
  });
});

describe('partition change', () => {
  it('removes a fenced leader from the ISR, elects the next in replica order, bumps both epochs', () => {
    const change = buildPartitionChange('t', partition(), { targetIsr: [2, 3], isAcceptableLeader: except(1), unclean: false });
    expect(change).toMatchObject({ topicId: 't', partitionId: 0, replicas: [1, 2, 3], isr: [2, 3], leader: 2, leaderEpoch: 6, partitionEpoch: 10 });
  });

  it('bumps only the partition epoch when a follower leaves the ISR', () => {
    const change = buildPartitionChange('t', partition(), { targetIsr: [1, 2], isAcceptableLeader: except(3), unclean: false });
    expect(change).toMatchObject({ isr: [1, 2], leader: 1, leaderEpoch: 5, partitionEpoch: 10 });
  });

  it('keeps the last ISR member and leaves the partition without a leader', () => {
    const change = buildPartitionChange('t', partition({ isr: [1] }), { targetIsr: [], isAcceptableLeader: except(1), unclean: false });
    expect(change).toMatchObject({ isr: [1], leader: -1, leaderEpoch: 6, partitionEpoch: 10 });
  });

  it('with unclean election resets the ISR to the new leader', () => {
    const change = buildPartitionChange('t', partition({ isr: [1] }), { targetIsr: [], isAcceptableLeader: except(1), unclean: true });
    expect(change).toMatchObject({ isr: [2], leader: 2, leaderEpoch: 6, partitionEpoch: 10 });
  });

  it('elects a leader for an offline partition once its ISR member is back', () => {
    const offline = partition({ isr: [3], leader: -1, leaderEpoch: 6, partitionEpoch: 10 });
    expect(buildPartitionChange('t', offline, { isAcceptableLeader: except(1, 2), unclean: false })).toMatchObject({ isr: [3], leader: 3, leaderEpoch: 7, partitionEpoch: 11 });
    expect(buildPartitionChange('t', offline, { isAcceptableLeader: except(3), unclean: false })).toBeNull();
  });

  it('writes nothing when neither leader nor ISR changes', () => {
    expect(buildPartitionChange('t', partition(), { targetIsr: [3, 2, 1], isAcceptableLeader: all, unclean: false })).toBeNull();
  });
});

describe('replica placement', () => {
  it('gives every partition distinct replicas and spreads leaders evenly', () => {
    for (const [brokers, partitions, rf] of [[3, 6, 3], [5, 20, 3], [4, 8, 2], [1, 4, 1]] as const) {
      const ids = Array.from({ length: brokers }, (_, i) => i + 1);
      for (let start = 0; start < brokers; start++) {
        const placed = placeReplicas(ids, start, 0, partitions, rf);
        for (const replicas of placed) {
          expect(replicas).toHaveLength(rf);
          expect(new Set(replicas).size).toBe(rf);
        }
        const leads = ids.map((id) => placed.filter((r) => r[0] === id).length);
        expect(Math.max(...leads) - Math.min(...leads)).toBeLessThanOrEqual(partitions % brokers === 0 ? 0 : 1);
      }
    }
  });

  it('spreads followers too: with 3 brokers and 6 partitions of RF 2 every broker holds 4 replicas', () => {
    const placed = placeReplicas([1, 2, 3], 0, 0, 6, 2);
    expect([1, 2, 3].map((id) => placed.flat().filter((r) => r === id).length)).toEqual([4, 4, 4]);
  });
});
