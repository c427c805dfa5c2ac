/**
 * Mutation fuzzing of the batch decoder: whatever the bytes, decoding either succeeds or
 * throws a TributaryError — never a RangeError, TypeError or a hang. Seeded, so a
 * failure reproduces; the seed and case number are in the assertion message.
 */
import { describe, expect, it } from 'vitest';
import { TributaryError } from '../../core/errors.ts';
import { Registry } from '../../core/registry.ts';
import { BatchField, crc32c, decodeBatch, decodeBatches, decodeBatchSync, encodeBatch, encodeBatchSync, type RecordInput } from '../../core/records/index.ts';
import { gzip } from '../../plugins/compressors/gzip.ts';

function prng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const SEED = 20_261_122;
const CASES = 4_000;

function sampleBatches(rnd: () => number): RecordInput[][] {
  const bytes = (n: number) => Uint8Array.from({ length: n }, () => (rnd() * 256) | 0);
  const batches: RecordInput[][] = [];
  for (let b = 0; b < 12; b++) {
    const n = 1 + ((rnd() * 12) | 0);
    batches.push(
      Array.from({ length: n }, (_, i) => ({
        key: rnd() < 0.3 ? null : bytes((rnd() * 20) | 0),
        value: rnd() < 0.1 ? null : bytes((rnd() * 200) | 0),
        timestamp: 1_700_000_000_000 + Math.round((rnd() - 0.5) * 2 ** 40),
        headers: rnd() < 0.5 ? [] : Array.from({ length: (rnd() * 4) | 0 }, (_, h) => ({ key: `h${h}-${i}`, value: rnd() < 0.2 ? null : bytes((rnd() * 10) | 0) })),
      })),
    );
  }
  return batches;
}

function mutate(rnd: () => number, original: Uint8Array): { bytes: Uint8Array; restamp: boolean } {
  let bytes = original.slice();
  const kind = (rnd() * 6) | 0;
  if (kind === 0) {
    bytes = bytes.subarray(0, (rnd() * bytes.length) | 0);
  } else if (kind === 1) {
    for (let k = 1 + ((rnd() * 4) | 0); k > 0; k--) bytes[(rnd() * bytes.length) | 0] ^= 1 << ((rnd() * 8) | 0);
  } else if (kind === 2) {
    // Set a byte in the records area to an extreme value (varint continuation, negatives).
    const at = 61 + ((rnd() * (bytes.length - 61)) | 0);
    bytes[at] = [0x00, 0x01, 0x7f, 0x80, 0xff, 0xfe][(rnd() * 6) | 0]!;
  } else if (kind === 3) {
    const at = (rnd() * bytes.length) | 0;
    const extra = Uint8Array.from({ length: 1 + ((rnd() * 8) | 0) }, () => (rnd() * 256) | 0);
    const grown = new Uint8Array(bytes.length + extra.length);
    grown.set(bytes.subarray(0, at));
    grown.set(extra, at);
    grown.set(bytes.subarray(at), at + extra.length);
    bytes = grown;
  } else if (kind === 4) {
    // A header field: record count, batch length, attributes, last offset delta.
    const field = [BatchField.recordCount, BatchField.batchLength, BatchField.attributes, BatchField.lastOffsetDelta][(rnd() * 4) | 0]!;
    const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    dv.setInt32(field, [0, -1, 1, 2 ** 31 - 1, -(2 ** 31), dv.getInt32(field) + 1, dv.getInt32(field) - 1][(rnd() * 7) | 0]!);
  } else {
    bytes = bytes.subarray(0, Math.max(0, bytes.length - 1 - ((rnd() * 4) | 0)));
  }
  return { bytes, restamp: rnd() < 0.7 };
}

function restampCrc(bytes: Uint8Array): void {
  if (bytes.length < 61) return;
  new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).setUint32(BatchField.crc, crc32c(bytes, BatchField.attributes, bytes.length));
}

function describeFailure(error: unknown): string | null {
  return error instanceof TributaryError ? null : `${(error as Error)?.name}: ${(error as Error)?.message}`;
}

describe('decoder fuzz', () => {
  it(`uncompressed: ${CASES} mutated batches decode or throw a TributaryError`, () => {
    const rnd = prng(SEED);
    const encoded = sampleBatches(rnd).map((records) => encodeBatchSync({ records, producerId: 3, baseSequence: 5 }));
    const failures: string[] = [];
    let decoded = 0;
    for (let i = 0; i < CASES; i++) {
      const { bytes, restamp } = mutate(rnd, encoded[i % encoded.length]!);
      if (restamp) restampCrc(bytes);
      try {
        const batch = decodeBatchSync(bytes, 0, { verifyCrc: !restamp || rnd() < 0.5 });
        for (const r of batch.records) {
          if (r.value && r.value.buffer !== bytes.buffer) failures.push(`case ${i}: value not a view`);
        }
        decoded++;
      } catch (error) {
        const f = describeFailure(error);
        if (f) failures.push(`seed ${SEED} case ${i}: ${f}`);
      }
    }
    expect(failures).toEqual([]);
    // The fuzzer must exercise both outcomes, or it is not testing the checks.
    expect(decoded).toBeGreaterThan(10);
    expect(decoded).toBeLessThan(CASES);
  });

  it('gzip: mutated compressed batches decode or throw a TributaryError', async () => {
    const rnd = prng(SEED + 1);
    const registry = new Registry().register('compressor', 'gzip', gzip);
    const encoded = await Promise.all(sampleBatches(rnd).map((records) => encodeBatch({ records, compression: 1 }, registry)));
    const failures: string[] = [];
    for (let i = 0; i < 600; i++) {
      const { bytes, restamp } = mutate(rnd, encoded[i % encoded.length]!);
      if (restamp) restampCrc(bytes);
      try {
        await decodeBatch(bytes, 0, { registry, verifyCrc: !restamp });
      } catch (error) {
        const f = describeFailure(error);
        if (f) failures.push(`seed ${SEED + 1} case ${i}: ${f}`);
      }
    }
    expect(failures).toEqual([]);
  });

  it('concatenated buffers: truncation anywhere never throws, mutation throws only TributaryError', async () => {
    const rnd = prng(SEED + 2);
    const parts = sampleBatches(rnd).map((records, i) => encodeBatchSync({ records, baseOffset: i * 100 }));
    const all = new Uint8Array(parts.reduce((s, p) => s + p.length, 0));
    let at = 0;
    for (const p of parts) {
      all.set(p, at);
      at += p.length;
    }
    for (let i = 0; i < 300; i++) {
      const cut = (rnd() * all.length) | 0;
      const batches = await decodeBatches(all.subarray(0, cut));
      expect(batches.every((b) => b.baseOffset % 100 === 0)).toBe(true);
    }
    const failures: string[] = [];
    for (let i = 0; i < 300; i++) {
      const { bytes } = mutate(rnd, all);
      try {
        await decodeBatches(bytes);
      } catch (error) {
        const f = describeFailure(error);
        if (f) failures.push(`case ${i}: ${f}`);
      }
    }
    expect(failures).toEqual([]);
  });
});
