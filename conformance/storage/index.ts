/**
 * The Storage conformance suite: one set of vitest tests that every storage adapter
 * runs (ours and anyone's), in the spirit of abstract-level's suite.
 *
 * ```ts
 * import { storageConformance } from 'tributary/conformance/storage';
 * storageConformance('my-adapter', {
 *   create: async () => myStorage({ dir: await freshDir() }),
 *   reopen: async (previous) => myStorage({ dir: dirOf(previous) }),   // durable adapters only
 *   cleanup: async () => removeFreshDirs(),
 * });
 * ```
 *
 * The suite builds real RecordBatch v2 bytes (header, records, CRC32C), appends them and
 * checks that every read returns whole batches, byte for byte as appended, with valid CRCs.
 * It imports only the core (contracts, errors, batch header, CRC, the storage guard),
 * never an adapter. Each storage the harness creates is wrapped by the core's
 * `guardStorage` (a no-op for one that is already guarded), because that is how the
 * broker uses it: an adapter may leave argument checks, offset order, read range, the
 * closed state and serialization to the guard and still pass.
 *
 * One file per operation: lifecycle, append, read, truncate, retention (trimBefore),
 * offsets (offsetForTimestamp, segments), concurrency, partitions, metadata, close and
 * persistence (reopen); harness.ts, batches.ts and model.ts hold what they share.
 *
 * Semantics the suite pins down where the contract's prose leaves room:
 * - `read(offset)` returns batches starting with the first batch whose lastOffset ≥ offset
 *   (the batch containing `offset`, or the next one when `offset` falls in a gap), then
 *   every following batch while the total stays ≤ maxBytes (the first batch alone may
 *   exceed it when `minOneBatch`, the default, is on).
 * - `truncateTo(o)` at a batch boundary leaves `endOffset() === o`; inside a batch it drops
 *   that whole batch; at or past the end it does nothing.
 * - `trimBefore(o)` returns the new start `s` with old start ≤ s ≤ o, keeps every batch
 *   holding an offset ≥ o, and `trimBefore(endOffset())` empties the log (start = end),
 *   as Kafka's retention deletes even the active segment. `o > endOffset()` is
 *   `OFFSET_OUT_OF_RANGE`. After `segments()` reports segment k, `trimBefore(k.nextOffset)`
 *   removes exactly segments 0..k: that is how the core's retention deletes.
 * - `offsetForTimestamp(t)` is the base offset (never below the start) of the first batch,
 *   in offset order, whose max timestamp ≥ t.
 */
import { afterEach, describe } from 'vitest';
import type { PartitionLogOptions, Storage } from '../../core/contracts/storage.ts';
import { guardStorage } from '../../core/storage/guard.ts';
import { appendTests } from './append.ts';
import { closeTests } from './close.ts';
import { concurrencyTests } from './concurrency.ts';
import type { StorageConformanceOptions, StorageHarness, SuiteContext } from './harness.ts';
import { lifecycleTests } from './lifecycle.ts';
import { metadataTests } from './metadata.ts';
import { offsetLookupTests } from './offsets.ts';
import { partitionTests } from './partitions.ts';
import { persistenceTests } from './persistence.ts';
import { readTests } from './read.ts';
import { retentionTests } from './retention.ts';
import { truncateTests } from './truncate.ts';

export type { StorageConformanceOptions, StorageHarness } from './harness.ts';
export { concatChunks, makeTestBatch, parseReadResult, sameBytes, type ReadBatch, type TestBatch, type TestBatchSpec } from './batches.ts';

/**
 * Registers the Storage conformance tests for an adapter under `describe(name)`.
 * See {@link StorageHarness} for what the adapter's author provides.
 */
export function storageConformance(name: string, harness: StorageHarness, options: StorageConformanceOptions = {}): void {
  const small: PartitionLogOptions = { segmentBytes: options.smallSegmentBytes ?? 4096 };
  const open = new Set<Storage>();
  /** The harness's own storage behind each guarded one, for `harness.reopen`. */
  const created = new WeakMap<Storage, Storage>();

  async function fresh(): Promise<Storage> {
    const raw = await harness.create();
    const storage = guardStorage(raw);
    created.set(storage, raw);
    await storage.open();
    open.add(storage);
    return storage;
  }

  async function close(storage: Storage): Promise<void> {
    open.delete(storage);
    await storage.close();
  }

  async function reopen(storage: Storage): Promise<Storage> {
    await close(storage);
    const raw = await harness.reopen!(created.get(storage) ?? storage);
    const next = guardStorage(raw);
    created.set(next, raw);
    await next.open();
    open.add(next);
    return next;
  }

  const ctx: SuiteContext = { harness, small, fresh, close, reopen, track: (storage) => open.add(storage) };

  afterEach(async () => {
    for (const s of [...open]) await close(s).catch(() => undefined);
    await harness.cleanup?.();
  });

  describe(`${name}: storage conformance`, () => {
    lifecycleTests(ctx);
    appendTests(ctx);
    readTests(ctx);
    truncateTests(ctx);
    retentionTests(ctx);
    offsetLookupTests(ctx);
    concurrencyTests(ctx);
    partitionTests(ctx);
    metadataTests(ctx);
    closeTests(ctx);
    persistenceTests(ctx);
  });
}
