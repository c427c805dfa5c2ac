/**
 * UTF-8 helpers for short strings such as header keys. TextEncoder and TextDecoder carry
 * a fixed cost per call that dominates for keys of a few bytes, so ASCII takes a plain
 * loop and everything else goes through the web-standard codecs.
 */

const encoder = new TextEncoder();
// Not fatal: invalid sequences become U+FFFD, as Java's `new String(bytes, UTF_8)` does.
const decoder = new TextDecoder();

/** Bytes the UTF-8 encoding of `s` takes (lone surrogates count as U+FFFD, 3 bytes). */
export function utf8Length(s: string): number {
  const n = s.length;
  let bytes = n;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) continue;
    if (c < 0x800) {
      bytes += 1;
    } else {
      // A valid pair is two code units for four bytes; anything else three bytes each.
      bytes += 2;
      if (c >= 0xd800 && c <= 0xdbff && i + 1 < n) {
        const d = s.charCodeAt(i + 1);
        if (d >= 0xdc00 && d <= 0xdfff) i++;
      }
    }
  }
  return bytes;
}

/**
 * Writes `s` as UTF-8 at `pos`, where `byteLength` is `utf8Length(s)` and the buffer has
 * room for it; returns the position after it.
 */
export function writeUtf8(buf: Uint8Array, pos: number, s: string, byteLength: number): number {
  const n = s.length;
  if (byteLength === n) {
    for (let i = 0; i < n; i++) buf[pos + i] = s.charCodeAt(i);
  } else {
    encoder.encodeInto(s, buf.subarray(pos, pos + byteLength));
  }
  return pos + byteLength;
}

/** Strings up to this many UTF-16 units go through the scratch buffer (3 bytes per unit at most). */
const SHORT_STRING = 1024;
const scratch = new Uint8Array(SHORT_STRING * 3);

/**
 * Encodes `s` as UTF-8 into a new array. `TextEncoder.encode` allocates an off-heap
 * buffer per call, which dominates for short strings (keys, small values); encoding
 * into a shared scratch buffer and copying the result out is faster there.
 */
export function encodeUtf8(s: string): Uint8Array {
  if (s.length > SHORT_STRING) return encoder.encode(s);
  const { written } = encoder.encodeInto(s, scratch);
  return scratch.slice(0, written);
}

/** Decodes `buf[start, end)` as UTF-8. The caller has checked the bounds. */
export function readUtf8(buf: Uint8Array, start: number, end: number): string {
  if (end - start <= 32) {
    let s = '';
    for (let i = start; i < end; i++) {
      const c = buf[i]!;
      if (c >= 0x80) return decoder.decode(buf.subarray(start, end));
      s += String.fromCharCode(c);
    }
    return s;
  }
  return decoder.decode(buf.subarray(start, end));
}
