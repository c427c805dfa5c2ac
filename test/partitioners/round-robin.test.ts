import { describe, expect, it } from 'vitest';
import { roundRobinPartitioner } from '../../plugins/partitioners/round-robin.ts';
import { partitionerConformance } from '../../conformance/partitioner.ts';

partitionerConformance('round-robin', () => roundRobinPartitioner(), { keyAware: false });

describe('round-robin partitioner', () => {
  it('sends every record to the next partition, per topic, ignoring keys', () => {
    const p = roundRobinPartitioner();
    const key = new TextEncoder().encode('same-key');
    const a = Array.from({ length: 7 }, (_, i) => p.partition({ topic: 'a', key: i % 2 ? key : null, partitionCount: 3 }));
    expect(a).toEqual([0, 1, 2, 0, 1, 2, 0]);
    // Another topic has its own counter.
    expect(p.partition({ topic: 'b', key, partitionCount: 3 })).toBe(0);
    expect(p.partition({ topic: 'a', key: null, partitionCount: 3 })).toBe(1);
  });

  it('spreads records evenly', () => {
    const p = roundRobinPartitioner();
    const counts = new Array<number>(10).fill(0);
    for (let i = 0; i < 1000; i++) counts[p.partition({ topic: 't', key: null, partitionCount: 10 })]!++;
    expect(counts).toEqual(new Array(10).fill(100));
  });
});
