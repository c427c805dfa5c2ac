/**
 * The Partitioner conformance suite. Every built-in partitioner runs it, and so can a
 * third-party one:
 *
 * ```ts
 * import { partitionerConformance } from 'tributary/conformance';
 * partitionerConformance('my-partitioner', () => myPartitioner(), { keyAware: true });
 * ```
 *
 * It registers vitest `describe`/`it` blocks, so call it at the top level of a test file.
 */
import { describe, expect, it } from 'vitest';
import type { PartitionInput, Partitioner } from '../core/contracts/partitioner.ts';

/** What the suite may assume about a partitioner. */
export interface PartitionerConformanceOptions {
  /** Shown after the name in test titles, to tell apart several runs of one plugin. */
  label?: string;
  /**
   * Whether the key alone decides a keyed record's partition (default true): then the
   * same key and partition count give the same partition, in any instance, whatever
   * else was partitioned before. Set false for round-robin and the like.
   */
  keyAware?: boolean;
}

/** Deterministic pseudo-random keys of lengths 0..40 (xorshift, so runs are repeatable). */
function makeKeys(count: number, seed = 0x2545f491): Uint8Array[] {
  let x = seed;
  const next = () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return x >>> 0;
  };
  const keys: Uint8Array[] = [new Uint8Array(0)];
  for (let i = 1; i < count; i++) {
    const key = new Uint8Array(next() % 41);
    for (let j = 0; j < key.length; j++) key[j] = next() & 0xff;
    keys.push(key);
  }
  return keys;
}

function expectInRange(partition: number, partitionCount: number, input: string): void {
  if (!Number.isInteger(partition) || partition < 0 || partition >= partitionCount) {
    expect.fail(`partition(${input}) returned ${partition}, expected an integer in [0, ${partitionCount})`);
  }
}

/**
 * Registers the conformance tests for a partitioner. `factory` returns a fresh
 * instance (partitioners may keep state, so each producer has its own).
 */
