/** Storage conformance — The metadata store: get, put, delete, list by prefix, atomic writes. */
import { describe, expect, it } from 'vitest';
import type { SuiteContext } from './harness.ts';
import { enc, dec } from './model.ts';

/** Registers the tests of this operation (called by `storageConformance`). */
export function metadataTests(ctx: SuiteContext): void {
  const { fresh } = ctx;
  describe('metadata', () => {
    it('get, put, overwrite and delete', async () => {
      const storage = await fresh();
      const md = storage.metadata;
      expect(await md.get('missing')).toBeUndefined();
      await md.put('topics/orders', enc.encode('{"partitions":3}'));
      expect(dec.decode(await md.get('topics/orders'))).toBe('{"partitions":3}');
      await md.put('topics/orders', enc.encode('v2'));
      expect(dec.decode(await md.get('topics/orders'))).toBe('v2');
      await md.delete('topics/orders');
      expect(await md.get('topics/orders')).toBeUndefined();
      await md.delete('topics/orders'); // deleting a missing key is fine
      const binary = Uint8Array.from({ length: 256 }, (_, i) => i);
      await md.put('bin', binary);
      expect(await md.get('bin')).toEqual(binary);
      await md.put('empty', new Uint8Array(0));
      expect(await md.get('empty')).toEqual(new Uint8Array(0));
      await md.put('tópico/ü/🙂', enc.encode('unicode'));
      expect(dec.decode(await md.get('tópico/ü/🙂'))).toBe('unicode');
    });

    it('does not share memory with the caller', async () => {
      const storage = await fresh();
      const value = enc.encode('abc');
      await storage.metadata.put('k', value);
      value[0] = 0x7a;
      const got = await storage.metadata.get('k');
      expect(dec.decode(got)).toBe('abc');
      got![1] = 0x7a;
      expect(dec.decode(await storage.metadata.get('k'))).toBe('abc');
    });

    it('lists by prefix, sorted by key', async () => {
      const storage = await fresh();
      const md = storage.metadata;
      const keys = ['offsets/g1/t/10', 'offsets/g1/t/2', 'offsets/g10/t/0', 'offsets/g1/t/1', 'offsets/g2/t/0', 'offsets/g1', 'offsetsX', 'topics/a', 'a'];
      for (const k of keys) await md.put(k, enc.encode(`v:${k}`));
      const g1 = await md.list('offsets/g1/');
      expect(g1.map((e) => e.key)).toEqual(['offsets/g1/t/1', 'offsets/g1/t/10', 'offsets/g1/t/2']);
      expect(g1.map((e) => dec.decode(e.value))).toEqual(['v:offsets/g1/t/1', 'v:offsets/g1/t/10', 'v:offsets/g1/t/2']);
      expect((await md.list('offsets/')).map((e) => e.key)).toEqual(['offsets/g1', 'offsets/g1/t/1', 'offsets/g1/t/10', 'offsets/g1/t/2', 'offsets/g10/t/0', 'offsets/g2/t/0']);
      expect((await md.list('')).map((e) => e.key)).toEqual([...keys].sort());
      expect(await md.list('nothing/')).toEqual([]);
    });

    it('applies a write batch atomically and in order', async () => {
      const storage = await fresh();
      const md = storage.metadata;
      await md.put('old', enc.encode('x'));
      await md.write([
        { type: 'put', key: 'g/a', value: enc.encode('1') },
        { type: 'put', key: 'g/b', value: enc.encode('2') },
        { type: 'delete', key: 'old' },
        { type: 'put', key: 'g/c', value: enc.encode('3') },
        { type: 'delete', key: 'g/c' },
        { type: 'delete', key: 'g/d' },
        { type: 'put', key: 'g/d', value: enc.encode('4') },
        { type: 'put', key: 'g/a', value: enc.encode('1b') },
      ]);
      expect((await md.list('')).map((e) => [e.key, dec.decode(e.value)])).toEqual([
        ['g/a', '1b'],
        ['g/b', '2'],
        ['g/d', '4'],
      ]);
      await md.write([]);
      expect((await md.list('')).length).toBe(3);
    });

    it('rejects a write with a bad operation with a coded error and applies none of it', async () => {
      const storage = await fresh();
      const md = storage.metadata;
      await md.put('keep', enc.encode('k'));
      let caught: unknown;
      try {
        await md.write([
          { type: 'put', key: 'new', value: enc.encode('n') },
          { type: 'delete', key: 'keep' },
          { type: 'rename', key: 'keep' } as never,
        ]);
      } catch (error) {
        caught = error;
      }
      expect(caught).toBeDefined();
      expect(typeof (caught as { code?: unknown }).code).toBe('string');
      expect(await md.get('new')).toBeUndefined();
      expect(dec.decode(await md.get('keep'))).toBe('k');
    });
  });
}
