import { describe, expect, it } from 'vitest';
import { createRequire } from 'node:module';
import { crc32c } from '../../core/records/index.ts';
import { crc32cImplementation, crc32cPortable } from '../../core/records/crc32c.ts';

const require = createRequire(import.meta.url);
const kafkajsCrc32c = require('kafkajs/src/protocol/recordBatch/crc32C/index.js') as (b: Buffer) => number;

function seeded(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('crc32c', () => {
  it('matches the RFC 3720 (iSCSI) test vectors', () => {
    const ascending = Uint8Array.from({ length: 32 }, (_, i) => i);
    const descending = Uint8Array.from({ length: 32 }, (_, i) => 31 - i);
    for (const f of [crc32c, crc32cPortable]) {
      expect(f(new Uint8Array(32))).toBe(0x8a9136aa);
      expect(f(new Uint8Array(32).fill(0xff))).toBe(0x62a8ab43);
      expect(f(ascending)).toBe(0x46dd794e);
      expect(f(descending)).toBe(0x113fdb5c);
      expect(f(new TextEncoder().encode('123456789'))).toBe(0xe3069283);
      expect(f(new Uint8Array(0))).toBe(0);
    }
  });

  it('agrees with kafkajs on random data of every length and alignment', () => {
    const rnd = seeded(7);
    const big = Uint8Array.from({ length: 70_000 }, () => (rnd() * 256) | 0);
    for (const [start, length] of [[0, 1], [1, 7], [3, 15], [5, 16], [2, 17], [1, 63], [7, 64], [0, 1000], [13, 4097], [1, 65_536], [0, 70_000]]) {
      const slice = big.subarray(start!, start! + length!);
      const expected = kafkajsCrc32c(Buffer.from(slice));
      expect(crc32c(slice), `${start}+${length}`).toBe(expected);
      expect(crc32c(big, start, start! + length!), `${start}+${length} range`).toBe(expected);
      expect(crc32cPortable(slice)).toBe(expected);
    }
  });

  it('uses the WebAssembly path under Node (so the tests above exercised it)', () => {
    expect(crc32cImplementation).toBe('wasm');
  });

  it('gives the same result piecewise as whole', () => {
    const rnd = seeded(11);
    const data = Uint8Array.from({ length: 100_003 }, () => (rnd() * 256) | 0);
    const whole = crc32c(data);
    for (const cuts of [[1], [8, 9], [4096], [33, 50_000, 99_999], [100_002]]) {
      let crc = 0;
      let at = 0;
      for (const cut of [...cuts, data.length]) {
        crc = crc32c(data, at, cut, crc);
        at = cut;
      }
      expect(crc, cuts.join(',')).toBe(whole);
    }
  });
});
