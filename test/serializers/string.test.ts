import { describe, expect, it } from 'vitest';
import { string } from '../../plugins/serializers/string.ts';
import { expectCoded, serializerConformance } from '../../conformance/serializer.ts';

const samples = ['', 'hello', 'héllo wörld', '日本語', '🙂 emoji', '\uFEFFleading BOM kept', 'x'.repeat(5000)];

// Any bytes decode leniently to some string, so truncation is not detectable.
serializerConformance('string', () => string(), samples, { detectsTruncation: false, unserializable: [42, {}, undefined, 10n] });
serializerConformance('string', () => string({ fatal: true }), ['hello', '日本語', '🙂'], {
  label: 'fatal',
  // A cut-off ASCII text is still valid UTF-8.
  detectsTruncation: false,
  invalid: [new Uint8Array([0xff]), new Uint8Array([0x68, 0xc3]), new Uint8Array([0xed, 0xa0, 0x80])],
});

describe('string serializer', () => {
  it('writes UTF-8 exactly as Java getBytes(UTF_8) does', () => {
    expect(Array.from(string().serialize('hé€🙂')!)).toEqual([0x68, 0xc3, 0xa9, 0xe2, 0x82, 0xac, 0xf0, 0x9f, 0x99, 0x82]);
  });

  it('replaces invalid UTF-8 by default and refuses it when fatal', () => {
    const bad = new Uint8Array([0x61, 0xff, 0x62]);
    expect(string().deserialize(bad)).toBe('a\uFFFDb');
    const error = expectCoded(() => string({ fatal: true }).deserialize(bad), 'ERR_DESERIALIZATION');
    expect(error.cause).toBeInstanceOf(TypeError);
  });
});
