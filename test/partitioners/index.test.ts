import { describe, expect, it } from 'vitest';
import { Registry } from '../../core/registry.ts';
import { builtInPartitioners, registerBuiltInPartitioners } from '../../plugins/partitioners/index.ts';

describe('built-in partitioners', () => {
  it('are listed under the names their instances carry', () => {
    expect(builtInPartitioners.map((p) => p.name)).toEqual(['default', 'murmur2', 'sticky', 'round-robin']);
    for (const { name, factory } of builtInPartitioners) expect(factory().name).toBe(name);
  });

  it('register in a registry, each create giving a fresh instance', () => {
    const registry = registerBuiltInPartitioners(new Registry());
    expect(registry.list('partitioner').map((e) => e.name)).toEqual(['default', 'murmur2', 'round-robin', 'sticky']);
    const a = registry.create('partitioner', 'round-robin');
    const b = registry.create('partitioner', 'round-robin');
    expect([a.partition({ topic: 't', key: null, partitionCount: 4 }), a.partition({ topic: 't', key: null, partitionCount: 4 })]).toEqual([0, 1]);
    expect(b.partition({ topic: 't', key: null, partitionCount: 4 })).toBe(0);
  });
});

describe('built-in partitioners refuse bad input', () => {
  it('with ERR_INVALID_ARGUMENT for a partition count that is not an integer ≥ 1', () => {
    for (const { name, factory } of builtInPartitioners) {
      const p = factory();
      for (const partitionCount of [0, -1, 1.5, NaN]) {
        for (const key of [null, new Uint8Array([1])]) {
          expect(() => p.partition({ topic: 't', key, partitionCount }), `${name} n=${partitionCount}`).toThrowError(expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT' }));
        }
      }
    }
  });

  it('with ERR_INVALID_OPTION for a random source that is not a function', () => {
    for (const name of ['default', 'murmur2', 'sticky']) {
      const factory = builtInPartitioners.find((p) => p.name === name)!.factory;
      expect(() => factory({ random: 0.5 })).toThrowError(expect.objectContaining({ code: 'ERR_INVALID_OPTION' }));
    }
  });
});
