/**
 * The record accumulator on its own: which batch a record joins, when a batch closes
 * (linger, batchSize, force, a different acks or codec), what closing does (numbering,
 * encoding, the partitioner told), and what deallocating frees.
 */
import { describe, expect, it } from 'vitest';
import type { Partitioner } from '../../../core/contracts/partitioner.ts';
import { RecordAccumulator } from '../../../core/client/producer/accumulator.ts';
import { BufferMemory } from '../../../core/client/producer/buffer-memory.ts';
import { Delivery, type ProducerBatch } from '../../../core/client/producer/producer-batch.ts';
import type { PreparedRecord } from '../../../core/client/producer/types.ts';
import type { ResolvedCompression } from '../../../core/client/serde.ts';
import { BATCH_HEADER_SIZE, readBatchHeader } from '../../../core/records/batch-header.ts';
import { NO_HEADERS } from '../../../core/records/record.ts';
import { Registry } from '../../../core/registry.ts';

const enc = new TextEncoder();
const NONE: ResolvedCompression = { codec: 0, source: new Registry() };

function record(topic: string, value: string, partition?: number): PreparedRecord {
  const bytes = enc.encode(value);
  return { topic, record: { key: null, value: bytes, headers: NO_HEADERS, timestamp: 1000 }, partition, size: 21 + bytes.length };
}

function setup(options: { lingerMs?: number; batchSize?: number; partitions?: number } = {}) {
  const events = { wakes: [] as number[], drains: 0, failed: [] as Array<{ batch: ProducerBatch; error: unknown }> };
  const closed: Array<[string, number, number]> = [];
  const partitioner: Partitioner = {
    name: 'fixed-zero',
    partition: () => 0,
    onBatchClosed: (topic, partition, count) => void closed.push([topic, partition, count]),
  };
  const numbered: ProducerBatch[] = [];
  const memory = new BufferMemory(1 << 20);
  const accumulator = new RecordAccumulator({
    lingerMs: options.lingerMs ?? 10,
    batchSize: options.batchSize ?? 16384,
    memory,
    idempotence: { assignSequence: (batch) => void numbered.push(batch) },
    partitionCount: () => options.partitions ?? 2,
    partitionerFor: () => partitioner,
    compressionFor: () => NONE,
    events: {
      wakeAt: (at) => void events.wakes.push(at),
      drainSoon: () => void events.drains++,
      failed: (batch, error) => void events.failed.push({ batch, error }),
    },
  });
  /** Appends as the producer front does: reserve, then append. */
  const append = (p: PreparedRecord, delivery: Delivery, now: number, acks = -1, compression?: ResolvedCompression) => {
    expect(memory.tryReserve(p.size)).toBe(true);
    accumulator.append(p, accumulator.route(p.topic), acks, compression, delivery, now);
  };
  return { accumulator, memory, events, closed, numbered, append };
}

function onlyQueue(accumulator: RecordAccumulator) {
  const queues = [...accumulator.queues()];
  expect(queues).toHaveLength(1);
  return queues[0]!;
}

