/**
 * CRC32C in WebAssembly, slice-by-16, with the module written out as bytes here (no
 * toolchain, no binary file). WebAssembly is web-standard and present in Node, Deno,
 * Bun and browsers; when it is missing or refuses the module, `createWasmCrc32c`
 * returns null and the caller keeps the portable TypeScript version.
 *
 * Why it is faster than the same algorithm in JS: a 32-bit little-endian load is one
 * instruction and table reads are unchecked, where JS assembles words byte by byte from
 * bounds-checked typed-array reads. The cost is a copy of the input into the module's
 * memory, done in 64 KiB chunks so the memory never grows.
 *
 * Memory layout: 16 tables of 256 uint32 at 0 (16 KiB), then the 64 KiB input window.
 */

/** A CRC32C function with the signature of `crc32c` in crc32c.ts. */
export type Crc32cFn = (data: Uint8Array, start: number, end: number, crc: number) => number;

const TABLES_BYTES = 16 * 256 * 4;
const WINDOW = 65536;

// Opcodes used below (WebAssembly core spec, binary format).
const BLOCK = 0x02;
const LOOP = 0x03;
const BR = 0x0c;
const BR_IF = 0x0d;
const END = 0x0b;
const VOID = 0x40;
const I32 = 0x7f;
const LOCAL_GET = 0x20;
const LOCAL_SET = 0x21;
const I32_LOAD = 0x28;
const I32_LOAD8_U = 0x2d;
const I32_CONST = 0x41;
const I32_GE_U = 0x4f;
const I32_ADD = 0x6a;
const I32_AND = 0x71;
const I32_XOR = 0x73;
const I32_SHL = 0x74;
const I32_SHR_U = 0x76;

function uleb(n: number): number[] {
  const out: number[] = [];
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n !== 0) b |= 0x80;
    out.push(b);
  } while (n !== 0);
  return out;
}

function sleb(n: number): number[] {
  const out: number[] = [];
  for (;;) {
    const b = n & 0x7f;
    n >>= 7;
    if ((n === 0 && (b & 0x40) === 0) || (n === -1 && (b & 0x40) !== 0)) {
      out.push(b);
      return out;
    }
    out.push(b | 0x80);
  }
}

function section(id: number, body: number[]): number[] {
  return [id, ...uleb(body.length), ...body];
}

function name(s: string): number[] {
  return [s.length, ...Array.from(s, (c) => c.charCodeAt(0))];
}

// Locals: 0 crc, 1 ptr, 2 len (params); 3 end16, 4 end, 5..8 the four words.
const CRC = 0;
const PTR = 1;
const LEN = 2;
const END16 = 3;
const ENDP = 4;
const W = [5, 6, 7, 8] as const;

/** `T[table][(word >>> shift) & 0xff]` pushed on the stack. */
function lookup(word: number, shift: number, table: number): number[] {
  // The byte index times 4, in one shift and one mask: ((w >>> (shift - 2)) & 0x3fc).
  const index =
    shift === 0
      ? [LOCAL_GET, word, I32_CONST, 2, I32_SHL]
      : [LOCAL_GET, word, I32_CONST, ...sleb(shift - 2), I32_SHR_U];
  return [...index, I32_CONST, ...sleb(0x3fc), I32_AND, I32_LOAD, 2, ...uleb(table * 1024)];
}

