/**
 * CRC32C (Castagnoli), the checksum of Kafka's RecordBatch v2, in portable TypeScript.
 * Slice-by-8: eight 256-entry tables let the loop consume eight bytes per step.
 */

const POLY = 0x82f63b78; // reflected Castagnoli polynomial

function makeTables(): Int32Array {
  const tables = new Int32Array(8 * 256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ POLY : c >>> 1;
    tables[n] = c;
  }
  for (let n = 0; n < 256; n++) {
    let c = tables[n]!;
    for (let t = 1; t < 8; t++) {
      c = tables[c & 0xff]! ^ (c >>> 8);
      tables[t * 256 + n] = c;
    }
  }
  return tables;
}

const T = makeTables();

/**
 * Continues a CRC32C over `data[start, end)`. Pass the previous result as `crc` to
 * checksum data in pieces; start with 0. Returns an unsigned 32-bit value.
 */
export function crc32c(data: Uint8Array, start = 0, end = data.length, crc = 0): number {
  let c = ~crc;
  let i = start;
  // Align nothing: typed-array byte reads are cheap; the win is fewer table rounds.
  const end8 = end - ((end - i) & 7);
  while (i < end8) {
    const lo = c ^ (data[i]! | (data[i + 1]! << 8) | (data[i + 2]! << 16) | (data[i + 3]! << 24));
    c =
      T[0x700 + (lo & 0xff)]! ^
      T[0x600 + ((lo >>> 8) & 0xff)]! ^
      T[0x500 + ((lo >>> 16) & 0xff)]! ^
      T[0x400 + (lo >>> 24)]! ^
      T[0x300 + data[i + 4]!]! ^
      T[0x200 + data[i + 5]!]! ^
      T[0x100 + data[i + 6]!]! ^
      T[data[i + 7]!]!;
    i += 8;
  }
  while (i < end) c = T[(c ^ data[i++]!) & 0xff]! ^ (c >>> 8);
  return ~c >>> 0;
}
