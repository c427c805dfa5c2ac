/** A minimal pipelining Kafka wire client for benchmarks: one socket, requests matched by correlation id. */
import { type Socket, connect } from 'node:net';
import { decodeResponse, encodeRequest } from '../core/protocol/messages.ts';

/** One connection to a broker. */
export class WireClient {
  readonly #socket: Socket;
  #buffer: Buffer = Buffer.alloc(0);
  #next = 1;
  readonly #pending = new Map<number, { apiKey: number; apiVersion: number; resolve: (body: any) => void; reject: (e: Error) => void }>();

  private constructor(socket: Socket) {
    this.#socket = socket;
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.#onData(chunk));
    socket.on('close', () => {
      for (const p of this.#pending.values()) p.reject(new Error('connection closed'));
      this.#pending.clear();
    });
    socket.on('error', () => undefined);
  }

  /** Connects to `host:port`. */
  static connect(host: string, port: number): Promise<WireClient> {
    return new Promise((resolve, reject) => {
      const socket = connect(port, host, () => resolve(new WireClient(socket)));
      socket.once('error', reject);
    });
  }

  /** Sends a request and resolves its decoded response body. */
  request(apiKey: number, apiVersion: number, body: object): Promise<any> {
    const correlationId = this.#next++;
    return new Promise((resolve, reject) => {
      this.#pending.set(correlationId, { apiKey, apiVersion, resolve, reject });
      for (const chunk of encodeRequest({ apiKey, apiVersion, correlationId, clientId: 'bench' }, body)) this.#socket.write(chunk);
    });
  }

  /** Closes the connection. */
  close(): void {
    this.#socket.destroy();
  }

  #onData(chunk: Buffer): void {
    this.#buffer = this.#buffer.length === 0 ? chunk : Buffer.concat([this.#buffer, chunk]);
    while (this.#buffer.length >= 4) {
      const size = this.#buffer.readInt32BE(0);
      if (this.#buffer.length < 4 + size) break;
      const frame = this.#buffer.subarray(4, 4 + size);
      this.#buffer = this.#buffer.subarray(4 + size);
      const pending = this.#pending.get(frame.readInt32BE(0));
      if (!pending) continue;
      this.#pending.delete(frame.readInt32BE(0));
      pending.resolve(decodeResponse(pending.apiKey, pending.apiVersion, frame).body);
    }
  }
}
