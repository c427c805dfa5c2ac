import { describe, expect, it } from 'vitest';
import { partitionForKey } from '../../plugins/partitioners/murmur2-hash.ts';
import { stickyPartitioner } from '../../plugins/partitioners/sticky.ts';
import { partitionerConformance } from '../../conformance/partitioner.ts';

partitionerConformance('sticky', () => stickyPartitioner());
partitionerConformance('sticky', () => stickyPartitioner({ ignoreKeys: true }), { label: 'ignoreKeys', keyAware: false });

describe('sticky partitioner', () => {
  const keys = ['a', 'b', 'c', 'd', 'e'].map((k) => new TextEncoder().encode(k));

  it('hashes keys like Java by default', () => {
    const p = stickyPartitioner();
    for (const key of keys) expect(p.partition({ topic: 't', key, partitionCount: 13 })).toBe(partitionForKey(key, 13));
  });

  it('with ignoreKeys, sends keyed records to the sticky partition too', () => {
    const p = stickyPartitioner({ ignoreKeys: true });
    const sticky = p.partition({ topic: 't', key: null, partitionCount: 13 });
    for (const key of keys) expect(p.partition({ topic: 't', key, partitionCount: 13 })).toBe(sticky);
    p.onBatchClosed('t', sticky, 13);
    const next = p.partition({ topic: 't', key: keys[0]!, partitionCount: 13 });
    expect(next).not.toBe(sticky);
  });
});
