/**
 * A TCP proxy for tests that makes clients retry: it forwards Kafka frames both ways and,
 * when armed, lets a Produce request through to the broker but closes the client's
 * connection instead of relaying the response — the append happened, the client does not
 * know, so it retries the same batch.
 */
import { type Server, type Socket, connect, createServer } from 'node:net';

/** Accumulates a byte stream and hands out whole size-prefixed frames (prefix included). */
function framer(onFrame: (frame: Buffer) => void): (chunk: Buffer) => void {
  let buffer: Buffer = Buffer.alloc(0);
  return (chunk) => {
    buffer = buffer.length === 0 ? chunk : Buffer.concat([buffer, chunk]);
    while (buffer.length >= 4) {
      const size = buffer.readInt32BE(0);
      if (buffer.length < 4 + size) break;
      onFrame(buffer.subarray(0, 4 + size));
      buffer = buffer.subarray(4 + size);
    }
  };
}

/** A running proxy. */
export class SabotageProxy {
  readonly server: Server;
  /** Produce requests forwarded to the broker. */
  produceRequests = 0;
  /** Every Produce request forwarded, as a frame without its size prefix (to find retried batches). */
  readonly produceFrames: Uint8Array[] = [];
  /** Produce responses swallowed (connections cut). */
  cut = 0;
  #armed = 0;
  readonly #sockets = new Set<Socket>();

  private constructor(server: Server) {
    this.server = server;
  }

  /** Listens on an ephemeral 127.0.0.1 port, forwarding to `targetPort`. */
  static async start(targetPort: number): Promise<SabotageProxy> {
    const server = createServer();
    const proxy = new SabotageProxy(server);
    server.on('connection', (client) => proxy.#pipe(client, targetPort));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return proxy;
  }

  /** The listening port. */
  get port(): number {
    return (this.server.address() as { port: number }).port;
  }

  /** Swallows the responses of the next `n` Produce requests. */
  arm(n: number): void {
    this.#armed += n;
  }

  /** Stops listening and cuts every connection. */
  async close(): Promise<void> {
    for (const s of this.#sockets) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  #pipe(client: Socket, targetPort: number): void {
    const upstream = connect(targetPort, '127.0.0.1');
    this.#sockets.add(client);
    this.#sockets.add(upstream);
    const doomed = new Set<number>();
    const cut = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('data', framer((frame) => {
      const apiKey = frame.readInt16BE(4);
      if (apiKey === 0) {
        this.produceRequests++;
        this.produceFrames.push(Uint8Array.from(frame.subarray(4)));
        if (this.#armed > 0) {
          this.#armed--;
          doomed.add(frame.readInt32BE(8));
        }
      }
      upstream.write(frame);
    }));
    upstream.on('data', framer((frame) => {
      if (doomed.has(frame.readInt32BE(4))) {
        this.cut++;
        cut();
        return;
      }
      client.write(frame);
    }));
    client.on('error', cut);
    upstream.on('error', cut);
    client.on('close', () => {
      upstream.destroy();
      this.#sockets.delete(client);
    });
    upstream.on('close', () => {
      client.destroy();
      this.#sockets.delete(upstream);
    });
  }
}