describe('record accumulator', () => {
  it('lingers: an open batch is due lingerMs after it opened, then closes, is numbered and encoded once', () => {
    const { accumulator, events, closed, numbered, append } = setup({ lingerMs: 10 });
    const delivery = new Delivery();
    append(record('t', 'a'), delivery, 1000);
    append(record('t', 'b'), delivery, 1003);
    // One wake, for the batch's open time plus linger.
    expect(events.wakes).toEqual([1010]);
    const q = onlyQueue(accumulator);
    expect(q.open?.records).toHaveLength(2);
    expect(accumulator.closeDue(1009, false)).toBe(1010);
    expect(q.open).not.toBeNull();
    expect(accumulator.closeDue(1010, false)).toBe(Infinity);
    expect(q.open).toBeNull();
    expect(q.ready).toHaveLength(1);
    const batch = q.ready[0]!;
    expect(batch.recordCount).toBe(2);
    expect(numbered).toEqual([batch]);
    expect(closed).toEqual([['t', 0, 2]]);
    // Encoded without compression at once; the records are let go.
    expect(batch.bytes).not.toBeNull();
    expect(readBatchHeader(batch.bytes!).recordCount).toBe(2);
    expect(batch.records).toEqual([]);
  });

  it('force closes a batch before its linger is up', () => {
    const { accumulator, append } = setup({ lingerMs: 1000 });
    append(record('t', 'a'), new Delivery(), 1000);
    expect(accumulator.closeDue(1001, true)).toBe(Infinity);
    expect(onlyQueue(accumulator).ready).toHaveLength(1);
  });

  it('closes a batch that reaches batchSize and asks for a drain; the next record opens a new batch', () => {
    const value = 'x'.repeat(100);
    const size = record('t', value).size;
    const { accumulator, events, append } = setup({ batchSize: BATCH_HEADER_SIZE + 2 * size });
    const delivery = new Delivery();
    append(record('t', value), delivery, 1000);
    expect(events.drains).toBe(0);
    append(record('t', value), delivery, 1000);
    expect(events.drains).toBe(1);
    const q = onlyQueue(accumulator);
    expect(q.open).toBeNull();
    expect(q.ready.map((b) => b.recordCount)).toEqual([2]);
    append(record('t', value), delivery, 1000);
    expect(q.open?.records).toHaveLength(1);
    expect(q.open!.id).toBeGreaterThan(q.ready[0]!.id);
  });

  it('a record that would overflow the open batch closes it first', () => {
    const value = 'y'.repeat(100);
    const size = record('t', value).size;
    const { accumulator, append } = setup({ batchSize: BATCH_HEADER_SIZE + size + size / 2 });
    append(record('t', value), new Delivery(), 1000);
    append(record('t', value), new Delivery(), 1000);
    const q = onlyQueue(accumulator);
    expect(q.ready.map((b) => b.recordCount)).toEqual([1]);
    expect(q.open?.records).toHaveLength(1);
  });

  it('starts a new batch when acks or compression differ from the open one', () => {
    const { accumulator, append } = setup();
    const gzipLike: ResolvedCompression = { codec: 1, source: NONE.source };
    append(record('t', 'a'), new Delivery(), 1000, -1);
    append(record('t', 'b'), new Delivery(), 1000, 1);
    const q = onlyQueue(accumulator);
    expect(q.ready.map((b) => b.acks)).toEqual([-1]);
    expect(q.open?.acks).toBe(1);
    append(record('t', 'c'), new Delivery(), 1000, 1, gzipLike);
    expect(q.ready.map((b) => b.acks)).toEqual([-1, 1]);
    expect(q.open?.compression.codec).toBe(1);
  });

  it('keeps one queue per partition; an explicit partition beyond the count is UNKNOWN_TOPIC_OR_PARTITION', () => {
    const { accumulator, memory, append } = setup({ partitions: 2 });
    append(record('t', 'a', 1), new Delivery(), 1000);
    append(record('t', 'b'), new Delivery(), 1000);
    append(record('u', 'c', 1), new Delivery(), 1000);
    expect([...accumulator.queues()].map((q) => `${q.topic}-${q.partition}`).sort()).toEqual(['t-0', 't-1', 'u-1']);
    const bad = record('t', 'd', 2);
    expect(() => accumulator.append(bad, accumulator.route('t'), -1, undefined, new Delivery(), 1000)).toThrow(expect.objectContaining({ code: 'UNKNOWN_TOPIC_OR_PARTITION' }));
    expect(memory.used).toBe(record('t', 'a').size + record('t', 'b').size + record('u', 'c').size);
  });

  it('deallocate frees the batch memory once, wakes its waiters and drops the idle queue; remove takes a batch out of its queue', async () => {
    const { accumulator, memory, append } = setup();
    const delivery = new Delivery();
    append(record('t', 'a'), delivery, 1000);
    accumulator.closeDue(2000, false);
    const q = onlyQueue(accumulator);
    const batch = q.ready[0]!;
    expect(accumulator.allBatches()).toEqual([batch]);
    expect(accumulator.busy).toBe(true);
    const finished = batch.finished();
    accumulator.remove(batch);
    expect(q.ready).toEqual([]);
    accumulator.deallocate(batch);
    accumulator.deallocate(batch);
    await finished;
    expect(batch.done).toBe(true);
    expect(batch.bytes).toBeNull();
    expect(memory.used).toBe(0);
    expect(accumulator.busy).toBe(false);
    expect([...accumulator.queues()]).toEqual([]);
  });
});
