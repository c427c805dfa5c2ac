/**
 * The invariant checker on hand-made cluster states: each rule passes a good state and
 * reports the state that breaks it (a checker that cannot fail proves nothing).
 */
import { describe, expect, it } from 'vitest';
import { InvariantChecker, type ControllerPartition, type LogEntry, type ReplicaObservation } from './invariants.ts';

function replica(node: number, role: 'leader' | 'follower', epoch: number, hw: number, values: Array<[string, number]>, extra: Partial<ReplicaObservation> = {}): ReplicaObservation {
  const entries: LogEntry[] = values.map(([value, e]) => ({ value, epoch: e }));
  return {
    node,
    incarnation: 0,
    topic: 't',
    partition: 0,
    role,
    leaderEpoch: epoch,
    highWatermark: hw,
    logStartOffset: 0,
    logEndOffset: entries.length,
    entry: (offset) => entries[offset],
    ...extra,
  };
}

function controller(leader: number, leaderEpoch: number, isr: number[], partitionEpoch = leaderEpoch): ControllerPartition {
  return { topic: 't', partition: 0, leader, leaderEpoch, partitionEpoch, isr };
}

const log3: Array<[string, number]> = [['a', 0], ['b', 0], ['c', 0]];

describe('InvariantChecker', () => {
  it('passes a consistent cluster', () => {
    const checker = new InvariantChecker();
    expect(checker.recordAck({ topic: 't', partition: 0, offset: 1, value: 'b' })).toEqual([]);
    const obs = { replicas: [replica(1, 'leader', 0, 2, log3), replica(2, 'follower', 0, 2, log3), replica(3, 'follower', 0, 1, log3.slice(0, 2))], controller: [controller(1, 0, [1, 2, 3])] };
    expect(checker.check(obs)).toEqual([]);
    expect(checker.check(obs)).toEqual([]);
  });

  it('reports two leaders in one epoch, from nodes or from the controller', () => {
    const checker = new InvariantChecker();
    expect(checker.check({ replicas: [replica(1, 'leader', 3, 0, [])], controller: [] })).toEqual([]);
    const v = checker.check({ replicas: [replica(2, 'leader', 3, 0, [])], controller: [] });
    expect(v.map((x) => x.rule)).toEqual(['one-leader-per-epoch']);
    const c = new InvariantChecker();
    c.check({ replicas: [], controller: [controller(1, 5, [1, 2])] });
    expect(c.check({ replicas: [replica(2, 'leader', 5, 0, [])], controller: [] }).map((x) => x.rule)).toEqual(['one-leader-per-epoch']);
  });

  it('reports epochs that go back, on a node and at the controller', () => {
    const checker = new InvariantChecker();
    checker.check({ replicas: [replica(2, 'follower', 4, 0, [])], controller: [controller(1, 4, [1, 2], 6)] });
    const v = checker.check({ replicas: [replica(2, 'follower', 3, 0, [])], controller: [controller(1, 4, [1, 2], 5)] });
    expect(v.map((x) => x.rule).sort()).toEqual(['epochs-grow', 'epochs-grow']);
  });

  it('reports a high watermark that goes back within an epoch, not across epochs or incarnations', () => {
    const checker = new InvariantChecker();
    checker.check({ replicas: [replica(1, 'leader', 1, 3, log3)], controller: [] });
    expect(checker.check({ replicas: [replica(1, 'leader', 1, 2, log3)], controller: [] }).map((x) => x.rule)).toEqual(['hw-monotonic']);
    expect(checker.check({ replicas: [replica(1, 'leader', 2, 1, log3)], controller: [] })).toEqual([]);
    expect(checker.check({ replicas: [replica(1, 'leader', 2, 0, log3, { incarnation: 1 })], controller: [] })).toEqual([]);
  });

  it('reports ISR members whose logs differ below the high watermark, or end below it', () => {
    const checker = new InvariantChecker();
    const diverged = checker.check({ replicas: [replica(1, 'leader', 0, 3, log3), replica(2, 'follower', 0, 2, [['a', 0], ['x', 0], ['c', 0]])], controller: [controller(1, 0, [1, 2])] });
    expect(diverged.map((x) => x.rule)).toEqual(['isr-logs-identical']);
    const short = new InvariantChecker().check({ replicas: [replica(1, 'leader', 0, 3, log3), replica(2, 'follower', 0, 2, log3.slice(0, 2))], controller: [controller(1, 0, [1, 2])] });
    expect(short.map((x) => x.rule)).toEqual(['isr-logs-identical']);
    // Above the high watermark, and outside the ISR, logs may differ.
    expect(new InvariantChecker().check({ replicas: [replica(1, 'leader', 0, 2, log3), replica(2, 'follower', 0, 2, [['a', 0], ['b', 0], ['y', 0]]), replica(3, 'follower', 0, 0, [['z', 0]])], controller: [controller(1, 0, [1, 2])] })).toEqual([]);
  });

  it('skips a machine-crashed ISR member until the controller has taken it out of the ISR', () => {
    const checker = new InvariantChecker();
    checker.taint(2, [{ topic: 't', partition: 0 }]);
    expect(checker.check({ replicas: [replica(1, 'leader', 0, 3, log3), replica(2, 'follower', 0, 0, [])], controller: [controller(1, 0, [1, 2])] })).toEqual([]);
    checker.check({ replicas: [replica(1, 'leader', 0, 3, log3)], controller: [controller(1, 0, [1], 1)] });
    expect(checker.isTainted(2, 't', 0)).toBe(false);
    expect(checker.check({ replicas: [replica(1, 'leader', 0, 3, log3), replica(2, 'follower', 0, 0, [])], controller: [controller(1, 0, [1, 2], 2)] }).map((x) => x.rule)).toEqual(['isr-logs-identical']);
  });

  it('reports an acknowledged record that the leader no longer has, or has changed', () => {
    const checker = new InvariantChecker();
    checker.recordAck({ topic: 't', partition: 0, offset: 2, value: 'c' });
    expect(checker.check({ replicas: [replica(2, 'leader', 1, 2, log3.slice(0, 2))], controller: [controller(2, 1, [2])] }).map((x) => x.rule)).toEqual(['ack-kept']);
    expect(checker.check({ replicas: [replica(2, 'leader', 1, 2, [['a', 0], ['b', 0], ['q', 1]])], controller: [controller(2, 1, [2])] }).map((x) => x.rule)).toEqual(['ack-kept']);
  });

  it('reports an offset acknowledged twice with different records, and a duplicate at the end', () => {
    const checker = new InvariantChecker();
    checker.recordAck({ topic: 't', partition: 0, offset: 0, value: 'a' });
    expect(checker.recordAck({ topic: 't', partition: 0, offset: 0, value: 'a' })).toEqual([]);
    expect(checker.recordAck({ topic: 't', partition: 0, offset: 0, value: 'z' }).map((x) => x.rule)).toEqual(['ack-unique']);
    const dup = new InvariantChecker();
    dup.recordAck({ topic: 't', partition: 0, offset: 0, value: 'a' });
    const v = dup.final({ replicas: [replica(1, 'leader', 0, 3, [['a', 0], ['b', 0], ['a', 0]])], controller: [controller(1, 0, [1])] });
    expect(v.map((x) => x.rule)).toEqual(['ack-unique']);
  });

  it('at the end, wants every acknowledged record below the high watermark in every ISR member', () => {
    const checker = new InvariantChecker();
    checker.recordAck({ topic: 't', partition: 0, offset: 2, value: 'c' });
    const obs = { replicas: [replica(1, 'leader', 0, 2, log3), replica(2, 'follower', 0, 2, log3)], controller: [controller(1, 0, [1, 2])] };
    expect(checker.check(obs)).toEqual([]);
    expect(checker.final(obs).map((x) => x.rule)).toEqual(['ack-kept']);
    expect(checker.final({ ...obs, replicas: [replica(1, 'leader', 0, 3, log3), replica(2, 'follower', 0, 3, log3)] })).toEqual([]);
    expect(checker.final({ replicas: [replica(2, 'follower', 0, 3, log3)], controller: [controller(1, 0, [1, 2])] }).map((x) => x.rule)).toEqual(['ack-kept']);
  });
});
