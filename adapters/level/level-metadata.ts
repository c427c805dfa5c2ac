/**
 * The metadata store of the LevelDB adapter: keys under the `m` prefix of the same
 * database as the logs, `write(ops)` as one atomic `db.batch`. Keys, values and
 * operations reach it checked by the core's guard.
 */
import type { MetadataOp, MetadataStore } from '../../core/contracts/storage.ts';
import { KeyKind, decodeMetadataKey, metadataKey, prefixEnd } from './keys.ts';
import { VIEW, plain, type LevelDatabase } from './level-db.ts';
import { ioError } from './level-errors.ts';

/**
 * Builds the metadata store over `db()` (a getter, because the database opens later).
 * With `sync` true (the default) every write is a LevelDB sync write: committed offsets
 * and producer state survive a power loss, at the cost of an fsync per write.
 */
export function levelMetadata(db: () => LevelDatabase, sync: boolean): MetadataStore {
  const writeOptions = { ...VIEW, sync };
  return {
    async get(key) {
      try {
        const value: Uint8Array | undefined = await db().get(metadataKey(key), VIEW);
        return value === undefined ? undefined : plain(value);
      } catch (error) {
        throw ioError('metadata get', error);
      }
    },
    async put(key, value) {
      try {
        await db().put(metadataKey(key), value, writeOptions);
      } catch (error) {
        throw ioError('metadata put', error);
      }
    },
    async delete(key) {
      try {
        await db().del(metadataKey(key), writeOptions);
      } catch (error) {
        throw ioError('metadata delete', error);
      }
    },
    async list(prefix) {
      const start = metadataKey(prefix);
      // Stored keys compare bytewise (UTF-8 order, which is code point order).
      const end = prefix === '' ? Uint8Array.of(KeyKind.metadata + 1) : prefixEnd(start);
      try {
        const entries: Array<[Uint8Array, Uint8Array]> = await db().iterator({ ...VIEW, gte: start, lt: end }).all();
        return entries.map(([key, value]) => ({ key: decodeMetadataKey(key), value: plain(value) }));
      } catch (error) {
        throw ioError('metadata list', error);
      }
    },
    async write(ops: readonly MetadataOp[]) {
      const batch = ops.map((op) =>
        op.type === 'put' ? { type: 'put' as const, key: metadataKey(op.key), value: op.value } : { type: 'del' as const, key: metadataKey(op.key) },
      );
      if (batch.length === 0) return;
      try {
        await db().batch(batch, writeOptions);
      } catch (error) {
        throw ioError('metadata write', error);
      }
    },
  };
}
