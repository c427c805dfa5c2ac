import { describe, expect, it } from 'vitest';
import { murmur2, partitionForKey, toPositive } from '../../plugins/partitioners/murmur2-hash.ts';

const utf8 = (s: string) => new TextEncoder().encode(s);

describe('murmur2 (Kafka Utils.murmur2)', () => {
  // Kafka's own vectors: clients/src/test/java/org/apache/kafka/common/utils/UtilsTest.java, testMurmur2.
  it.each([
    ['21', -973932308],
    ['foobar', -790332482],
    ['a-little-bit-long-string', -985981536],
    ['a-little-bit-longer-string', -1486304829],
    ['lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8', -58897971],
    ['abc', 479470107],
  ])('hashes %j to %i', (key, expected) => {
    expect(murmur2(utf8(key))).toBe(expected);
  });

  it('hashes raw bytes, including bytes ≥ 0x80, as Java does', () => {
    // Not one of Kafka's published vectors: the value is what kafkajs' Java-compatible
    // murmur2 gives for these bytes (see kafkajs-cross-check.test.ts for many more).
    expect(murmur2(new Uint8Array([12, 42, 56, 24, 109, 111]))).toBe(274204207);
    // Tails of 0..3 bytes around a high byte give signed 32-bit results.
    for (let len = 0; len < 9; len++) {
      const h = murmur2(new Uint8Array(len).fill(0xff));
      expect(Number.isInteger(h) && h >= -(2 ** 31) && h < 2 ** 31).toBe(true);
    }
  });

  it('hashes a view into a larger buffer like a copy', () => {
    const host = utf8('xxfoobaryy');
    expect(murmur2(host.subarray(2, 8))).toBe(-790332482);
  });

  it('toPositive clears the sign bit (not abs, not >>> 0)', () => {
    expect(toPositive(-973932308)).toBe(1173551340);
    expect(toPositive(-2147483648)).toBe(0);
    expect(toPositive(-1)).toBe(2147483647);
    expect(toPositive(479470107)).toBe(479470107);
    expect(partitionForKey(utf8('21'), 12)).toBe(1173551340 % 12);
  });
});
