import { expect, it } from 'vitest';
import { main } from './compression.ts';
import { collectLog } from './shared/log.ts';

it('compression: every codec stores the same records in fewer bytes, and they all read back', async () => {
  const { log, lines } = collectLog();
  const rows = await main(log, 3000);
  expect(rows.map((r) => r.codec)).toEqual(['none', 'gzip', 'snappy', 'lz4', 'zstd']);
  for (const r of rows) expect(r.recordsRead).toBe(3000);
  const none = rows[0]!;
  for (const r of rows.slice(1)) {
    // Repetitive JSON compresses well with any codec.
    expect(r.storedBytes).toBeLessThan(none.storedBytes / 2);
    expect(r.ratio).toBeCloseTo(none.storedBytes / r.storedBytes, 5);
    expect(r.compressMs).toBeGreaterThanOrEqual(0);
  }
  // The entropy coders (gzip, zstd) beat the byte-oriented LZ codecs on this data.
  const by = Object.fromEntries(rows.map((r) => [r.codec, r.storedBytes]));
  expect(Math.max(by.gzip!, by.zstd!)).toBeLessThan(Math.min(by.snappy!, by.lz4!));
  expect(lines[0]).toContain('3,000 truck positions');
});
