/**
 * The custom plugins prove they keep the contracts by running the same conformance suites
 * as the built-ins — the way you would test a plugin of your own — and the example runs.
 */
import { describe, expect, it } from 'vitest';
import { memoryStorage } from '../../mod.ts';
import { partitionerConformance, storageConformance } from '../../conformance/index.ts';
import { collectLog } from '../shared/log.ts';
import { keyPrefixPartitioner } from './key-prefix-partitioner.ts';
import { main } from './main.ts';
import { meteredStorage } from './metered-storage.ts';

partitionerConformance('key-prefix', () => keyPrefixPartitioner());
partitionerConformance('key-prefix', () => keyPrefixPartitioner({ separator: '/' }), { label: "separator '/'" });
storageConformance('metered-memory', { create: () => meteredStorage(memoryStorage()) });
storageConformance('metered-memory (one batch per segment)', { create: () => meteredStorage(memoryStorage({ segmentBytes: 1 })) });

describe('key-prefix partitioner', () => {
  it('puts keys with the same prefix on the same partition', () => {
    const p = keyPrefixPartitioner();
    const enc = new TextEncoder();
    const at = (key: string) => p.partition({ topic: 't', key: enc.encode(key), partitionCount: 16 });
    expect(at('eu:truck-1')).toBe(at('eu:truck-2'));
    expect(at('eu:truck-1')).toBe(at('eu'));
  });

  it('refuses a separator that is not one ASCII character', () => {
    expect(() => keyPrefixPartitioner({ separator: '::' })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT' }));
  });
});

describe('custom-plugin example', () => {
  it('routes each region to one partition and meters what the broker stored and served', async () => {
    const { log, lines } = collectLog();
    const result = await main(log);
    // Every key of a region read back from the same partition, and regions use more than one partition.
    for (const [region, partitions] of Object.entries(result.partitionsByRegion)) expect(partitions, region).toHaveLength(1);
    expect(new Set(Object.values(result.partitionsByRegion).flat()).size).toBeGreaterThan(1);
    expect(result.recordsRead).toBe(result.recordsSent);
    // The meter saw every record appended, and the consumer's reads.
    expect(result.appendedRecords).toBe(result.recordsSent);
    expect(result.readBytes).toBeGreaterThan(0);
    expect(lines.join('\n')).toContain('key-prefix');
  });
});
