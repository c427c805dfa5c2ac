/**
 * `memoryStorage()`: partition logs and metadata in the heap. Fast, not durable: the
 * default for embedded brokers and tests.
 *
 * Choices (see memory-partition-log.ts for the details):
 * - Batches are kept as received, not copied on read. On append a batch is kept as the
 *   caller's array when it fills at least half of its buffer and copied otherwise, so a
 *   small view into a large network frame does not pin the frame (`copyOnAppend`).
 * - Batches are grouped into segments (`segmentBytes`, `segmentMs`, per partition or as
 *   defaults here), so retention deletes in segment units as Kafka does and
 *   `supports.segmented` is true. Pass `segmentBytes: 1` to make every batch its own unit.
 * - `close()` closes the log objects but keeps the data in this storage object: opening
 *   it again gives the same logs back (useful to restart an embedded broker in a test).
 *   Nothing survives the process, so `supports.durable` is false.
 * - The open state, argument checks, offset order and read range are the core's guard's
 *   (core/storage/guard.ts); what is here is the mechanism.
 */
import type { GuardedStorage, PartitionLogOptions, PartitionRef } from '../../core/contracts/storage.ts';
import { TributaryError } from '../../core/errors.ts';
import { guardStorage } from '../../core/storage/guard.ts';
import { memoryMetadata } from './memory-metadata.ts';
import { MemoryLogState, MemoryPartitionLog, type CopyOnAppend, type MemoryLogSettings } from './memory-partition-log.ts';

/** Options of {@link memoryStorage}. */
export interface MemoryStorageOptions {
  /** Segment size when `openPartition` gives none (default 1 MiB). */
  segmentBytes?: number;
  /** Segment age when `openPartition` gives none (default 7 days, Kafka's segment.ms). */
  segmentMs?: number;
  /** When to copy appended batches (default `auto`: only small views into big buffers). */
  copyOnAppend?: CopyOnAppend;
  /** Clock for segment age, in ms (default `Date.now`). */
  now?: () => number;
}

const DEFAULT_SEGMENT_BYTES = 1024 * 1024;
const DEFAULT_SEGMENT_MS = 7 * 24 * 60 * 60 * 1000;

interface Entry {
  readonly ref: PartitionRef;
  readonly state: MemoryLogState;
  view: MemoryPartitionLog | undefined;
}

function positive(value: number | undefined, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !(value > 0)) throw new TributaryError('ERR_INVALID_ARGUMENT', `${name} must be a positive number, got ${value}`);
  return value;
}

/** Creates an in-memory storage (guarded by the core). */
export function memoryStorage(options: MemoryStorageOptions = {}): GuardedStorage {
  const defaults = {
    segmentBytes: positive(options.segmentBytes, 'segmentBytes', DEFAULT_SEGMENT_BYTES),
    segmentMs: positive(options.segmentMs, 'segmentMs', DEFAULT_SEGMENT_MS),
  };
  const copyOnAppend = options.copyOnAppend ?? 'auto';
  if (copyOnAppend !== 'auto' && copyOnAppend !== 'always' && copyOnAppend !== 'never') {
    throw new TributaryError('ERR_INVALID_ARGUMENT', `copyOnAppend must be auto, always or never, got ${String(copyOnAppend)}`);
  }
  const now = options.now ?? Date.now;
  const logs = new Map<string, Entry>();
  const entries = new Map<string, Uint8Array>();

  const keyOf = (topic: string, partition: number) => {
    // The guard checked the types; the empty name is this adapter's rule.
    if (topic.length === 0) throw new TributaryError('ERR_INVALID_ARGUMENT', 'A topic name must be a non-empty string');
    // NUL cannot appear in a Kafka topic name, so the key is unambiguous.
    return `${topic}\u0000${partition}`;
  };
  // Per-partition options reach here checked by the guard.
  const settingsOf = (o: PartitionLogOptions | undefined): MemoryLogSettings => ({
    segmentBytes: o?.segmentBytes ?? defaults.segmentBytes,
    segmentMs: o?.segmentMs ?? defaults.segmentMs,
    copyOnAppend,
    now,
  });

  return guardStorage({
    name: 'memory',
    supports: Object.freeze({ durable: false, segmented: true }),
    metadata: memoryMetadata(entries),

    async open() {},

    async openPartition(topic, partition, partitionOptions) {
      const key = keyOf(topic, partition);
      let entry = logs.get(key);
      if (!entry) {
        entry = { ref: Object.freeze({ topic, partition }), state: new MemoryLogState(settingsOf(partitionOptions)), view: undefined };
        logs.set(key, entry);
      } else if (partitionOptions) {
        // Segment settings apply to future rolls, as a topic config change does in Kafka.
        entry.state.settings = settingsOf(partitionOptions);
      }
      if (!entry.view || entry.view.closed) entry.view = new MemoryPartitionLog(topic, partition, entry.state);
      return entry.view;
    },

    async listPartitions() {
      return [...logs.values()].map((e) => ({ topic: e.ref.topic, partition: e.ref.partition }));
    },

    async deletePartition(topic, partition) {
      const key = keyOf(topic, partition);
      const entry = logs.get(key);
      if (!entry) return;
      await entry.view?.close();
      logs.delete(key);
    },

    async close() {
      for (const entry of logs.values()) {
        await entry.view?.close();
        entry.view = undefined;
      }
    },
  });
}
