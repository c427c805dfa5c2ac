/**
 * A TCP proxy for client tests that loses Produce requests: while armed, a Produce request
 * is dropped before the broker sees it and both connections are cut, so the client cannot
 * know whether the broker wrote the batch (it did not). The ambiguous failure KIP-360's
 * epoch bump exists for.
 */
import { type Server, type Socket, connect, createServer } from 'node:net';

/** A running proxy in front of one broker. */
export interface CutProxy {
  /** `127.0.0.1:port` to bootstrap from. */
  readonly address: string;
  /** Produce requests dropped so far. */
  readonly dropped: number;
  /** Drops the next `n` Produce requests (each cuts its connection). */
  arm(n: number): void;
  close(): Promise<void>;
}

/** Starts a proxy forwarding to `127.0.0.1:targetPort`. */
export async function startCutProxy(targetPort: number): Promise<CutProxy> {
  const sockets = new Set<Socket>();
  let armed = 0;
  let dropped = 0;
  const server: Server = createServer((client) => {
    const upstream = connect(targetPort, '127.0.0.1');
    sockets.add(client).add(upstream);
    const cut = () => {
      client.destroy();
      upstream.destroy();
    };
    let pending: Buffer = Buffer.alloc(0);
    client.on('data', (chunk: Buffer) => {
      pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
      while (pending.length >= 4 && pending.length >= 4 + pending.readInt32BE(0)) {
        const frame = pending.subarray(0, 4 + pending.readInt32BE(0));
        pending = pending.subarray(frame.length);
        if (frame.readInt16BE(4) === 0 && armed > 0) {
          armed--;
          dropped++;
          cut();
          return;
        }
        upstream.write(frame);
      }
    });
    upstream.on('data', (chunk: Buffer) => client.write(chunk));
    for (const s of [client, upstream]) {
      s.on('error', cut);
      s.on('close', () => {
        cut();
        sockets.delete(s);
      });
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  return {
    address: `127.0.0.1:${port}`,
    get dropped() {
      return dropped;
    },
    arm(n) {
      armed += n;
    },
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
