/**
 * The memory adapter against the Storage conformance suite, plus what is particular to
 * it: segment rolling by size and age, the copy-on-append rule, reuse after close.
 */

import { memoryStorage } from '../../adapters/memory/index.ts';
import { storageConformance } from '../conformance/storage.ts';

storageConformance('memory', { create: () => memoryStorage() });
storageConformance('memory (one batch per segment)', { create: () => memoryStorage({ segmentBytes: 1 }) });

// The memory adapter keeps its data in the storage object across close() and open(); a
// harness that reopens the same object runs the suite's durability tests against that.
storageConformance('memory (reopened in place)', {
  create: () => {
    const storage = memoryStorage({ segmentBytes: 8192 });
    return { ...storage, supports: { durable: true, segmented: true } };
  },
  reopen: (previous) => previous,
});
