import { describe, expect, it } from 'vitest';
import { defaultPartitioner } from '../../plugins/partitioners/default.ts';
import { partitionForKey } from '../../plugins/partitioners/murmur2-hash.ts';
import { partitionerConformance } from '../../conformance/partitioner.ts';

partitionerConformance('default', () => defaultPartitioner());

/** A repeatable random source (a small LCG), so sticky choices can be asserted. */
export function seeded(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

describe('default partitioner', () => {
  const key = new TextEncoder().encode('order-42');

  it('places keyed records by murmur2', () => {
    const p = defaultPartitioner();
    for (const n of [1, 3, 12, 100]) expect(p.partition({ topic: 't', key, partitionCount: n })).toBe(partitionForKey(key, n));
  });

  it('keeps keyless records on one partition until its batch is closed (KIP-480)', () => {
    const p = defaultPartitioner({ random: seeded(1) });
    const first = p.partition({ topic: 't', key: null, partitionCount: 6 });
    for (let i = 0; i < 100; i++) expect(p.partition({ topic: 't', key: null, partitionCount: 6 })).toBe(first);
    // A batch closing elsewhere (a keyed record's partition) changes nothing.
    p.onBatchClosed('t', (first + 1) % 6, 6);
    expect(p.partition({ topic: 't', key: null, partitionCount: 6 })).toBe(first);
    p.onBatchClosed('t', first, 6);
    const second = p.partition({ topic: 't', key: null, partitionCount: 6 });
    expect(second).not.toBe(first);
    for (let i = 0; i < 20; i++) expect(p.partition({ topic: 't', key: null, partitionCount: 6 })).toBe(second);
  });

  it('always moves to a different partition when there are two or more, and covers them all', () => {
    for (const n of [2, 3, 10]) {
      const p = defaultPartitioner({ random: seeded(n) });
      const seen = new Set<number>();
      let previous = p.partition({ topic: 't', key: null, partitionCount: n });
      seen.add(previous);
      for (let i = 0; i < 500; i++) {
        p.onBatchClosed('t', previous, n);
        const next = p.partition({ topic: 't', key: null, partitionCount: n });
        expect(next).not.toBe(previous);
        seen.add(next);
        previous = next;
      }
      expect(seen.size).toBe(n);
    }
  });

  it('keeps one sticky partition per topic', () => {
    const p = defaultPartitioner({ random: seeded(7) });
    const a = p.partition({ topic: 'a', key: null, partitionCount: 50 });
    const b = p.partition({ topic: 'b', key: null, partitionCount: 50 });
    p.onBatchClosed('b', b, 50);
    expect(p.partition({ topic: 'a', key: null, partitionCount: 50 })).toBe(a);
    expect(p.partition({ topic: 'b', key: null, partitionCount: 50 })).not.toBe(b);
  });

  it('draws again when the sticky partition no longer exists', () => {
    const p = defaultPartitioner({ random: () => 0.99 });
    expect(p.partition({ topic: 't', key: null, partitionCount: 10 })).toBe(9);
    expect(p.partition({ topic: 't', key: null, partitionCount: 4 })).toBe(3);
  });
});
