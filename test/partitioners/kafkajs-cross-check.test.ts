/**
 * Our keyed placement against kafkajs' DefaultPartitioner (its Java-compatible one) on
 * random keys: the same partition for every key and every count 1..50.
 */
import { randomBytes } from 'node:crypto';
import kafkajs from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { defaultPartitioner } from '../../plugins/partitioners/default.ts';
import { murmur2Partitioner } from '../../plugins/partitioners/murmur2.ts';

describe('keyed placement matches kafkajs DefaultPartitioner', () => {
  // Random keys each run (lengths 0..64 cover every tail case); a failure prints the key.
  const keys = Array.from({ length: 300 }, (_, i) => randomBytes(i % 65));
  const ours = [defaultPartitioner(), murmur2Partitioner()];

  it('for 300 random keys and 1..50 partitions', () => {
    const theirs = kafkajs.Partitioners.DefaultPartitioner();
    for (let n = 1; n <= 50; n++) {
      const partitionMetadata = Array.from({ length: n }, (_, partitionId) => ({ partitionId, leader: 0, partitionErrorCode: 0, replicas: [0], isr: [0] }));
      for (const key of keys) {
        const expected = theirs({ topic: 't', partitionMetadata, message: { key, value: null } });
        for (const p of ours) {
          const got = p.partition({ topic: 't', key: new Uint8Array(key.buffer, key.byteOffset, key.length), partitionCount: n });
          if (got !== expected) expect.fail(`key ${key.toString('hex')} over ${n} partitions: ${p.name} ${got}, kafkajs ${expected}`);
        }
      }
    }
  });
});
