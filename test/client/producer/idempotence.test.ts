/**
 * The idempotence manager on its own: sequences per partition, the gap a rejected batch
 * leaves, when a new epoch is needed, the KIP-360 epoch bump and restamping.
 */
import { describe, expect, it } from 'vitest';
import { IdempotenceManager, MAX_SEQUENCE, type ProducerIdAndEpoch, needsRestamp, restamp } from '../../../core/client/producer/idempotence.ts';
import { PartitionQueue, ProducerBatch } from '../../../core/client/producer/producer-batch.ts';
import type { Logger } from '../../../core/contracts/logger.ts';
import { TributaryError, kafkaError } from '../../../core/errors.ts';
import { ApiKey } from '../../../core/protocol/api-keys.ts';
import { computeBatchCrc, readBatchHeader } from '../../../core/records/batch-header.ts';
import { NO_HEADERS } from '../../../core/records/record.ts';
import { encodeBatchSync } from '../../../core/records/record-batch.ts';
import { Registry } from '../../../core/registry.ts';

const NONE = { codec: 0, source: new Registry() };
const quiet: Logger = { debug() {}, info() {}, warn() {}, error() {} };
const ADVERTISED = [{ apiKey: ApiKey.InitProducerId, minVersion: 0, maxVersion: 4 }];

/** A manager whose InitProducerId answers from `answers` in turn (and records what it was asked). */
async function started(answers: Array<ProducerIdAndEpoch | Error> = [{ producerId: 7, producerEpoch: 0 }]) {
  const asked: Array<[number, number]> = [];
  const manager = new IdempotenceManager({
    enabled: true,
    explicit: false,
    logger: quiet,
    initProducerId: async (producerId, producerEpoch) => {
      asked.push([producerId, producerEpoch]);
      const next = answers.shift();
      if (!next) throw new Error('no more answers');
      if (next instanceof Error) throw next;
      return next;
    },
  });
  await manager.start(ADVERTISED);
  return { manager, asked };
}

let nextId = 1;
/** A closed batch of `count` records on `q`, numbered as the accumulator does. */
function closedBatch(manager: IdempotenceManager, q: PartitionQueue, count: number, acks = -1): ProducerBatch {
  const batch = new ProducerBatch(nextId++, q, acks, NONE, 61, 0);
  batch.recordCount = count;
  manager.assignSequence(batch);
  q.ready.push(batch);
  return batch;
}

/** Sends a batch (as the sender does: out of ready, in flight, handed over). */
function inFlight(batch: ProducerBatch): void {
  const q = batch.queue;
  q.ready.splice(q.ready.indexOf(batch), 1);
  q.inFlight.add(batch);
  batch.handedOver = true;
}

/** Fails a batch for good (as the sender does: out of its queue, then batchFailed). */
function failed(manager: IdempotenceManager, batch: ProducerBatch, error: unknown): void {
  const q = batch.queue;
  q.inFlight.delete(batch);
  const at = q.ready.indexOf(batch);
  if (at >= 0) q.ready.splice(at, 1);
  manager.batchFailed(batch, error, false);
}

