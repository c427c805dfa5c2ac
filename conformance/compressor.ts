/**
 * The Compressor conformance suite: the vitest tests every compressor runs, ours and
 * anyone's.
 *
 * ```ts
 * import { compressorConformance } from 'tributary/conformance';
 * compressorConformance('my-brotli-ish-codec', () => myCodec({ level: 5 }));
 * ```
 *
 * `factory` must return a fresh compressor with default options. The suite checks round
 * trips over the inputs that break codecs (empty, one byte, incompressible, highly
 * repetitive, more than 1 MiB, every byte value), the declared identity (a stable name,
 * a codec id in 1..4), that compression actually compresses, that garbage and truncated
 * input are refused with a coded `TributaryError` rather than a crash or a hang, that
 * output sizes stay within `maxDecompressedBytes` when the factory honours options, and
 * that concurrent calls on one instance do not interfere.
 */
import { describe, expect, it } from 'vitest';
import type { Compressor } from '../core/contracts/compressor.ts';
import { TributaryError } from '../core/errors.ts';

/** Options of {@link compressorConformance}. */
export interface CompressorConformanceOptions {
  /**
   * Builds the compressor with a decompression limit, when the plugin supports one
   * (`{ maxDecompressedBytes }`); the limit test is skipped when absent.
   */
  withLimit?: (maxDecompressedBytes: number) => Compressor;
}

