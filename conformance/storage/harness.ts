/**
 * What an adapter's author gives the Storage conformance suite ({@link StorageHarness},
 * {@link StorageConformanceOptions}), and what the suite's per-operation files share
 * ({@link SuiteContext}).
 */
import type { PartitionLogOptions, Storage } from '../../core/contracts/storage.ts';

/** How the suite gets storages to test. Each `create()` must be fresh and isolated. */
export interface StorageHarness {
  /** A new, unopened storage over empty, private data (the suite calls `open()`). */
  create(): Storage | Promise<Storage>;
  /**
   * Durable adapters: a new, unopened storage over the same data as `previous`, which
   * the suite has already closed. Required when `supports.durable` is true (the
   * durability tests fail without it); not called otherwise.
   */
  reopen?(previous: Storage): Storage | Promise<Storage>;
  /** Called after every test, once the suite has closed what it opened (remove temp dirs…). */
  cleanup?(): void | Promise<void>;
}

/** Options of {@link storageConformance}. */
export interface StorageConformanceOptions {
  /**
   * The segment size the suite passes to `openPartition` where it wants several segments
   * (default 4096 bytes; test batches are 150 B to 3 KB).
   */
  smallSegmentBytes?: number;
}

/**
 * What every per-operation file of the suite gets from `storageConformance`: the harness,
 * the small-segment options, and storages that are opened, tracked and closed for it.
 * Storages come guarded by the core (`guardStorage`), as the broker would use them.
 */
export interface SuiteContext {
  readonly harness: StorageHarness;
  /** Per-partition options that make several segments (`smallSegmentBytes`). */
  readonly small: PartitionLogOptions;
  /** A new storage from the harness, guarded and opened; closed after the test. */
  fresh(): Promise<Storage>;
  /** Closes a storage the suite opened. */
  close(storage: Storage): Promise<void>;
  /** Closes `storage` and opens the harness's reopened storage over the same data. */
  reopen(storage: Storage): Promise<Storage>;
  /** Closes `storage` after the test (for one the test opened itself). */
  track(storage: Storage): void;
}
