/** A raw TCP Kafka client for tests: writes arbitrary bytes, reads whole response frames. */
import { type Socket, connect } from 'node:net';

/** A socket with a frame reader. */
export class RawClient {
  readonly socket: Socket;
  readonly frames: Uint8Array[] = [];
  closed = false;
  #buffer = new Uint8Array(0);
  #waiters: Array<() => void> = [];

  private constructor(socket: Socket) {
    this.socket = socket;
    socket.on('data', (chunk: Uint8Array) => {
      const next = new Uint8Array(this.#buffer.length + chunk.length);
      next.set(this.#buffer);
      next.set(chunk, this.#buffer.length);
      this.#buffer = next;
      while (this.#buffer.length >= 4) {
        const size = new DataView(this.#buffer.buffer, this.#buffer.byteOffset).getInt32(0);
        if (this.#buffer.length < 4 + size) break;
        this.frames.push(this.#buffer.slice(4, 4 + size));
        this.#buffer = this.#buffer.slice(4 + size);
      }
      this.#wake();
    });
    socket.on('close', () => {
      this.closed = true;
      this.#wake();
    });
    socket.on('error', () => undefined);
  }

  /** Connects to `port` on 127.0.0.1. */
  static connect(port: number): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const socket = connect(port, '127.0.0.1', () => resolve(new RawClient(socket)));
      socket.once('error', reject);
    });
  }

  /** Writes chunks as they are. */
  write(...chunks: Uint8Array[]): void {
    for (const c of chunks) this.socket.write(c);
  }

  /** Waits until `n` frames arrived or the socket closed. */
  async waitFrames(n: number): Promise<Uint8Array[]> {
    while (this.frames.length < n && !this.closed) await new Promise<void>((r) => this.#waiters.push(r));
    return this.frames.slice(0, n);
  }

  /** Waits until the server closed the connection. */
  async waitClosed(): Promise<void> {
    while (!this.closed) await new Promise<void>((r) => this.#waiters.push(r));
  }

  /** Correlation id of a response frame. */
  static correlationId(frame: Uint8Array): number {
    return new DataView(frame.buffer, frame.byteOffset).getInt32(0);
  }

  close(): void {
    this.socket.destroy();
  }

  #wake(): void {
    const w = this.#waiters;
    this.#waiters = [];
    for (const f of w) f();
  }
}

/** A 4-byte big-endian size prefix. */
export function sizePrefix(size: number): Uint8Array {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setInt32(0, size);
  return b;
}
