/**
 * CRC32C (Castagnoli), the checksum of Kafka's RecordBatch v2.
 *
 * Two implementations of one table-driven algorithm, slice-by-16 (sixteen 256-entry
 * tables, sixteen bytes per step): a WebAssembly one (crc32c-wasm.ts) used for inputs
 * of 256 bytes and more, where it runs about twice as fast, and the portable
 * TypeScript one, used for short inputs (where the copy into WebAssembly memory costs
 * more than it saves) and wherever WebAssembly is unavailable.
 */
import { createWasmCrc32c, type Crc32cFn } from './crc32c-wasm.ts';

const POLY = 0x82f63b78; // reflected Castagnoli polynomial

function makeTables(): Int32Array {
  const tables = new Int32Array(16 * 256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ POLY : c >>> 1;
    tables[n] = c;
  }
  // Table t maps a byte to its CRC contribution t bytes further from the end.
  for (let n = 0; n < 256; n++) {
    let c = tables[n]!;
    for (let t = 1; t < 16; t++) {
      c = tables[c & 0xff]! ^ (c >>> 8);
      tables[t * 256 + n] = c;
    }
  }
  return tables;
}

const T = makeTables();

/**
 * The portable TypeScript CRC32C over `data[start, end)`, continuing from `crc`. Same
 * contract as {@link crc32c}; exported for tests and benchmarks.
 */
export function crc32cPortable(data: Uint8Array, start = 0, end = data.length, crc = 0): number {
  let c = ~crc;
  let i = start;
  const end16 = end - ((end - i) & 15);
  while (i < end16) {
    const a = c ^ (data[i]! | (data[i + 1]! << 8) | (data[i + 2]! << 16) | (data[i + 3]! << 24));
    c =
      T[0xf00 + (a & 0xff)]! ^
      T[0xe00 + ((a >>> 8) & 0xff)]! ^
      T[0xd00 + ((a >>> 16) & 0xff)]! ^
      T[0xc00 + (a >>> 24)]! ^
      T[0xb00 + data[i + 4]!]! ^
      T[0xa00 + data[i + 5]!]! ^
      T[0x900 + data[i + 6]!]! ^
      T[0x800 + data[i + 7]!]! ^
      T[0x700 + data[i + 8]!]! ^
      T[0x600 + data[i + 9]!]! ^
      T[0x500 + data[i + 10]!]! ^
      T[0x400 + data[i + 11]!]! ^
      T[0x300 + data[i + 12]!]! ^
      T[0x200 + data[i + 13]!]! ^
      T[0x100 + data[i + 14]!]! ^
      T[data[i + 15]!]!;
    i += 16;
  }
  while (i < end) c = T[(c ^ data[i++]!) & 0xff]! ^ (c >>> 8);
  return ~c >>> 0;
}

/** Inputs shorter than this take the TypeScript path (measured crossover ~256 B). */
const WASM_MIN_BYTES = 256;

const wasm: Crc32cFn | null = createWasmCrc32c(T);

/** Which implementation serves inputs of 256 bytes and more: `wasm` or `portable`. */
export const crc32cImplementation: 'wasm' | 'portable' = wasm ? 'wasm' : 'portable';

/**
 * Continues a CRC32C over `data[start, end)`. Pass the previous result as `crc` to
 * checksum data in pieces; start with 0. Returns an unsigned 32-bit value.
 */
export function crc32c(data: Uint8Array, start = 0, end = data.length, crc = 0): number {
  if (wasm !== null && end - start >= WASM_MIN_BYTES) return wasm(data, start, end, crc);
  return crc32cPortable(data, start, end, crc);
}