export function partitionerConformance(name: string, factory: () => Partitioner, options: PartitionerConformanceOptions = {}): void {
  const keyAware = options.keyAware !== false;
  const keys = makeKeys(64);

  describe(`Partitioner conformance: ${name}${options.label ? ` (${options.label})` : ''}`, () => {
    it('has a stable, non-empty name', () => {
      const p = factory();
      expect(p.name).toBe(name);
      p.partition({ topic: 't', key: null, partitionCount: 3 });
      expect(p.name).toBe(name);
      expect(factory().name).toBe(name);
    });

    it('returns an integer in [0, n) for n in 1..1000, keyed and keyless', () => {
      const p = factory();
      for (let n = 1; n <= 1000; n++) {
        for (let i = 0; i < 4; i++) {
          const key = keys[(n * 7 + i) % keys.length]!;
          const keyed = p.partition({ topic: 'range', key, partitionCount: n });
          expectInRange(keyed, n, `key of ${key.length} bytes, n=${n}`);
          const topic = i % 2 ? 'range' : 'other';
          const keyless = p.partition({ topic, key: null, value: key, partitionCount: n });
          expectInRange(keyless, n, `keyless, n=${n}`);
          // Close batches now and then, as a producer would.
          if ((n + i) % 3 === 0) p.onBatchClosed?.(topic, keyless, n);
        }
      }
    });

    it('sends everything to partition 0 when there is one partition', () => {
      const p = factory();
      for (let i = 0; i < 50; i++) {
        expect(p.partition({ topic: `t${i % 3}`, key: keys[i % keys.length]!, partitionCount: 1 })).toBe(0);
        expect(p.partition({ topic: `t${i % 3}`, key: null, partitionCount: 1 })).toBe(0);
        p.onBatchClosed?.(`t${i % 3}`, 0, 1);
      }
    });

    it('stays in range when the partition count changes', () => {
      const p = factory();
      for (const n of [8, 3, 50, 1, 7, 1000, 2]) {
        for (let i = 0; i < 20; i++) {
          expectInRange(p.partition({ topic: 'grow', key: null, partitionCount: n }), n, `keyless after a count change, n=${n}`);
          expectInRange(p.partition({ topic: 'grow', key: keys[i]!, partitionCount: n }), n, `keyed after a count change, n=${n}`);
        }
        p.onBatchClosed?.('grow', 0, n);
      }
    });

    it('refuses a partition count below 1 or a key that is not bytes with ERR_INVALID_ARGUMENT', () => {
      const p = factory();
      const calls: Array<[string, () => unknown]> = [
        ['partitionCount 0', () => p.partition({ topic: 'bad', key: keys[0]!, partitionCount: 0 })],
        ['partitionCount NaN', () => p.partition({ topic: 'bad', key: null, partitionCount: Number.NaN })],
        ['partitionCount 2.5', () => p.partition({ topic: 'bad', key: null, partitionCount: 2.5 })],
        ['string key', () => p.partition({ topic: 'bad', key: 'abc' as never, partitionCount: 3 })],
        ['number key', () => p.partition({ topic: 'bad', key: 7 as never, partitionCount: 3 })],
      ];
      for (const [what, call] of calls) {
        let code: string | undefined = 'no error';
        try {
          call();
        } catch (error) {
          code = (error as { code?: string }).code;
        }
        expect(code, what).toBe('ERR_INVALID_ARGUMENT');
      }
    });

    it('does not modify the key', () => {
      const p = factory();
      for (const key of keys) {
        const copy = key.slice();
        p.partition({ topic: 'k', key, partitionCount: 10 });
        expect(key).toEqual(copy);
      }
    });

    it('treats onBatchClosed as optional and safe', () => {
      const p = factory();
      if (p.onBatchClosed === undefined) return;
      expect(typeof p.onBatchClosed).toBe('function');
      // Before any record, for topics never seen, for partitions it never chose.
      p.onBatchClosed('never-seen', 0, 4);
      p.onBatchClosed('never-seen', 3, 4);
      for (let round = 0; round < 200; round++) {
        const n = 1 + (round % 17);
        const chosen = p.partition({ topic: 'closing', key: null, partitionCount: n });
        expectInRange(chosen, n, `keyless after onBatchClosed, n=${n}`);
        p.onBatchClosed('closing', chosen, n);
        p.onBatchClosed('closing', (chosen + 1) % n, n);
      }
    });

    if (keyAware) {
      it('puts the same key on the same partition, in every instance', () => {
        const a = factory();
        const counts = [1, 2, 3, 7, 10, 64, 100, 1000];
        const first = new Map<string, number>();
        for (const n of counts) for (const [i, key] of keys.entries()) first.set(`${n}/${i}`, a.partition({ topic: 'same', key, partitionCount: n }));
        // Keyless records, batch closings and other topics in between must not matter.
        for (let i = 0; i < 100; i++) {
          const p = a.partition({ topic: 'same', key: null, partitionCount: 10 });
          a.onBatchClosed?.('same', p, 10);
        }
        const b = factory();
        for (const n of counts) {
          for (const [i, key] of keys.entries()) {
            const expected = first.get(`${n}/${i}`);
            expect(a.partition({ topic: 'same', key, partitionCount: n })).toBe(expected);
            expect(b.partition({ topic: 'other-topic', key, partitionCount: n })).toBe(expected);
          }
        }
      });

      it('reads keys that are views into a larger buffer', () => {
        const p = factory();
        for (const key of keys) {
          const host = new Uint8Array(key.length + 11).fill(0x5a);
          host.set(key, 5);
          const input: PartitionInput = { topic: 'view', key: host.subarray(5, 5 + key.length), partitionCount: 97 };
          expect(p.partition(input)).toBe(p.partition({ topic: 'view', key: key.slice(), partitionCount: 97 }));
        }
      });
    }
  });
}