function buildModule(): Uint8Array {
  const code: number[] = [
    // crc = ~crc; end = ptr + len; end16 = ptr + (len & ~15)
    LOCAL_GET, CRC, I32_CONST, ...sleb(-1), I32_XOR, LOCAL_SET, CRC,
    LOCAL_GET, PTR, LOCAL_GET, LEN, I32_ADD, LOCAL_SET, ENDP,
    LOCAL_GET, PTR, LOCAL_GET, LEN, I32_CONST, ...sleb(-16), I32_AND, I32_ADD, LOCAL_SET, END16,
    // while (ptr < end16): sixteen bytes per round
    BLOCK, VOID, LOOP, VOID,
    LOCAL_GET, PTR, LOCAL_GET, END16, I32_GE_U, BR_IF, 1,
    LOCAL_GET, PTR, I32_LOAD, 2, 0, LOCAL_GET, CRC, I32_XOR, LOCAL_SET, W[0],
    LOCAL_GET, PTR, I32_LOAD, 2, 4, LOCAL_SET, W[1],
    LOCAL_GET, PTR, I32_LOAD, 2, 8, LOCAL_SET, W[2],
    LOCAL_GET, PTR, I32_LOAD, 2, 12, LOCAL_SET, W[3],
  ];
  // Byte j of the 16 (word j >> 2, shift 8 (j & 3)) goes through table 15 - j.
  for (let j = 0; j < 16; j++) {
    code.push(...lookup(W[j >> 2]!, 8 * (j & 3), 15 - j));
    if (j > 0) code.push(I32_XOR);
  }
  code.push(
    LOCAL_SET, CRC,
    LOCAL_GET, PTR, I32_CONST, 16, I32_ADD, LOCAL_SET, PTR,
    BR, 0, END, END,
    // while (ptr < end): one byte per round
    BLOCK, VOID, LOOP, VOID,
    LOCAL_GET, PTR, LOCAL_GET, ENDP, I32_GE_U, BR_IF, 1,
    LOCAL_GET, CRC, LOCAL_GET, PTR, I32_LOAD8_U, 0, 0, I32_XOR, I32_CONST, ...sleb(0xff), I32_AND, I32_CONST, 2, I32_SHL,
    I32_LOAD, 2, 0,
    LOCAL_GET, CRC, I32_CONST, 8, I32_SHR_U, I32_XOR, LOCAL_SET, CRC,
    LOCAL_GET, PTR, I32_CONST, 1, I32_ADD, LOCAL_SET, PTR,
    BR, 0, END, END,
    LOCAL_GET, CRC, I32_CONST, ...sleb(-1), I32_XOR,
    END,
  );
  const body = [1, 6, I32, ...code]; // one local group: six i32
  const bytes = [
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, [1, 0x60, 3, I32, I32, I32, 1, I32]), // type: (i32 i32 i32) -> i32
    ...section(3, [1, 0]), // one function of type 0
    ...section(5, [1, 0x00, 2]), // memory: 2 pages, no maximum
    ...section(7, [2, ...name('crc'), 0x00, 0, ...name('mem'), 0x02, 0]),
    ...section(10, [1, ...uleb(body.length), ...body]),
  ];
  return Uint8Array.from(bytes);
}

// The slice of the WebAssembly JS API used here, typed locally: the project's `lib`
// setting does not include the DOM declarations that carry it.
interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: Record<string, unknown> };
}

/**
 * Builds the WebAssembly CRC32C from `tables` (16 × 256 slice-by-16 tables, table 0 the
 * plain byte table). Returns null when WebAssembly is unavailable or the result is not
 * little-endian-consistent with the tables (checked on a known vector).
 */
export function createWasmCrc32c(tables: Int32Array): Crc32cFn | null {
  try {
    const wasm = (globalThis as { WebAssembly?: WasmApi }).WebAssembly;
    if (!wasm) return null;
    const instance = new wasm.Instance(new wasm.Module(buildModule()), {});
    const memory = instance.exports.mem as { buffer: ArrayBuffer };
    const run = instance.exports.crc as (crc: number, ptr: number, len: number) => number;
    const heap = new Uint8Array(memory.buffer);
    new Int32Array(memory.buffer, 0, 16 * 256).set(tables);
    const fn: Crc32cFn = (data, start, end, crc) => {
      let c = crc;
      for (let at = start; at < end; at += WINDOW) {
        const n = Math.min(WINDOW, end - at);
        heap.set(data.subarray(at, at + n), TABLES_BYTES);
        c = run(c, TABLES_BYTES, n);
      }
      return c >>> 0;
    };
    // "123456789" → 0xe3069283 (the CRC32C check value), crossing the 16-byte loop.
    const check = new Uint8Array(40);
    check.set([0x31, 0x32, 0x33, 0x34, 0x35, 0x36, 0x37, 0x38, 0x39], 0);
    if (fn(check, 0, 9, 0) !== 0xe3069283 || fn(new Uint8Array(32), 0, 32, 0) !== 0x8a9136aa) return null;
    return fn;
  } catch {
    return null;
  }
}
