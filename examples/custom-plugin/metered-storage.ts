/**
 * A storage adapter of your own: `meteredStorage(inner)` wraps any storage and counts,
 * per partition, the batches, records and bytes appended and the bytes read. Wrapping is
 * the easy way to add behaviour (metrics, tracing, quotas, encryption at rest…) to the
 * built-in adapters; the same contract (core/contracts/storage.ts) lets you write one from
 * scratch, and the same conformance suite checks either.
 *
 * The wrapper stays thin, as the architecture asks of adapters: it delegates every call,
 * keeps the inner storage's declared capabilities, and returns one wrapper per open log
 * (the contract wants the same object back while a log stays open).
 */
import type { PartitionLog, Storage } from '../../mod.ts';

/** Counters of one partition. */
export interface PartitionMeter {
  appendedBatches: number;
  appendedRecords: number;
  appendedBytes: number;
  reads: number;
  readBytes: number;
}

/** Counters by `topic-partition`. */
export type StorageMeter = Map<string, PartitionMeter>;

/** Wraps `inner`, counting into `meter` (a new Map unless given). */
export function meteredStorage(inner: Storage, meter: StorageMeter = new Map()): Storage & { readonly meter: StorageMeter } {
  const wrappers = new WeakMap<PartitionLog, PartitionLog>();

  const counters = (topic: string, partition: number): PartitionMeter => {
    const key = `${topic}-${partition}`;
    let m = meter.get(key);
    if (!m) meter.set(key, (m = { appendedBatches: 0, appendedRecords: 0, appendedBytes: 0, reads: 0, readBytes: 0 }));
    return m;
  };

  const wrap = (log: PartitionLog): PartitionLog => {
    const m = counters(log.topic, log.partition);
    return {
      topic: log.topic,
      partition: log.partition,
      get recovery() {
        return log.recovery;
      },
      startOffset: () => log.startOffset(),
      endOffset: () => log.endOffset(),
      sizeBytes: () => log.sizeBytes(),
      async append(batch, info, options) {
        await log.append(batch, info, options);
        // Counted once the append succeeded: a rejected batch is not stored.
        m.appendedBatches++;
        m.appendedRecords += info.recordCount;
        m.appendedBytes += batch.byteLength;
      },
      async read(offset, maxBytes, options) {
        const result = await log.read(offset, maxBytes, options);
        m.reads++;
        m.readBytes += result.bytes;
        return result;
      },
      truncateTo: (offset) => log.truncateTo(offset),
      trimBefore: (offset) => log.trimBefore(offset),
      offsetForTimestamp: (timestamp) => log.offsetForTimestamp(timestamp),
      segments: () => log.segments(),
      sync: () => log.sync(),
      close: () => log.close(),
    };
  };

  return {
    name: `metered-${inner.name}`,
    supports: inner.supports,
    meter,
    metadata: inner.metadata,
    open: () => inner.open(),
    async openPartition(topic, partition, options) {
      const log = await inner.openPartition(topic, partition, options);
      let wrapped = wrappers.get(log);
      if (!wrapped) wrappers.set(log, (wrapped = wrap(log)));
      return wrapped;
    },
    listPartitions: () => inner.listPartitions(),
    deletePartition: (topic, partition) => inner.deletePartition(topic, partition),
    close: () => inner.close(),
  };
}
