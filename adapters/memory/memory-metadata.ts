/**
 * The metadata store of the memory adapter: a Map of copies. Values are copied on the
 * way in and out so that neither side can change the other's bytes later (metadata is
 * small; the copies cost nothing that matters).
 */
import type { MetadataStore } from '../../core/contracts/storage.ts';
import { checkMetadataKey as checkKey, checkMetadataOps, checkMetadataValue as checkValue } from '../../core/storage/arguments.ts';

/** A {@link MetadataStore} over a Map; `isOpen` guards use after the storage closed. */
export function memoryMetadata(entries: Map<string, Uint8Array>, assertOpen: () => void): MetadataStore {
  return {
    async get(key) {
      assertOpen();
      checkKey(key);
      return entries.get(key)?.slice();
    },
    async put(key, value) {
      assertOpen();
      checkKey(key);
      checkValue(value, key);
      entries.set(key, value.slice());
    },
    async delete(key) {
      assertOpen();
      checkKey(key);
      entries.delete(key);
    },
    async list(prefix) {
      assertOpen();
      checkKey(prefix);
      const out: Array<{ key: string; value: Uint8Array }> = [];
      for (const [key, value] of entries) if (key.startsWith(prefix)) out.push({ key, value: value.slice() });
      return out.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    },
    async write(ops) {
      assertOpen();
      checkMetadataOps(ops);
      // Validated above and applied synchronously: nothing can interleave, so all or none.
      for (const op of ops) {
        if (op.type === 'put') entries.set(op.key, op.value.slice());
        else entries.delete(op.key);
      }
    },
  };
}
