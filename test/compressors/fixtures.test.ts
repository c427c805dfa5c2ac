/**
 * Interoperability with other implementations, both ways:
 * - our decoders read, byte for byte, what the Debian gzip/lz4/zstd tools and
 *   python3-snappy wrote (test/fixtures/compression, made by make-fixtures.py);
 * - the Debian tools (and python3-snappy) read what our encoders write.
 * The second half needs the tools; each tool's tests are skipped, with a warning, when
 * it is missing.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Compressor } from '../../core/contracts/compressor.ts';
import { bestZstd } from '../../adapters/runtime/zstd-native.ts';
import { nativeGzip } from '../../adapters/runtime/gzip-native.ts';
import { gzip } from '../../plugins/compressors/gzip.ts';
import { lz4 } from '../../plugins/compressors/lz4.ts';
import { snappy } from '../../plugins/compressors/snappy.ts';
import { zstd } from '../../plugins/compressors/zstd.ts';
import { jsonRecords, seededBytes } from '../../conformance/compressor.ts';

const dir = join(import.meta.dirname, '..', 'fixtures', 'compression');
const read = (name: string) => new Uint8Array(readFileSync(join(dir, name)));

function hasTool(command: string, args: string[]): boolean {
  const ok = spawnSync(command, args, { stdio: 'ignore' }).status === 0;
  if (!ok) console.warn(`[compressor interop] skipping: \`${command}\` is not available (${[command, ...args].join(' ')} failed)`);
  return ok;
}

// python3-snappy is a Debian package, so prefer the system interpreter over a pyenv shim.
const python = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';
const tools = {
  gzip: hasTool('gzip', ['--version']),
  lz4: hasTool('lz4', ['--version']),
  zstd: hasTool('zstd', ['--version']),
  snappy: hasTool(python, ['-c', 'import snappy']),
};

function pipe(command: string, args: string[], input: Uint8Array): Uint8Array {
  return new Uint8Array(execFileSync(command, args, { input, maxBuffer: 256 * 1024 * 1024 }));
}

// Unwraps xerial framing and decodes each raw block with python3-snappy.
const PY_SNAPPY = `
import snappy, struct, sys
data = sys.stdin.buffer.read()
out = bytearray()
if data[:8] == b'\\x82SNAPPY\\x00':
    assert struct.unpack('>ii', data[8:16]) == (1, 1)
    i = 16
    while i < len(data):
        (n,) = struct.unpack('>i', data[i:i + 4])
        block = data[i + 4:i + 4 + n]
        assert len(block) == n
        out += snappy.uncompress(block)
        i += 4 + n
else:
    out += snappy.uncompress(data)
sys.stdout.buffer.write(bytes(out))
`;

function sameBytes(actual: Uint8Array, expected: Uint8Array): void {
  expect(actual.length).toBe(expected.length);
  expect(Buffer.compare(Buffer.from(actual), Buffer.from(expected))).toBe(0);
}

const fixtures: [codec: string, make: () => Compressor, file: string, original: string][] = [
  ['gzip', gzip, 'records.gz', 'records.bin'],
  ['gzip', gzip, 'small.gz', 'small.bin'],
  ['gzip', gzip, 'records.multi-member.gz', 'records.bin'],
  ['gzip (native)', () => nativeGzip(), 'records.multi-member.gz', 'records.bin'],
  ['gzip (native)', () => nativeGzip(), 'records.gz', 'records.bin'],
  ['snappy', snappy, 'records.snappy-raw', 'records.bin'],
  ['snappy', snappy, 'records.snappy-xerial', 'records.bin'],
  ['snappy', snappy, 'small.snappy-raw', 'small.bin'],
  ['snappy', snappy, 'small.snappy-xerial', 'small.bin'],
  ['lz4', lz4, 'records.lz4', 'records.bin'],
  ['lz4', lz4, 'small.lz4', 'small.bin'],
  ['lz4', lz4, 'records.content-size.lz4', 'records.bin'],
  ['lz4', lz4, 'records2.linked-checksums.lz4', 'records2.bin'],
  ['lz4', lz4, 'records2.independent.lz4', 'records2.bin'],
  ['zstd', zstd, 'records.zstd-3.zst', 'records.bin'],
  ['zstd', zstd, 'records.zstd-19.zst', 'records.bin'],
  ['zstd', zstd, 'records.zstd-3-stream.zst', 'records.bin'],
  ['zstd', zstd, 'small.zstd-3.zst', 'small.bin'],
  ['zstd (native)', () => bestZstd(), 'records.zstd-3-stream.zst', 'records.bin'],
  ['zstd (native)', () => bestZstd(), 'records.zstd-19.zst', 'records.bin'],
];

describe('compressors read fixtures written by other implementations', () => {
  for (const [codec, make, file, original] of fixtures) {
    it(`${codec} reads ${file} byte-exactly`, async () => {
      sameBytes(await make().decompress(read(file)), read(original));
    });
  }

  it('the multi-member gzip fixture really has two members', () => {
    const data = read('records.multi-member.gz');
    // The second member is `gzip -1 -n`: magic, deflate, no flags, mtime 0, XFL 4, OS 3 (Unix).
    const header = [0x1f, 0x8b, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x04, 0x03];
    const at = Buffer.from(data).indexOf(Buffer.from(header));
    expect(at).toBeGreaterThan(10);
  });

  it('the xerial fixture has 32 KiB chunks, as snappy-java writes', () => {
    const data = read('records.snappy-xerial');
    const view = new DataView(data.buffer, data.byteOffset);
    const first = view.getInt32(16);
    expect(view.getInt32(20 + first)).toBeGreaterThan(0); // a second chunk follows the first
  });
});

describe('what we write is what the Java client writes', () => {
  it('snappy: xerial header, version 1/1, 32 KiB chunks', async () => {
    const input = read('records.bin');
    const out = await snappy().compress(input);
    expect([...out.subarray(0, 16)]).toEqual([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00, 0, 0, 0, 1, 0, 0, 0, 1]);
    const view = new DataView(out.buffer, out.byteOffset);
    const first = view.getInt32(16);
    // The first chunk's raw block declares 32768 bytes (varint 0x80 0x80 0x02).
    expect([...out.subarray(20, 23)]).toEqual([0x80, 0x80, 0x02]);
    const second = view.getInt32(20 + first);
    expect(20 + first + 4 + second).toBe(out.length);
  });

  it('lz4: frame version 1, independent 64 KiB blocks, no checksums, correct header checksum', async () => {
    const out = await lz4().compress(read('records.bin'));
    expect([...out.subarray(0, 7)]).toEqual([0x04, 0x22, 0x4d, 0x18, 0x60, 0x40, out[6]]);
  });
});

const ours: [tool: keyof typeof tools, name: string, make: () => Compressor, command: string, args: string[]][] = [
  ['gzip', 'gzip', gzip, 'gzip', ['-d', '-c']],
  ['gzip', 'gzip level 1', () => gzip({ level: 1 }), 'gzip', ['-d', '-c']],
  ['gzip', 'gzip level 9', () => gzip({ level: 9 }), 'gzip', ['-d', '-c']],
  ['gzip', 'gzip (native zlib)', () => nativeGzip(), 'gzip', ['-d', '-c']],
  ['lz4', 'lz4', lz4, 'lz4', ['-d', '-c']],
  ['lz4', 'lz4 with checksums and content size', () => lz4({ blockChecksum: true, contentChecksum: true, contentSize: true }), 'lz4', ['-d', '-c']],
  ['zstd', 'zstd (wasm)', zstd, 'zstd', ['-d', '-c']],
  ['zstd', 'zstd level 19 (wasm)', () => zstd({ level: 19 }), 'zstd', ['-d', '-c']],
  ['zstd', 'zstd (best native)', () => bestZstd(), 'zstd', ['-d', '-c']],
  ['snappy', 'snappy (xerial)', snappy, python, ['-c', PY_SNAPPY]],
  ['snappy', 'snappy (raw)', () => snappy({ framing: 'raw' }), python, ['-c', PY_SNAPPY]],
];

describe('other implementations read what we write', () => {
  const inputs: [string, Uint8Array][] = [
    ['records fixture', read('records.bin')],
    ['empty', new Uint8Array(0)],
    ['1 byte', Uint8Array.of(7)],
    ['random 70 KB', seededBytes(70_000, 5)],
    ['1.1 MiB of records', jsonRecords(1_100_000, 9)],
    ['zeros 300 KB', new Uint8Array(300_000)],
  ];
  for (const [tool, name, make, command, args] of ours) {
    describe.skipIf(!tools[tool])(`${name} → ${command === python ? 'python3-snappy' : command}`, () => {
      // Level 19 is slow (seconds per MiB); the small inputs prove the format just as well.
      for (const [label, input] of name.includes('19') ? inputs.filter(([, i]) => i.length < 100_000) : inputs) {
        it(`decodes our ${label}`, async () => {
          sameBytes(pipe(command, args, await make().compress(input)), input);
        });
      }
    });
  }
});
