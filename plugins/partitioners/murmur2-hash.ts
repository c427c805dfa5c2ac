/**
 * Kafka's key hash: MurmurHash2 exactly as the Java client's `Utils.murmur2` computes
 * it (seed 0x9747b28c), and `Utils.toPositive`. A keyed record goes to
 * `toPositive(murmur2(key)) % partitionCount`, so every client that follows the Java
 * one puts a key on the same partition.
 */

const SEED = 0x9747b28c;
const M = 0x5bd1e995;

/**
 * MurmurHash2 of `data` as a signed 32-bit integer, identical to Java's
 * `Utils.murmur2(byte[])`. Math.imul gives the low 32 bits of the product, which is
 * what Java's overflowing `int` multiplication keeps.
 */
export function murmur2(data: Uint8Array): number {
  const length = data.length;
  let h = SEED ^ length;
  const blocks = length & ~3;
  let i = 0;
  for (; i < blocks; i += 4) {
    // Little-endian 4-byte blocks, as Java assembles them.
    let k = data[i]! | (data[i + 1]! << 8) | (data[i + 2]! << 16) | (data[i + 3]! << 24);
    k = Math.imul(k, M);
    k ^= k >>> 24;
    k = Math.imul(k, M);
    h = Math.imul(h, M) ^ k;
  }
  // Java's tail switch falls through 3 → 2 → 1; spelled out as ifs.
  const tail = length & 3;
  if (tail !== 0) {
    if (tail === 3) h ^= data[i + 2]! << 16;
    if (tail >= 2) h ^= data[i + 1]! << 8;
    h ^= data[i]!;
    h = Math.imul(h, M);
  }
  h ^= h >>> 13;
  h = Math.imul(h, M);
  h ^= h >>> 15;
  return h | 0;
}

/**
 * Java's `Utils.toPositive`: clears the sign bit. Not `Math.abs` (which differs on
 * negative values and overflows on -2^31) and not `>>> 0` (which gives another number).
 */
export function toPositive(n: number): number {
  return n & 0x7fffffff;
}

/** The partition Kafka's Java client chooses for a keyed record. */
export function partitionForKey(key: Uint8Array, partitionCount: number): number {
  return toPositive(murmur2(key)) % partitionCount;
}
