import { describe, expect, it } from 'vitest';
import { murmur2Partitioner } from '../../plugins/partitioners/murmur2.ts';
import { partitionForKey } from '../../plugins/partitioners/murmur2-hash.ts';
import { partitionerConformance } from '../../conformance/partitioner.ts';

partitionerConformance('murmur2', () => murmur2Partitioner());

describe('murmur2 partitioner', () => {
  it('places keys by toPositive(murmur2(key)) % n and keyless records stickily', () => {
    const p = murmur2Partitioner();
    const key = new TextEncoder().encode('foobar');
    expect(p.partition({ topic: 't', key, partitionCount: 7 })).toBe(partitionForKey(key, 7));
    expect(p.partition({ topic: 't', key, partitionCount: 7 })).toBe((-790332482 & 0x7fffffff) % 7);
    const sticky = p.partition({ topic: 't', key: null, partitionCount: 7 });
    expect(p.partition({ topic: 't', key: null, partitionCount: 7 })).toBe(sticky);
    p.onBatchClosed('t', sticky, 7);
    expect(p.partition({ topic: 't', key: null, partitionCount: 7 })).not.toBe(sticky);
  });
});
