/**
 * The metadata store of the memory adapter: a Map of copies. Values are copied on the
 * way in and out so that neither side can change the other's bytes later (metadata is
 * small; the copies cost nothing that matters). Keys, values, operations and the open
 * state are checked by the core's guard before these are called.
 */
import type { MetadataStore } from '../../core/contracts/storage.ts';

/** A {@link MetadataStore} over a Map. */
export function memoryMetadata(entries: Map<string, Uint8Array>): MetadataStore {
  return {
    async get(key) {
      return entries.get(key)?.slice();
    },
    async put(key, value) {
      entries.set(key, value.slice());
    },
    async delete(key) {
      entries.delete(key);
    },
    async list(prefix) {
      const out: Array<{ key: string; value: Uint8Array }> = [];
      for (const [key, value] of entries) if (key.startsWith(prefix)) out.push({ key, value: value.slice() });
      return out.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    },
    async write(ops) {
      // Checked by the guard and applied synchronously: nothing can interleave, so all or none.
      for (const op of ops) {
        if (op.type === 'put') entries.set(op.key, op.value.slice());
        else entries.delete(op.key);
      }
    },
  };
}
