import { describe, expect, it } from 'vitest';
import { Registry } from '../core/registry.ts';
import { TributaryError, kafkaError, kafkaErrorByCode, kafkaErrorByName } from '../core/errors.ts';
import type { Compressor } from '../core/contracts/compressor.ts';

const identity = (name: string, codec: 1 | 2 | 3 | 4): Compressor => ({
  name,
  codec,
  compress: async (d) => d,
  decompress: async (d) => d,
});

describe('Registry', () => {
  it('registers, creates and lists plugins by kind and name', () => {
    const registry = new Registry();
    registry.register('compressor', 'id-gzip', () => identity('id-gzip', 1));
    registry.register('partitioner', 'zero', () => ({ name: 'zero', partition: () => 0 }));
    expect(registry.has('compressor', 'id-gzip')).toBe(true);
    expect(registry.has('serializer', 'id-gzip')).toBe(false);
    expect(registry.create('partitioner', 'zero').partition({ topic: 't', key: null, partitionCount: 3 })).toBe(0);
    expect(registry.list()).toEqual([
      { kind: 'compressor', name: 'id-gzip' },
      { kind: 'partitioner', name: 'zero' },
    ]);
    expect(registry.list('storage')).toEqual([]);
  });

  it('rejects duplicates and unknown names with coded errors', () => {
    const registry = new Registry().register('compressor', 'a', () => identity('a', 1));
    expect(() => registry.register('compressor', 'a', () => identity('a', 1))).toThrowError(expect.objectContaining({ code: 'ERR_DUPLICATE_PLUGIN' }));
    expect(() => registry.create('serializer', 'nope')).toThrowError(expect.objectContaining({ code: 'ERR_UNKNOWN_PLUGIN' }));
    expect(() => registry.register('compressor', '', () => identity('', 1))).toThrowError(expect.objectContaining({ code: 'ERR_INVALID_PLUGIN' }));
    expect(() => registry.register('nope' as never, 'x', (() => null) as never)).toThrowError(expect.objectContaining({ code: 'ERR_UNKNOWN_PLUGIN_KIND' }));
  });

  it('finds compressors by codec id, first registered or chosen', () => {
    const registry = new Registry()
      .register('compressor', 'zstd-a', () => identity('zstd-a', 4))
      .register('compressor', 'zstd-b', () => identity('zstd-b', 4));
    expect(registry.compressorForCodec(4).name).toBe('zstd-a');
    expect(registry.compressorForCodec(4)).toBe(registry.compressorForCodec(4));
    registry.useForCodec('zstd-b');
    expect(registry.compressorForCodec(4).name).toBe('zstd-b');
    expect(() => registry.compressorForCodec(2)).toThrowError(expect.objectContaining({ code: 'ERR_UNKNOWN_CODEC' }));
  });

  it('clones without sharing registrations', () => {
    const base = new Registry().register('compressor', 'a', () => identity('a', 1));
    const copy = base.clone().register('compressor', 'b', () => identity('b', 2));
    expect(base.has('compressor', 'b')).toBe(false);
    expect(copy.has('compressor', 'a')).toBe(true);
  });
});

describe('errors', () => {
  it('carries code, retriable and cause', () => {
    const cause = new Error('disk');
    const error = new TributaryError('ERR_STORAGE_OPEN', 'x failed', { retriable: true, cause });
    expect(error).toBeInstanceOf(Error);
    expect(error.code).toBe('ERR_STORAGE_OPEN');
    expect(error.retriable).toBe(true);
    expect(error.cause).toBe(cause);
  });

  it('maps Kafka error numbers to names and retriability', () => {
    expect(kafkaErrorByCode(3)?.name).toBe('UNKNOWN_TOPIC_OR_PARTITION');
    expect(kafkaErrorByName('UNSUPPORTED_VERSION')?.code).toBe(35);
    expect(kafkaErrorByCode(-1)?.name).toBe('UNKNOWN_SERVER_ERROR');
    const e = kafkaError(6);
    expect(e.code).toBe('NOT_LEADER_OR_FOLLOWER');
    expect(e.kafkaCode).toBe(6);
    expect(e.retriable).toBe(true);
    expect(kafkaError(36).retriable).toBe(false);
  });
});
