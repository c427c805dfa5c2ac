/**
 * The filesystem metadata store: the whole map in one small file, rewritten atomically
 * on every write (temp file, fsync, rename, fsync of the directory), so that `write(ops)`
 * is all-or-nothing without a journal and recovery is "read one file". A CRC32C over
 * the file detects damage; a damaged file is an error, never silently wrong data.
 *
 * Format (big-endian): "TRBMETA1", u32 entry count, then per entry u32 key length, key
 * (UTF-8), u32 value length, value; then u32 CRC32C of everything before it.
 */
import { open, rename, stat, unlink } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { MetadataOp, MetadataStore } from '../../core/contracts/storage.ts';
import { TributaryError } from '../../core/errors.ts';
import { crc32c } from '../../core/records/crc32c.ts';
import { readFileIfExists, syncDirectory, writeAt } from './file-io.ts';
import { storageError } from './fs-errors.ts';

const MAGIC = new TextEncoder().encode('TRBMETA1');
const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

/** Encodes the map in the file format (keys sorted, so equal maps give equal files). */
export function encodeMetadata(entries: ReadonlyMap<string, Uint8Array>): Uint8Array {
  const keys = [...entries.keys()].sort();
  const encodedKeys = keys.map((k) => encoder.encode(k));
  let size = MAGIC.length + 4 + 4;
  for (let i = 0; i < keys.length; i++) size += 8 + encodedKeys[i]!.length + entries.get(keys[i]!)!.length;
  const out = new Uint8Array(size);
  const dv = new DataView(out.buffer);
  out.set(MAGIC, 0);
  let pos = MAGIC.length;
  dv.setUint32(pos, keys.length);
  pos += 4;
  for (let i = 0; i < keys.length; i++) {
    const key = encodedKeys[i]!;
    const value = entries.get(keys[i]!)!;
    dv.setUint32(pos, key.length);
    out.set(key, pos + 4);
    pos += 4 + key.length;
    dv.setUint32(pos, value.length);
    out.set(value, pos + 4);
    pos += 4 + value.length;
  }
  dv.setUint32(pos, crc32c(out, 0, pos));
  return out;
}

/** Decodes the file format; returns why it is damaged instead of a map when it is. */
export function decodeMetadata(bytes: Uint8Array): Map<string, Uint8Array> | string {
  if (bytes.length < MAGIC.length + 8) return `${bytes.length} bytes are too few`;
  for (let i = 0; i < MAGIC.length; i++) if (bytes[i] !== MAGIC[i]) return 'wrong magic';
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const crcAt = bytes.length - 4;
  if (dv.getUint32(crcAt) !== crc32c(bytes, 0, crcAt)) return 'checksum mismatch';
  const map = new Map<string, Uint8Array>();
  let pos = MAGIC.length;
  const count = dv.getUint32(pos);
  pos += 4;
  try {
    for (let i = 0; i < count; i++) {
      const keyLength = dv.getUint32(pos);
      if (pos + 4 + keyLength > crcAt) return 'entry runs past the end';
      const key = decoder.decode(bytes.subarray(pos + 4, pos + 4 + keyLength));
      pos += 4 + keyLength;
      const valueLength = dv.getUint32(pos);
      if (pos + 4 + valueLength > crcAt) return 'entry runs past the end';
      map.set(key, bytes.slice(pos + 4, pos + 4 + valueLength));
      pos += 4 + valueLength;
    }
  } catch {
    return 'malformed entry';
  }
  if (pos !== crcAt) return 'trailing bytes after the entries';
  return map;
}

/** A MetadataStore kept in one atomically replaced file. */
export class MetadataFile implements MetadataStore {
  private readonly path: string;
  private entries = new Map<string, Uint8Array>();
  private chain: Promise<unknown> = Promise.resolve();

  constructor(path: string) {
    this.path = path;
  }

  /**
   * Reads the file (a missing file is an empty store). Throws `ERR_METADATA_CORRUPT`
   * when the checksum or structure is wrong: the broker must not start on wrong topics
   * or offsets. A leftover temp file from a crash mid-write is discarded: the rename
   * never happened, so the write never did.
   */
  async load(): Promise<void> {
    let bytes: Uint8Array | undefined;
    try {
      bytes = await readFileIfExists(this.path);
      // Only when present: on a read-only disk even unlinking a missing file fails.
      if ((await stat(this.path + '.tmp').catch(() => undefined)) !== undefined) await unlink(this.path + '.tmp');
    } catch (error) {
      throw storageError(error, 'read metadata', this.path);
    }
    if (bytes !== undefined) {
      const decoded = decodeMetadata(bytes);
      if (typeof decoded === 'string') {
        throw new TributaryError('ERR_METADATA_CORRUPT', `metadata file ${this.path} is damaged (${decoded}); restore it from a backup or move it away to start empty`, {
          kafkaCode: 56,
          details: { path: this.path, problem: decoded },
        });
      }
      this.entries = decoded;
    }
  }

  async get(key: string): Promise<Uint8Array | undefined> {
    return this.entries.get(key)?.slice();
  }

  put(key: string, value: Uint8Array): Promise<void> {
    return this.write([{ type: 'put', key, value }]);
  }

  delete(key: string): Promise<void> {
    return this.write([{ type: 'delete', key }]);
  }

  async list(prefix: string): Promise<Array<{ key: string; value: Uint8Array }>> {
    const out: Array<{ key: string; value: Uint8Array }> = [];
    for (const [key, value] of this.entries) if (key.startsWith(prefix)) out.push({ key, value: value.slice() });
    return out.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }

  write(ops: readonly MetadataOp[]): Promise<void> {
    const run = this.chain.then(async () => {
      const next = new Map(this.entries);
      for (const op of ops) {
        if (op.type === 'put') next.set(op.key, op.value.slice());
        else next.delete(op.key);
      }
      await this.persist(next);
      this.entries = next;
    });
    this.chain = run.catch(() => {});
    return run;
  }

  /** Waits for writes in flight. */
  async close(): Promise<void> {
    await this.chain;
  }

  private async persist(entries: ReadonlyMap<string, Uint8Array>): Promise<void> {
    const tmp = this.path + '.tmp';
    try {
      const handle = await open(tmp, 'w');
      try {
        await writeAt(handle, encodeMetadata(entries), 0);
        await handle.sync();
      } finally {
        await handle.close();
      }
      await rename(tmp, this.path);
      await syncDirectory(dirname(this.path));
    } catch (error) {
      await unlink(tmp).catch(() => {});
      throw storageError(error, 'write metadata', this.path);
    }
  }
}
