/**
 * The Serializer conformance suite. Every built-in serializer runs it, and so can a
 * third-party one:
 *
 * ```ts
 * import { serializerConformance } from 'tributary/conformance';
 * serializerConformance('my-format', () => myFormat(), [sampleA, sampleB], { invalid: [new Uint8Array([0xff])] });
 * ```
 *
 * It registers vitest `describe`/`it` blocks, so call it at the top level of a test file.
 */
import { describe, expect, it } from 'vitest';
import type { SerdeContext, Serializer } from '../core/contracts/serializer.ts';
import { TributaryError } from '../core/errors.ts';

/** What the suite may assume about a serializer. */
export interface SerializerConformanceOptions {
  /** Shown after the name in test titles, to tell apart several runs of one plugin. */
  label?: string;
  /**
   * Whether a payload with its last byte cut off is detectably corrupt (default true).
   * Set false for formats where any bytes are a valid value (UTF-8 text decoded
   * leniently, raw bytes) or where a shorter payload may still parse (JSON numbers).
   */
  detectsTruncation?: boolean;
  /** Byte sequences `deserialize` must refuse with `ERR_DESERIALIZATION`. */
  invalid?: readonly Uint8Array[];
  /** Values `serialize` must refuse with `ERR_SERIALIZATION`. */
  unserializable?: readonly unknown[];
  /**
   * Asserts that a round-tripped value equals the sample (default: vitest `toEqual`,
   * which compares bigints, typed arrays and nested objects by value).
   */
  assertEqual?: (actual: unknown, expected: unknown) => void;
}

const CONTEXTS: readonly (SerdeContext | undefined)[] = [undefined, { topic: 'conformance', isKey: true }, { topic: 'conformance', isKey: false }];

/** Runs `fn` and asserts that it throws a TributaryError with `code`. */
export function expectCoded(fn: () => unknown, code: string, what = 'the call'): TributaryError {
  let thrown: unknown;
  try {
    fn();
  } catch (error) {
    thrown = error;
  }
  expect(thrown, `${what} should throw ${code}`).toBeInstanceOf(TributaryError);
  expect((thrown as TributaryError).code, `${what}: ${(thrown as Error).message}`).toBe(code);
  return thrown as TributaryError;
}

/** `bytes` copied into the middle of a larger buffer, as records sit inside a fetched batch. */
function embedded(bytes: Uint8Array): Uint8Array {
  const host = new Uint8Array(bytes.length + 13).fill(0xa5);
  host.set(bytes, 7);
  return host.subarray(7, 7 + bytes.length);
}

/**
 * Registers the conformance tests for a serializer. `factory` returns a fresh
 * instance; `samples` are values that must round trip (at least one).
 */
export function serializerConformance<T>(
  name: string,
  factory: () => Serializer<T>,
  samples: readonly T[],
  options: SerializerConformanceOptions = {},
): void {
  if (samples.length === 0) throw new TypeError('serializerConformance needs at least one sample');
  const assertEqual = options.assertEqual ?? ((actual: unknown, expected: unknown) => expect(actual).toEqual(expected));

  describe(`Serializer conformance: ${name}${options.label ? ` (${options.label})` : ''}`, () => {
    it('has a stable, non-empty name', () => {
      const a = factory();
      const b = factory();
      expect(a.name).toBe(name);
      expect(b.name).toBe(name);
      a.serialize(samples[0]!);
      expect(a.name).toBe(name);
    });

    it('keeps null as null both ways', () => {
      const s = factory();
      for (const context of CONTEXTS) {
        expect(s.serialize(null, context)).toBeNull();
        expect(s.deserialize(null, context)).toBeNull();
      }
    });

    it('serializes every sample to a Uint8Array', () => {
      const s = factory();
      for (const sample of samples) {
        for (const context of CONTEXTS) expect(s.serialize(sample, context)).toBeInstanceOf(Uint8Array);
      }
    });

    it('round trips every sample, also through another instance', () => {
      const writer = factory();
      const reader = factory();
      for (const sample of samples) {
        for (const context of CONTEXTS) {
          const bytes = writer.serialize(sample, context)!;
          assertEqual(writer.deserialize(bytes, context), sample);
          assertEqual(reader.deserialize(bytes, context), sample);
        }
      }
    });

    it('reads bytes that are a view into a larger buffer', () => {
      const s = factory();
      for (const sample of samples) assertEqual(s.deserialize(embedded(s.serialize(sample)!)), sample);
    });

    it('does not reuse an earlier output buffer', () => {
      const s = factory();
      const outputs = samples.map((sample) => s.serialize(sample)!);
      const copies = outputs.map((bytes) => bytes.slice());
      for (const sample of [...samples].reverse()) s.serialize(sample);
      outputs.forEach((bytes, i) => expect(bytes).toEqual(copies[i]));
    });

    it('refuses input that is not bytes (ERR_DESERIALIZATION); undefined is not null', () => {
      const s = factory();
      for (const bad of [undefined, 'text', 42, [1, 2, 3]]) {
        expectCoded(() => s.deserialize(bad as never), 'ERR_DESERIALIZATION', `deserialize(${JSON.stringify(bad)})`);
      }
    });

    if (options.detectsTruncation !== false) {
      it('refuses a payload with its last byte cut off (ERR_DESERIALIZATION)', () => {
        const s = factory();
        for (const sample of samples) {
          const bytes = s.serialize(sample)!;
          if (bytes.length === 0) continue;
          expectCoded(() => s.deserialize(bytes.subarray(0, bytes.length - 1)), 'ERR_DESERIALIZATION', `deserialize(truncated ${JSON.stringify(Array.from(bytes))})`);
        }
      });
    }

    if (options.invalid?.length) {
      it('refuses invalid bytes (ERR_DESERIALIZATION)', () => {
        const s = factory();
        for (const bytes of options.invalid!) {
          expectCoded(() => s.deserialize(bytes), 'ERR_DESERIALIZATION', `deserialize(${JSON.stringify(Array.from(bytes))})`);
          expectCoded(() => s.deserialize(embedded(bytes)), 'ERR_DESERIALIZATION', 'deserialize(embedded invalid bytes)');
        }
      });
    }

    if (options.unserializable?.length) {
      it('refuses values it cannot write (ERR_SERIALIZATION)', () => {
        const s = factory();
        for (const value of options.unserializable!) expectCoded(() => s.serialize(value as T), 'ERR_SERIALIZATION', `serialize(${String(value)})`);
        // A refused value leaves the instance usable.
        assertEqual(s.deserialize(s.serialize(samples[0]!)), samples[0]);
      });
    }
  });
}
