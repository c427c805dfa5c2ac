/**
 * What the Storage conformance suite's operation files share: a model of the batches a log
 * should hold, and the helpers that append to a log and compare what it reads with the model.
 */
import { expect } from 'vitest';
import type { PartitionLog, SegmentInfo } from '../../core/contracts/storage.ts';
import { check, makeTestBatch, parseReadResult, sameBytes, type ReadBatch, type TestBatch } from './batches.ts';

export const BIG = 1 << 30;
export const enc = new TextEncoder();
export const dec = new TextDecoder();

export async function expectCode(fn: () => unknown, code: string): Promise<void> {
  let caught: unknown;
  try {
    await fn();
  } catch (error) {
    caught = error;
  }
  expect(caught, `expected an error with code ${code}`).toBeDefined();
  expect((caught as { code?: unknown }).code).toBe(code);
}

/** The batches a log should hold, for computing expected reads. */
export class Model {
  batches: TestBatch[] = [];
  add(b: TestBatch): void {
    this.batches.push(b);
  }
  /** Expected batches for read(offset, maxBytes, minOneBatch). */
  read(offset: number, maxBytes: number, minOne = true): TestBatch[] {
    const i = this.batches.findIndex((b) => b.info.lastOffset >= offset);
    if (i < 0) return [];
    const out: TestBatch[] = [];
    let total = 0;
    for (let j = i; j < this.batches.length; j++) {
      const size = this.batches[j]!.bytes.length;
      if (total + size > maxBytes && !(out.length === 0 && minOne)) break;
      out.push(this.batches[j]!);
      total += size;
    }
    return out;
  }
  dropBefore(start: number): void {
    this.batches = this.batches.filter((b) => b.info.lastOffset >= start);
  }
  dropFrom(offset: number): void {
    this.batches = this.batches.filter((b) => b.info.lastOffset < offset);
  }
  size(): number {
    return this.batches.reduce((n, b) => n + b.bytes.length, 0);
  }
}

/** Appends `n` contiguous batches starting at `from`, of varied sizes and rising timestamps. */
export async function appendMany(log: PartitionLog, model: Model, from: number, n: number, opts: { valueSize?: number; t0?: number } = {}): Promise<number> {
  let offset = from;
  for (let i = 0; i < n; i++) {
    const count = 1 + ((i * 7) % 5);
    const b = makeTestBatch({ baseOffset: offset, count, timestamp: (opts.t0 ?? 1_000_000) + offset * 10, timestampStep: 10, valueSize: opts.valueSize ?? 100 + ((i * 37) % 200) });
    await log.append(b.bytes, b.info);
    model.add(b);
    offset += count;
  }
  return offset;
}

export async function expectRead(log: PartitionLog, model: Model, offset: number, maxBytes = BIG, minOne?: boolean): Promise<ReadBatch[]> {
  const result = await log.read(offset, maxBytes, minOne === undefined ? undefined : { minOneBatch: minOne });
  const got = parseReadResult(result);
  const want = model.read(offset, maxBytes, minOne ?? true);
  expect(got.map((b) => b.baseOffset)).toEqual(want.map((b) => b.info.baseOffset));
  for (let i = 0; i < want.length; i++) check(sameBytes(got[i]!.bytes, want[i]!.bytes), `bytes of the batch at ${want[i]!.info.baseOffset} must be as appended`);
  return got;
}

export function checkSegments(log: PartitionLog, model: Model): readonly SegmentInfo[] {
  const segs = log.segments();
  const total = segs.reduce((n, s) => n + s.sizeBytes, 0);
  expect(total, 'segment sizes add up to sizeBytes()').toBe(log.sizeBytes());
  expect(log.sizeBytes(), 'sizeBytes() is the bytes of the batches held').toBe(model.size());
  for (let i = 0; i < segs.length; i++) {
    const s = segs[i]!;
    expect(s.nextOffset).toBeGreaterThanOrEqual(s.baseOffset);
    if (s.sizeBytes > 0) expect(s.nextOffset).toBeGreaterThan(s.baseOffset);
    if (i > 0) expect(s.baseOffset).toBeGreaterThanOrEqual(segs[i - 1]!.nextOffset);
    // Every batch lies wholly inside one segment.
    for (const b of model.batches) {
      if (b.info.baseOffset >= s.baseOffset && b.info.baseOffset < s.nextOffset) check(b.info.lastOffset < s.nextOffset, `batch ${b.info.baseOffset} must lie inside one segment`);
    }
  }
  if (model.batches.length > 0) {
    const nonEmpty = segs.filter((s) => s.sizeBytes > 0);
    expect(nonEmpty[0]!.baseOffset).toBeLessThanOrEqual(model.batches[0]!.info.baseOffset);
    expect(nonEmpty[0]!.baseOffset).toBeGreaterThanOrEqual(log.startOffset());
    expect(nonEmpty.at(-1)!.nextOffset).toBe(log.endOffset());
    const maxTs = Math.max(...model.batches.map((b) => b.info.maxTimestamp));
    expect(Math.max(...segs.map((s) => s.maxTimestamp))).toBe(maxTs);
    for (const s of nonEmpty) {
      const inside = model.batches.filter((b) => b.info.baseOffset >= s.baseOffset && b.info.lastOffset < s.nextOffset);
      expect(s.sizeBytes).toBe(inside.reduce((n, b) => n + b.bytes.length, 0));
      expect(s.maxTimestamp).toBe(Math.max(...inside.map((b) => b.info.maxTimestamp)));
    }
  }
  return segs;
}
