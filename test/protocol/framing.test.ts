/** Kafka framing (core/protocol/framing.ts): views when a frame is inside one chunk, pieces joined once otherwise. */
import { describe, expect, it } from 'vitest';
import { FrameDecoder } from '../../core/protocol/framing.ts';
import { sizePrefix } from '../broker/raw-client.ts';

function framed(...bodies: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(bodies.reduce((n, b) => n + 4 + b.length, 0));
  let at = 0;
  for (const b of bodies) {
    out.set(sizePrefix(b.length), at);
    out.set(b, at + 4);
    at += 4 + b.length;
  }
  return out;
}

describe('FrameDecoder', () => {
  it('returns frames inside one chunk as views of it, in order, including an empty frame', () => {
    const stream = framed(new Uint8Array([1, 2, 3]), new Uint8Array(0), new Uint8Array([4]));
    const frames = new FrameDecoder(100).push(stream);
    expect(frames.map((f) => [...f])).toEqual([[1, 2, 3], [], [4]]);
    expect(frames[0]!.buffer).toBe(stream.buffer);
  });

  it('assembles frames fed one byte at a time, size prefix included', () => {
    const bodies = [new Uint8Array([9, 8, 7, 6, 5]), new Uint8Array([1])];
    const stream = framed(...bodies);
    const decoder = new FrameDecoder(100);
    const frames: Uint8Array[] = [];
    for (let i = 0; i < stream.length; i++) frames.push(...decoder.push(stream.subarray(i, i + 1)));
    expect(frames.map((f) => [...f])).toEqual(bodies.map((b) => [...b]));
    expect(decoder.buffered).toBe(0);
  });

  it('holds only the bytes received of a large announced frame, not the announced size', () => {
    const before = process.memoryUsage().arrayBuffers;
    // Ten connections each announcing 100 MiB and sending ten bytes.
    const decoders = Array.from({ length: 10 }, () => new FrameDecoder(200 * 1024 * 1024));
    for (const d of decoders) expect(d.push(new Uint8Array([...sizePrefix(100 * 1024 * 1024), 1, 2, 3, 4, 5, 6, 7, 8, 9, 10]))).toEqual([]);
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(100 * 1024 * 1024);
    expect(decoders.map((d) => d.buffered)).toEqual(Array(10).fill(10));
  });

  it('refuses a negative or oversized size with a code', () => {
    expect(() => new FrameDecoder(10).push(sizePrefix(-1))).toThrow(expect.objectContaining({ code: 'ERR_NEGATIVE_FRAME_SIZE' }));
    expect(() => new FrameDecoder(10).push(sizePrefix(11))).toThrow(expect.objectContaining({ code: 'ERR_FRAME_TOO_LARGE' }));
    const split = new FrameDecoder(10);
    split.push(new Uint8Array([0, 0]));
    expect(() => split.push(new Uint8Array([0, 11]))).toThrow(expect.objectContaining({ code: 'ERR_FRAME_TOO_LARGE' }));
  });
});