/** A deterministic pseudo-random generator (xorshift32), so failures reproduce. */
export function seededBytes(length: number, seed = 0x9e3779b9): Uint8Array {
  const out = new Uint8Array(length);
  let x = seed | 0 || 1;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

/** Kafka-like JSON records, newline-separated: realistic, compressible input. */
export function jsonRecords(bytes: number, seed = 1): Uint8Array {
  const enc = new TextEncoder();
  const parts: string[] = [];
  let size = 0;
  let x = seed;
  const next = () => (x = (Math.imul(x, 1103515245) + 12345) >>> 0);
  const words = ['alpha', 'bravo', 'charlie', 'delta', 'echo', 'foxtrot', 'golf', 'hotel', 'india', 'juliet'];
  for (let i = 0; size < bytes; i++) {
    const line = JSON.stringify({
      id: i,
      user: `user-${next() % 5000}`,
      event: words[next() % words.length],
      ts: 1_700_000_000_000 + i * 17 + (next() % 13),
      amount: (next() % 100_000) / 100,
      tags: [words[next() % 10], words[next() % 10]],
      session: (next() >>> 0).toString(16),
    });
    parts.push(line);
    size += line.length + 1;
  }
  return enc.encode(parts.join('\n')).subarray(0, bytes);
}

function sameBytes(actual: Uint8Array, expected: Uint8Array): void {
  expect(actual).toBeInstanceOf(Uint8Array);
  expect(actual.length).toBe(expected.length);
  // A byte-by-byte toEqual on megabytes is slow and prints badly; find the first difference.
  let first = -1;
  for (let i = 0; i < expected.length; i++) {
    if (actual[i] !== expected[i]) {
      first = i;
      break;
    }
  }
  expect(first, 'first differing byte').toBe(-1);
}

async function expectCodedFailure(run: () => Promise<unknown>): Promise<void> {
  let caught: unknown;
  try {
    await run();
  } catch (error) {
    caught = error;
  }
  expect(caught, 'decompress should reject').toBeInstanceOf(TributaryError);
  expect((caught as TributaryError).code).toMatch(/^[A-Z][A-Z0-9_]+$/);
}

/** Registers the conformance tests for the compressor built by `factory`. */
export function compressorConformance(name: string, factory: () => Compressor, options: CompressorConformanceOptions = {}): void {
  describe(`compressor conformance: ${name}`, () => {
    const roundTrip = async (input: Uint8Array) => {
      const c = factory();
      const compressed = await c.compress(input);
      expect(compressed).toBeInstanceOf(Uint8Array);
      sameBytes(await c.decompress(compressed), input);
      return compressed;
    };

    it('declares a stable name and a Kafka codec id in 1..4', () => {
      const a = factory();
      const b = factory();
      expect(typeof a.name).toBe('string');
      expect(a.name.length).toBeGreaterThan(0);
      expect(b.name).toBe(a.name);
      expect([1, 2, 3, 4]).toContain(a.codec);
      expect(b.codec).toBe(a.codec);
      expect(typeof a.compress).toBe('function');
      expect(typeof a.decompress).toBe('function');
    });

    it('round-trips empty input', async () => {
      await roundTrip(new Uint8Array(0));
    });

    it('round-trips one byte', async () => {
      await roundTrip(Uint8Array.of(0x42));
      await roundTrip(Uint8Array.of(0));
    });

    it('round-trips every byte value and short lengths', async () => {
      const all = new Uint8Array(256).map((_, i) => i);
      await roundTrip(all);
      for (const n of [2, 3, 4, 5, 11, 12, 13, 15, 16, 17, 31, 64, 65, 100]) await roundTrip(seededBytes(n, n).map((b) => b & 3));
    });

    it('round-trips incompressible random data without growing it much', async () => {
      const input = seededBytes(100_000);
      const compressed = await roundTrip(input);
      expect(compressed.length).toBeLessThan(input.length * 1.01 + 1024);
    });

    it('round-trips and shrinks highly compressible data', async () => {
      const zeros = new Uint8Array(200_000);
      expect((await roundTrip(zeros)).length).toBeLessThan(zeros.length / 20);
      const text = jsonRecords(64 * 1024);
      expect((await roundTrip(text)).length).toBeLessThan(text.length / 2);
    });

    it('round-trips more than 1 MiB of realistic records', async () => {
      await roundTrip(jsonRecords(1024 * 1024 + 12345, 7));
    });

    it('round-trips input that is a view into a larger buffer', async () => {
      const backing = jsonRecords(50_000, 3);
      await roundTrip(backing.subarray(1001, 40_003));
    });

    it('leaves its input unchanged', async () => {
      const input = jsonRecords(20_000, 5);
      const copy = input.slice();
      const c = factory();
      const compressed = await c.compress(input);
      const compressedCopy = compressed.slice();
      await c.decompress(compressed);
      sameBytes(input, copy);
      sameBytes(compressed, compressedCopy);
    });

    it('refuses garbage with a coded error', async () => {
      const c = factory();
      for (const garbage of [seededBytes(1000, 99), Uint8Array.of(0xff), new Uint8Array(64).fill(0xff)]) {
        await expectCodedFailure(() => c.decompress(garbage));
      }
    });

    it('refuses input that is not bytes with ERR_COMPRESSION / ERR_DECOMPRESSION', async () => {
      const c = factory();
      for (const [operation, code] of [['compress', 'ERR_COMPRESSION'], ['decompress', 'ERR_DECOMPRESSION']] as const) {
        for (const bad of [null, undefined, 'text', [1, 2, 3]]) {
          let caught: unknown;
          try {
            await c[operation](bad as never);
          } catch (error) {
            caught = error;
          }
          expect(caught, `${operation}(${JSON.stringify(bad)})`).toBeInstanceOf(TributaryError);
          expect((caught as TributaryError).code, `${operation}(${JSON.stringify(bad)})`).toBe(code);
        }
      }
    });

    it('refuses truncated output with a coded error', async () => {
      const c = factory();
      const compressed = await c.compress(jsonRecords(100_000, 11));
      for (const keep of [1, 5, Math.floor(compressed.length / 2), compressed.length - 1]) {
        await expectCodedFailure(() => c.decompress(compressed.subarray(0, keep)));
      }
    });

    it('never crashes or hangs on corrupted output (each result is bytes or a coded error)', async () => {
      const c = factory();
      const compressed = await c.compress(jsonRecords(30_000, 13));
      const rnd = seededBytes(64, 17);
      for (let i = 0; i < 32; i++) {
        const bad = compressed.slice();
        bad[(rnd[i]! * 131 + i * 977) % bad.length] ^= 1 << (rnd[i + 32]! & 7);
        try {
          const out = await c.decompress(bad);
          expect(out).toBeInstanceOf(Uint8Array);
        } catch (error) {
          expect(error).toBeInstanceOf(TributaryError);
        }
      }
    });

    it.skipIf(!options.withLimit)('enforces maxDecompressedBytes with a coded error', async () => {
      const limited = options.withLimit!(1000);
      const compressed = await factory().compress(new Uint8Array(100_000));
      await expectCodedFailure(() => limited.decompress(compressed));
      sameBytes(await limited.decompress(await factory().compress(new Uint8Array(1000).fill(9))), new Uint8Array(1000).fill(9));
    });

    it('keeps concurrent calls on one instance apart', async () => {
      const c = factory();
      const inputs = Array.from({ length: 16 }, (_, i) => (i % 2 ? jsonRecords(20_000 + i * 1000, i) : seededBytes(5000 + i, i + 1)));
      const compressed = await Promise.all(inputs.map((input) => c.compress(input)));
      const back = await Promise.all(compressed.map((z) => c.decompress(z)));
      back.forEach((out, i) => sameBytes(out, inputs[i]!));
      // Each compressed form decodes alone too (no state shared across calls).
      sameBytes(await factory().decompress(compressed[5]!), inputs[5]!);
    });
  });
}
