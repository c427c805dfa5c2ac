import { describe, expect, it } from 'vitest';
import { Registry } from '../../core/registry.ts';
import { builtInSerializers, registerBuiltInSerializers } from '../../plugins/serializers/index.ts';
import { createDefaultRegistry } from '../../adapters/runtime/default-registry.ts';
import { expectCoded } from '../../conformance/serializer.ts';

describe('built-in serializers', () => {
  it('are listed under the names their instances carry', () => {
    expect(builtInSerializers.map((s) => s.name)).toEqual(['string', 'json', 'int32', 'int64', 'float64', 'protobuf']);
    for (const { name, factory } of builtInSerializers) {
      if (name === 'protobuf') continue;
      expect(factory().name).toBe(name);
    }
  });

  it('register in a registry, and the schema formats ask for their options', () => {
    const registry = registerBuiltInSerializers(new Registry());
    expect(registry.list('serializer').map((e) => e.name)).toEqual(['float64', 'int32', 'int64', 'json', 'protobuf', 'string']);
    expect(registry.create('serializer', 'int32').serialize(7)).toEqual(new Uint8Array([0, 0, 0, 7]));
    expectCoded(() => registry.create('serializer', 'protobuf'), 'ERR_INVALID_OPTION');
  });

  it('the default registry adds avro, which loads avsc when first created', () => {
    const registry = createDefaultRegistry();
    expect(registry.list('serializer').map((e) => e.name)).toEqual(['avro', 'float64', 'int32', 'int64', 'json', 'protobuf', 'string']);
    const avro = registry.create('serializer', 'avro', { schema: 'string' });
    expect(avro.deserialize(avro.serialize('hi'))).toBe('hi');
    expectCoded(() => registry.create('serializer', 'avro'), 'ERR_INVALID_OPTION');
    expectCoded(() => registry.create('serializer', 'protobuf'), 'ERR_INVALID_OPTION');
  });
});
