/**
 * Kafka's framing, runtime-neutral (the TCP server and the TCP client both use it).
 *
 * Splits a byte stream into Kafka frames (a 4-byte big-endian size, then that many bytes).
 * A frame inside one received chunk is returned as a view of it (no copy); a frame that
 * straddles chunks is kept as the list of received pieces and joined once, when its last
 * byte arrives. Memory therefore grows with the bytes a peer really sent, never with the
 * size it claims: a client announcing 100 MiB and sending ten bytes holds ten bytes.
 */
import { TributaryError } from '../errors.ts';

/**
 * Largest request frame a broker accepts by default: Kafka's socket.request.max.bytes
 * (100 MiB). A larger size prefix closes the connection before any body byte is kept.
 */
export const DEFAULT_MAX_REQUEST_SIZE = 100 * 1024 * 1024;

/**
 * Asked for each frame's size as soon as its prefix is read; false holds the frame (and
 * everything after it) until {@link FrameDecoder.resume} finds room. This is how a broker
 * bounds the bytes of requests it holds (Kafka's queued.max.request.bytes): a frame is
 * only assembled once its whole announced size is reserved.
 */
export type FrameReserve = (size: number) => boolean;

/** Reads frames out of the chunks a socket delivers. */
export class FrameDecoder {
  readonly #maxFrameSize: number;
  readonly #reserve: FrameReserve | undefined;
  /** Size of a frame whose reservation was refused, or -1. */
  #stalledSize = -1;
  /** Bytes received after a refused frame's size prefix. */
  #stash: Uint8Array[] = [];
  #stashBytes = 0;
  #sizeBytes = new Uint8Array(4);
  #sizeFilled = 0;
  /** Size of the frame being assembled, or -1 between frames. */
  #frameSize = -1;
  #pieces: Uint8Array[] = [];
  #piecesBytes = 0;

  /** @param maxFrameSize largest accepted frame body, in bytes (the size prefix excluded). */
  constructor(maxFrameSize: number, reserve?: FrameReserve) {
    this.#maxFrameSize = maxFrameSize;
    this.#reserve = reserve;
  }

  /** Bytes received but not yet part of a returned frame. */
  get buffered(): number {
    return this.#sizeFilled + this.#piecesBytes + this.#stashBytes;
  }

  /** True while a frame waits for its reservation: stop reading, call {@link resume} when there may be room. */
  get stalled(): boolean {
    return this.#stalledSize >= 0;
  }

  /**
   * Retries the held frame's reservation; when it succeeds, goes on with the bytes held
   * behind it and returns the frames they complete (possibly stalling again).
   */
  resume(): Uint8Array[] {
    const size = this.#stalledSize;
    if (size < 0 || (this.#reserve !== undefined && !this.#reserve(size))) return [];
    this.#stalledSize = -1;
    const stash = this.#stash;
    this.#stash = [];
    this.#stashBytes = 0;
    const frames: Uint8Array[] = [];
    if (size === 0) frames.push(new Uint8Array(0));
    else this.#frameSize = size;
    for (const chunk of stash) {
      for (const frame of this.push(chunk)) frames.push(frame);
    }
    return frames;
  }

  /**
   * Feeds one chunk; returns the frames it completes, in order. Throws
   * `ERR_FRAME_TOO_LARGE` for a size above the maximum and `ERR_NEGATIVE_FRAME_SIZE` for a
   * negative one; the stream is unusable afterwards (the connection must close). The
   * returned frames may be views of `chunk`, which the caller must not reuse.
   */
  push(chunk: Uint8Array): Uint8Array[] {
    const frames: Uint8Array[] = [];
    if (this.#stalledSize >= 0) {
      if (chunk.length > 0) {
        this.#stash.push(chunk);
        this.#stashBytes += chunk.length;
      }
      return frames;
    }
    let pos = 0;
    while (pos < chunk.length) {
      if (this.#frameSize < 0) {
        // Fast path: a whole size prefix is in this chunk and nothing is half-read.
        let size: number;
        if (this.#sizeFilled === 0 && chunk.length - pos >= 4) {
          size = ((chunk[pos]! << 24) | (chunk[pos + 1]! << 16) | (chunk[pos + 2]! << 8) | chunk[pos + 3]!);
          pos += 4;
        } else {
          while (this.#sizeFilled < 4 && pos < chunk.length) this.#sizeBytes[this.#sizeFilled++] = chunk[pos++]!;
          if (this.#sizeFilled < 4) break;
          const b = this.#sizeBytes;
          size = (b[0]! << 24) | (b[1]! << 16) | (b[2]! << 8) | b[3]!;
          this.#sizeFilled = 0;
        }
        this.#check(size);
        if (this.#reserve !== undefined && !this.#reserve(size)) {
          this.#stalledSize = size;
          if (pos < chunk.length) {
            this.#stash.push(chunk.subarray(pos));
            this.#stashBytes += chunk.length - pos;
          }
          return frames;
        }
        if (chunk.length - pos >= size) {
          frames.push(chunk.subarray(pos, pos + size));
          pos += size;
          continue;
        }
        this.#frameSize = size;
      }
      const take = Math.min(this.#frameSize - this.#piecesBytes, chunk.length - pos);
      this.#pieces.push(chunk.subarray(pos, pos + take));
      this.#piecesBytes += take;
      pos += take;
      if (this.#piecesBytes === this.#frameSize) frames.push(this.#join());
    }
    return frames;
  }

  #join(): Uint8Array {
    const frame = new Uint8Array(this.#frameSize);
    let at = 0;
    for (const piece of this.#pieces) {
      frame.set(piece, at);
      at += piece.length;
    }
    this.#pieces = [];
    this.#piecesBytes = 0;
    this.#frameSize = -1;
    return frame;
  }

  #check(size: number): void {
    if (size < 0) throw new TributaryError('ERR_NEGATIVE_FRAME_SIZE', `Frame size ${size} is negative`, { details: { size } });
    if (size > this.#maxFrameSize) {
      throw new TributaryError('ERR_FRAME_TOO_LARGE', `Frame size ${size} exceeds the maximum request size ${this.#maxFrameSize}`, { details: { size } });
    }
  }
}
