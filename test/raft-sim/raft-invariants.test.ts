/**
 * The Raft simulation's rules on hand-made states: each rule passes a healthy state and
 * fails a state that breaks it (a checker that cannot fail proves nothing).
 */
import { describe, expect, it } from 'vitest';
import { type BatchView, type NodeView, RaftInvariantChecker } from './raft-invariants.ts';

const b = (baseOffset: number, epoch: number, records: string, count = 1): BatchView => ({ baseOffset, nextOffset: baseOffset + count, epoch, records });

/** A log of one-record batches from `epochs` (one entry per batch), records named by offset and epoch. */
function log(...epochs: number[]): BatchView[] {
  return epochs.map((e, i) => b(i, e, `r${i}e${e}`));
}

function node(nodeId: number, over: Partial<NodeView> = {}): NodeView {
  return { nodeId, incarnation: 0, voter: true, running: true, epoch: 1, leaderId: 1, highWatermark: 0, committed: [], log: [], ...over };
}

const rules = (found: readonly { rule: string }[]) => [...new Set(found.map((v) => v.rule))].sort();

describe('Raft simulation invariants', () => {
  it('a healthy quorum passes, step after step', () => {
    const c = new RaftInvariantChecker([1, 2, 3]);
    const l = log(1, 1, 1);
    expect(c.check([node(1, { log: l, highWatermark: 2, committed: l.slice(0, 2) }), node(2, { log: l.slice(0, 2), highWatermark: 2, committed: l.slice(0, 2) }), node(3, { log: [] })])).toEqual([]);
    expect(c.recordAck({ nodeId: 1, epoch: 1, baseOffset: 2, nextOffset: 3, records: 'r2e1' })).toEqual([]);
    expect(c.check([node(1, { log: l, highWatermark: 3, committed: l.slice(2) }), node(2, { log: l, highWatermark: 3, committed: l.slice(2) }), node(3, { log: l.slice(0, 1) })])).toEqual([]);
    // Epoch 2: node 2 leads with everything committed before it.
    const l2 = [...l, b(3, 2, 'r3e2')];
    expect(c.check([node(1, { epoch: 2, leaderId: 2, log: l2, highWatermark: 3 }), node(2, { epoch: 2, leaderId: 2, log: l2, highWatermark: 4, committed: l2.slice(3) }), node(3, { running: false, log: l })])).toEqual([]);
    expect(c.final([node(1, { epoch: 2, leaderId: 2, log: l2, highWatermark: 4, committed: l2.slice(3) }), node(2, { epoch: 2, leaderId: 2, log: l2, highWatermark: 4 }), node(3, { incarnation: 1, epoch: 2, leaderId: 2, log: l2, highWatermark: 4, committed: l2 })])).toEqual([]);
  });

  it('two leaders in one epoch break election safety, also when a follower names the other', () => {
    const c = new RaftInvariantChecker([1, 2, 3]);
    expect(rules(c.check([node(1, { epoch: 3, leaderId: 1 }), node(2, { epoch: 3, leaderId: 2 })]))).toEqual(['one-leader-per-epoch']);
    const d = new RaftInvariantChecker([1, 2, 3]);
    expect(d.leaderSeen(1, 0, 1, 4)).toEqual([]);
    expect(rules(d.leaderSeen(3, 0, 2, 4))).toEqual(['one-leader-per-epoch']);
  });

  it('an epoch that goes back, across a restart too', () => {
    const c = new RaftInvariantChecker([1, 2, 3]);
    expect(c.check([node(1, { epoch: 5, leaderId: -1 })])).toEqual([]);
    expect(rules(c.check([node(1, { incarnation: 1, epoch: 4, leaderId: -1 })]))).toEqual(['epochs-grow']);
  });

  it('a high watermark that goes back within an incarnation (not across a restart)', () => {
    const c = new RaftInvariantChecker([1]);
    const l = log(1, 1, 1);
    expect(c.check([node(1, { highWatermark: 3, log: l })])).toEqual([]);
    expect(c.check([node(1, { incarnation: 1, highWatermark: 0, log: l })])).toEqual([]);
    expect(rules(c.check([node(1, { highWatermark: 2, log: l })]))).toEqual(['hw-monotonic']);
  });

  it('two nodes reading different committed batches at one offset', () => {
    const c = new RaftInvariantChecker([1, 2, 3]);
    const a = [b(0, 1, 'x')];
    const z = [b(0, 1, 'y')];
    const found = c.check([node(1, { log: a, highWatermark: 1, committed: a }), node(2, { log: a, highWatermark: 1 }), node(3, { log: z, highWatermark: 1, committed: z })]);
    expect(rules(found)).toContain('committed-consistent');
  });

  it('log matching: same offset and epoch with different records or prefixes', () => {
    const c = new RaftInvariantChecker([1, 2, 3]);
    // Same epoch-2 batch at offset 2, different batches before it.
    const found = c.check([node(1, { leaderId: -1, log: [b(0, 1, 'a'), b(1, 1, 'b'), b(2, 2, 'c')] }), node(2, { leaderId: -1, log: [b(0, 1, 'a'), b(1, 1, 'X'), b(2, 2, 'c')] }), node(3, { leaderId: -1 })]);
    expect(rules(found)).toEqual(['log-matching']);
    // Diverging tails of different epochs are legal.
    const d = new RaftInvariantChecker([1, 2, 3]);
    expect(d.check([node(1, { leaderId: -1, log: [b(0, 1, 'a'), b(1, 2, 'b')] }), node(2, { leaderId: -1, log: [b(0, 1, 'a'), b(1, 3, 'X')] }), node(3, { leaderId: -1 })])).toEqual([]);
  });

  it('leader completeness: a leader of a later epoch without a batch committed before it', () => {
    const c = new RaftInvariantChecker([1, 2, 3]);
    const l = log(1, 1);
    expect(c.check([node(1, { log: l, highWatermark: 2, committed: l }), node(2, { log: l, highWatermark: 2 }), node(3, { log: l.slice(0, 1) })])).toEqual([]);
    // Node 3 leads epoch 2 with only the first batch: the second was committed at epoch 1.
    const found = c.check([node(1, { epoch: 2, leaderId: 3, log: l, highWatermark: 2 }), node(2, { epoch: 2, leaderId: 3, log: l, highWatermark: 2 }), node(3, { epoch: 2, leaderId: 3, log: [l[0]!, b(1, 2, 'new')] })]);
    expect(rules(found)).toContain('leader-completeness');
    // A batch acknowledged at epoch 4 binds leaders of epoch 5 on, not a stale leader of epoch 3.
    const d = new RaftInvariantChecker([1, 2, 3]);
    d.recordAck({ nodeId: 1, epoch: 4, baseOffset: 0, nextOffset: 1, records: 'late' });
    expect(d.check([node(2, { epoch: 3, leaderId: 2, log: [b(0, 3, 'stale')] }), node(1, { epoch: 4, leaderId: 1, log: [b(0, 4, 'late')] }), node(3, { epoch: 4, leaderId: 1, log: [b(0, 4, 'late')] })])).toEqual([]);
    expect(rules(d.check([node(2, { epoch: 5, leaderId: 2, log: [b(0, 3, 'stale')] }), node(1, { epoch: 5, leaderId: 2, log: [b(0, 4, 'late')] }), node(3, { epoch: 5, leaderId: 2, log: [b(0, 4, 'late')] })]))).toContain('leader-completeness');
  });

  it('committed data must be on a majority of disks', () => {
    const c = new RaftInvariantChecker([1, 2, 3]);
    const l = log(1, 1);
    expect(c.check([node(1, { log: l, highWatermark: 2, committed: l }), node(2, { log: l }), node(3, { running: false, log: [] })])).toEqual([]);
    // A machine crash took node 2's copy: only the leader holds offset 1.
    expect(rules(c.check([node(1, { log: l, highWatermark: 2 }), node(2, { incarnation: 1, log: l.slice(0, 1), highWatermark: 0 }), node(3, { running: false, log: [] })]))).toEqual(['committed-durable']);
  });

  it('an acknowledged append that is not what is committed at its offset, or is missing at the end', () => {
    const c = new RaftInvariantChecker([1, 2, 3]);
    expect(c.recordAck({ nodeId: 1, epoch: 1, baseOffset: 0, nextOffset: 1, records: 'mine' })).toEqual([]);
    expect(rules(c.check([node(1, { log: [b(0, 1, 'other')], highWatermark: 1, committed: [b(0, 1, 'other')] })]))).toContain('ack-kept');
    const d = new RaftInvariantChecker([1]);
    d.recordAck({ nodeId: 1, epoch: 1, baseOffset: 5, nextOffset: 6, records: 'gone' });
    const l = log(1, 1);
    expect(rules(d.final([node(1, { log: l, highWatermark: 2, committed: l })]))).toContain('ack-kept');
  });

  it('liveness: no leader, disagreeing voters or differing logs at the end', () => {
    const l = log(1, 1);
    const c = new RaftInvariantChecker([1, 2, 3]);
    expect(rules(c.final([node(1, { leaderId: -1, log: l }), node(2, { leaderId: -1, log: l }), node(3, { leaderId: -1, log: l })]))).toEqual(['liveness']);
    const d = new RaftInvariantChecker([1, 2, 3]);
    const found = d.final([node(1, { log: l, highWatermark: 2 }), node(2, { log: l, highWatermark: 2 }), node(3, { log: l.slice(0, 1), highWatermark: 1, leaderId: -1 })]);
    expect(rules(found)).toEqual(['liveness']);
    expect(found.length).toBeGreaterThanOrEqual(3);
  });
});
