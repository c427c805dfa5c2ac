/** UTF-8 encoding tuned for the short strings that keys and small values usually are. */

const encoder = new TextEncoder();

/** Strings up to this many UTF-16 units go through the scratch buffer (3 bytes per unit at most). */
const SHORT_STRING = 1024;
const scratch = new Uint8Array(SHORT_STRING * 3);

/**
 * `text` as UTF-8 bytes, in a new Uint8Array. `TextEncoder.encode` allocates an
 * off-heap buffer per call, which dominates for short strings; encoding into a shared
 * scratch buffer and copying the result out is several times faster there (the copy
 * is small). Lone surrogates become U+FFFD either way.
 */
export function encodeUtf8(text: string): Uint8Array {
  if (text.length > SHORT_STRING) return encoder.encode(text);
  const { written } = encoder.encodeInto(text, scratch);
  return scratch.slice(0, written);
}
