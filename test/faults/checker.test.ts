/** The checker on synthetic histories: a clean run passes, and each kind of broken promise is reported. */
import { describe, expect, it } from 'vitest';
import { checkHistory } from './checker.ts';
import type { History, ProduceOutcome, SeenRecord } from './history.ts';

const acked = (value: string, partition: number, offset: number, producer = 'p0'): ProduceOutcome => ({ kind: 'acked', producer, value, partition, offset });
const rec = (value: string, partition: number, offset: number): SeenRecord => ({ value, partition, offset });

/** A clean history: 4 values acknowledged on two partitions, consumed, committed, full ISR. */
function clean(): History {
  return {
    topic: 't',
    produced: [acked('a', 0, 0), acked('b', 0, 1), acked('c', 1, 0), acked('d', 1, 1), { kind: 'failed', producer: 'p1', value: 'e', error: 'NOT_ENOUGH_REPLICAS' }, { kind: 'unknown', producer: 'p1', value: 'f', error: 'timeout' }],
    consumed: [{ consumer: 'g', ...rec('a', 0, 0) }, { consumer: 'g', ...rec('c', 1, 0) }],
    commits: [
      { group: 'g', partition: 0, offset: -1, at: 1 },
      { group: 'g', partition: 0, offset: 1, at: 2 },
      { group: 'g', partition: 0, offset: 1, at: 3 },
      { group: 'g', partition: 1, offset: 2, at: 3 },
    ],
    // An unknown outcome may have landed: 'f' is in the log, 'e' (failed) is not.
    finalLog: [rec('a', 0, 0), rec('b', 0, 1), rec('f', 0, 2), rec('c', 1, 0), rec('d', 1, 1)],
    finalIsr: [
      { partition: 0, replicas: [1, 2, 3], isr: [2, 3, 1], leader: 2 },
      { partition: 1, replicas: [2, 3, 1], isr: [1, 2, 3], leader: 3 },
    ],
  };
}

describe('checker', () => {
  it('passes a clean history', () => {
    const result = checkHistory(clean());
    expect(result.violations).toEqual([]);
    expect(result.ok).toBe(true);
    expect(result.summary).toMatchObject({ acked: 4, failed: 1, unknown: 1, finalRecords: 5 });
    expect(result.report).toContain('no violations');
  });

  it('reports an acknowledged value missing from the final log as lost', () => {
    const h = clean();
    const result = checkHistory({ ...h, finalLog: h.finalLog.filter((r) => r.value !== 'd') });
    expect(result.ok).toBe(false);
    expect(result.violations).toEqual([{ kind: 'lost', value: 'd', producer: 'p0', partition: 1, offset: 1 }]);
    expect(result.report).toContain('LOST: d');
  });

  it('reports a truncated then overwritten offset (loss after unclean election) as lost and conflicting', () => {
    const h = clean();
    // Offset 1@1 now holds a later value 'g' written by a new leader; 'd' is gone.
    const result = checkHistory({
      ...h,
      produced: [...h.produced, acked('g', 1, 1, 'p2')],
      finalLog: [...h.finalLog.filter((r) => r.value !== 'd'), rec('g', 1, 1)],
    });
    expect(result.violations.map((v) => v.kind).sort()).toEqual(['lost', 'offset-conflict']);
    expect(result.violations).toContainEqual({ kind: 'offset-conflict', partition: 1, offset: 1, values: ['d', 'g'], where: 'acks' });
  });

  it('reports an acknowledged value found at another offset as moved', () => {
    const h = clean();
    const result = checkHistory({ ...h, finalLog: h.finalLog.map((r) => (r.value === 'b' ? rec('b', 0, 3) : r)) });
    expect(result.violations).toEqual([{ kind: 'moved', value: 'b', producer: 'p0', acked: { partition: 0, offset: 1 }, found: [{ partition: 0, offset: 3 }] }]);
  });

  it('reports two values at one offset of the final log', () => {
    const h = clean();
    const result = checkHistory({ ...h, finalLog: [...h.finalLog, rec('x', 0, 0)], produced: [...h.produced, { kind: 'unknown', producer: 'p1', value: 'x', error: 'timeout' }] });
    expect(result.violations).toEqual([{ kind: 'offset-conflict', partition: 0, offset: 0, values: ['a', 'x'], where: 'final-log' }]);
  });

  it('reports a value a consumer saw that is no longer at that offset', () => {
    const h = clean();
    const result = checkHistory({ ...h, consumed: [...h.consumed, { consumer: 'plain', ...rec('f', 0, 2) }], finalLog: h.finalLog.filter((r) => r.value !== 'f') });
    expect(result.violations).toEqual([{ kind: 'consumed-lost', consumer: 'plain', value: 'f', partition: 0, offset: 2, now: null }]);
    expect(result.report).toContain('CONSUMED THEN LOST');
  });

  it('reports a value stored twice (a retried batch appended again) as duplicate', () => {
    const h = clean();
    const result = checkHistory({ ...h, finalLog: [...h.finalLog, rec('b', 0, 3)] });
    expect(result.violations).toEqual([{ kind: 'duplicate', value: 'b', at: [{ partition: 0, offset: 1 }, { partition: 0, offset: 3 }] }]);
  });

  it('reports a value in the log that nobody sent', () => {
    const h = clean();
    const result = checkHistory({ ...h, finalLog: [...h.finalLog, rec('zz', 1, 2)] });
    expect(result.violations).toEqual([{ kind: 'phantom', value: 'zz', partition: 1, offset: 2 }]);
  });

  it('reports a committed offset that went back, judged in observation order', () => {
    const h = clean();
    const result = checkHistory({ ...h, commits: [...h.commits, { group: 'g', partition: 1, offset: 1, at: 5 }, { group: 'g', partition: 1, offset: 0, at: 0 }] });
    expect(result.violations).toEqual([{ kind: 'commit-regressed', group: 'g', partition: 1, from: 2, to: 1 }]);
  });

  it('reports a partition without its full ISR or without a leader', () => {
    const h = clean();
    const result = checkHistory({
      ...h,
      finalIsr: [
        { partition: 0, replicas: [1, 2, 3], isr: [2, 3], leader: 2 },
        { partition: 1, replicas: [2, 3, 1], isr: [1, 2, 3], leader: -1 },
      ],
    });
    expect(result.violations).toEqual([
      { kind: 'isr-not-full', partition: 0, replicas: [1, 2, 3], isr: [2, 3], leader: 2 },
      { kind: 'isr-not-full', partition: 1, replicas: [2, 3, 1], isr: [1, 2, 3], leader: -1 },
    ]);
  });

  it('lists every violation of a badly broken history in its report', () => {
    const h = clean();
    const result = checkHistory({ ...h, finalLog: [rec('a', 0, 0), rec('a', 1, 5)], finalIsr: [] });
    expect(result.violations.map((v) => v.kind).sort()).toEqual(['consumed-lost', 'duplicate', 'lost', 'lost', 'lost']);
    expect(result.report.split('\n').filter((l) => l.startsWith('  '))).toHaveLength(5);
    expect(result.report).toContain('5 violations');
  });
});