describe('idempotence manager', () => {
  it('goes without idempotence when the broker does not advertise InitProducerId', async () => {
    const warnings: string[] = [];
    const manager = new IdempotenceManager({ enabled: true, explicit: true, logger: { ...quiet, warn: (m) => void warnings.push(m) }, initProducerId: () => Promise.reject(new Error('not called')) });
    expect(manager.wanted).toBe(true);
    await manager.start([]);
    expect(manager.wanted).toBe(false);
    expect(manager.active).toBe(false);
    expect(warnings).toHaveLength(1);
    const batch = closedBatch(manager, new PartitionQueue('t', 0), 3);
    expect(batch.baseSequence).toBe(-1);
    expect(batch.producerId).toBe(-1);
  });

  it('numbers each partition from 0 by record count, and leaves batches with acks other than all plain', async () => {
    const { manager, asked } = await started();
    expect(asked).toEqual([[-1, -1]]);
    expect([manager.producerId, manager.producerEpoch, manager.active]).toEqual([7, 0, true]);
    const p0 = new PartitionQueue('t', 0);
    const p1 = new PartitionQueue('t', 1);
    const a = closedBatch(manager, p0, 3);
    const b = closedBatch(manager, p0, 2);
    const c = closedBatch(manager, p1, 4);
    const plain = closedBatch(manager, p0, 5, 1);
    const d = closedBatch(manager, p0, 1);
    expect([a, b, c, d].map((x) => x.baseSequence)).toEqual([0, 3, 0, 5]);
    expect([a.producerId, a.producerEpoch, a.stampedSequence, a.stampedProducerId]).toEqual([7, 0, 0, 7]);
    expect([plain.baseSequence, plain.producerId]).toEqual([-1, -1]);
    expect(manager.nextSequence('t', 0)).toBe(6);
    expect(manager.nextSequence('t', 1)).toBe(4);
    expect(manager.nextSequence('u', 0)).toBe(0);
  });

  it('wraps sequences after MAX_SEQUENCE', async () => {
    const { manager } = await started();
    const q = new PartitionQueue('t', 0);
    closedBatch(manager, q, MAX_SEQUENCE - 1);
    const last = closedBatch(manager, q, 3);
    expect(last.baseSequence).toBe(MAX_SEQUENCE - 1);
    expect(manager.nextSequence('t', 0)).toBe(1);
  });

  it('a batch rejected for certain closes its gap: later batches and the next sequence move down, no new epoch', async () => {
    const { manager } = await started();
    const q = new PartitionQueue('t', 0);
    const first = closedBatch(manager, q, 2);
    const rejected = closedBatch(manager, q, 3);
    const later = closedBatch(manager, q, 4);
    inFlight(first);
    inFlight(rejected);
    failed(manager, rejected, kafkaError(87));
    expect(later.baseSequence).toBe(2);
    expect(first.baseSequence).toBe(0);
    expect(manager.nextSequence('t', 0)).toBe(6);
    expect(needsRestamp(later)).toBe(true);
    expect(manager.holding).toBe(false);
  });

  it('a batch never handed over closes its gap whatever the error', async () => {
    const { manager } = await started();
    const q = new PartitionQueue('t', 0);
    const never = closedBatch(manager, q, 3);
    const later = closedBatch(manager, q, 1);
    failed(manager, never, new TributaryError('ERR_CONNECTION_CLOSED', 'cut', { retriable: true }));
    expect(later.baseSequence).toBe(0);
    expect(manager.holding).toBe(false);
  });

  for (const [name, error] of [
    ['a timeout', new TributaryError('ERR_REQUEST_TIMEOUT', 'no answer', { retriable: true })],
    ['OUT_OF_ORDER_SEQUENCE_NUMBER', kafkaError(45)],
    ['INVALID_PRODUCER_EPOCH', kafkaError(47)],
    ['UNKNOWN_PRODUCER_ID', kafkaError(59)],
  ] as const) {
    it(`a handed-over batch failed by ${name} needs a new epoch`, async () => {
      const { manager } = await started();
      const q = new PartitionQueue('t', 0);
      const batch = closedBatch(manager, q, 2);
      const later = closedBatch(manager, q, 1);
      inFlight(batch);
      failed(manager, batch, error);
      expect(manager.holding).toBe(true);
      // The outcome is unknown: the gap stays (the broker may have written it).
      if (error.kafkaCode !== 47 && error.kafkaCode !== 59) expect(later.baseSequence).toBe(2);
    });
  }

  it('does not ask for a new epoch once the producer is closed', async () => {
    const { manager } = await started();
    const batch = closedBatch(manager, new PartitionQueue('t', 0), 1);
    inFlight(batch);
    batch.queue.inFlight.delete(batch);
    manager.batchFailed(batch, new TributaryError('ERR_REQUEST_TIMEOUT', 'no answer', { retriable: true }), true);
    expect(manager.holding).toBe(false);
  });

  it('retries OUT_OF_ORDER_SEQUENCE_NUMBER only behind other batches, after a restamp, or while a new epoch is pending', async () => {
    const { manager } = await started();
    const q = new PartitionQueue('t', 0);
    const alone = closedBatch(manager, q, 1);
    inFlight(alone);
    q.inFlight.delete(alone);
    expect(manager.retriesOutOfOrder(alone, kafkaError(45))).toBe(false);
    expect(manager.retriesOutOfOrder(alone, kafkaError(87))).toBe(false);
    const behind = closedBatch(manager, q, 1);
    expect(manager.retriesOutOfOrder(alone, kafkaError(45))).toBe(true);
    q.ready.length = 0;
    expect(behind.baseSequence).toBe(1);
    behind.baseSequence = 0;
    expect(manager.retriesOutOfOrder(behind, kafkaError(45))).toBe(true);
  });

  it('KIP-360: bumps the epoch once nothing is in flight, restarts sequences at 0 and restamps the waiting batches', async () => {
    const { manager, asked } = await started([{ producerId: 7, producerEpoch: 0 }, { producerId: 7, producerEpoch: 1 }]);
    const p0 = new PartitionQueue('t', 0);
    const p1 = new PartitionQueue('t', 1);
    const lost = closedBatch(manager, p0, 2);
    const inflight = closedBatch(manager, p1, 1);
    const w1 = closedBatch(manager, p0, 3);
    const w2 = closedBatch(manager, p0, 4);
    inFlight(lost);
    inFlight(inflight);
    failed(manager, lost, new TributaryError('ERR_REQUEST_TIMEOUT', 'no answer', { retriable: true }));
    expect(manager.holding).toBe(true);
    const queues = () => [p0, p1][Symbol.iterator]();
    const fail = () => {
      throw new Error('nothing fails');
    };
    // Another batch is still in flight: its answer may move sequences, so no bump yet.
    expect(manager.bumpEpochWhenIdle(queues, fail)).toBeNull();
    p1.inFlight.delete(inflight);
    const bump = manager.bumpEpochWhenIdle(queues, fail);
    expect(bump).not.toBeNull();
    // One bump at a time.
    expect(manager.bumpEpochWhenIdle(queues, fail)).toBeNull();
    await bump;
    expect(asked).toEqual([[-1, -1], [7, 0]]);
    expect([manager.producerId, manager.producerEpoch, manager.holding]).toEqual([7, 1, false]);
    expect([w1.baseSequence, w2.baseSequence]).toEqual([0, 3]);
    expect([w1.producerEpoch, w2.producerEpoch]).toEqual([1, 1]);
    expect(needsRestamp(w1)).toBe(true);
    expect(manager.nextSequence('t', 0)).toBe(7);
    // A partition with nothing waiting starts again at 0.
    expect(manager.nextSequence('t', 1)).toBe(0);
    expect(closedBatch(manager, p0, 1).baseSequence).toBe(7);
  });

  it('KIP-360: waits for a batch to send before bumping, and fails the waiting batches when no epoch comes', async () => {
    const { manager } = await started([{ producerId: 7, producerEpoch: 0 }, new Error('broker gone')]);
    const q = new PartitionQueue('t', 0);
    const lost = closedBatch(manager, q, 1);
    inFlight(lost);
    failed(manager, lost, new TributaryError('ERR_CONNECTION_CLOSED', 'cut', { retriable: true }));
    const failedBatches: ProducerBatch[] = [];
    const fail = (b: ProducerBatch) => {
      failedBatches.push(b);
      q.ready.splice(q.ready.indexOf(b), 1);
    };
    expect(manager.bumpEpochWhenIdle(() => [q][Symbol.iterator](), fail)).toBeNull();
    const waiting = closedBatch(manager, q, 2);
    await manager.bumpEpochWhenIdle(() => [q][Symbol.iterator](), fail);
    expect(failedBatches).toEqual([waiting]);
    expect(manager.holding).toBe(true);
  });

  it('restamp writes the producer id, epoch and sequence into the batch bytes with a CRC that covers them', async () => {
    const { manager } = await started();
    const q = new PartitionQueue('t', 0);
    const batch = closedBatch(manager, q, 1);
    batch.bytes = encodeBatchSync({ records: [{ key: null, value: new Uint8Array([1]), headers: NO_HEADERS, timestamp: 5 }], producerId: batch.producerId, producerEpoch: batch.producerEpoch, baseSequence: batch.baseSequence });
    expect(needsRestamp(batch)).toBe(false);
    batch.producerId = 9;
    batch.producerEpoch = 3;
    batch.baseSequence = 42;
    expect(needsRestamp(batch)).toBe(true);
    restamp(batch);
    expect(needsRestamp(batch)).toBe(false);
    const header = readBatchHeader(batch.bytes);
    expect([header.producerId, header.producerEpoch, header.baseSequence]).toEqual([9, 3, 42]);
    expect(header.crc).toBe(computeBatchCrc(batch.bytes, 0, batch.bytes.length));
  });
});
