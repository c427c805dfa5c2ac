/**
 * The fault proxy on its own: real sockets to small servers that answer every request
 * frame with its correlation id, through a FaultNetwork of three "nodes" and a controller.
 */
import { type Server, type Socket, connect, createServer } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { FaultNetwork, type Target } from './fault-proxy.ts';
import { frameSplitter, readRequestHeader, requestFrame } from './kafka-frames.ts';

/** A server that answers each request frame with [size=4][correlationId] and remembers what it got. */
async function echoServer(): Promise<{ port: number; received: Array<{ clientId: string | null; correlationId: number; at: number }>; close(): Promise<void> }> {
  const received: Array<{ clientId: string | null; correlationId: number; at: number }> = [];
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => undefined);
    socket.on('data', frameSplitter((frame) => {
      const header = readRequestHeader(frame);
      received.push({ clientId: header.clientId, correlationId: header.correlationId, at: Date.now() });
      const response = Buffer.alloc(8);
      response.writeInt32BE(4, 0);
      response.writeInt32BE(header.correlationId, 4);
      socket.write(response);
    }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as { port: number }).port,
    received,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** A connection speaking as `clientId`: request(n) resolves the answer's correlation id, or 'closed'. */
function dial(port: number, clientId: string): Promise<{ request(correlationId: number): Promise<number | 'closed'>; closed: Promise<void>; destroy(): void }> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    const waiting = new Map<number, (v: number | 'closed') => void>();
    let isClosed = false;
    const closed = new Promise<void>((r) => socket.on('close', () => {
      isClosed = true;
      for (const w of waiting.values()) w('closed');
      waiting.clear();
      r();
    }));
    socket.on('error', () => undefined);
    socket.on('data', frameSplitter((frame) => {
      const id = frame.readInt32BE(4);
      waiting.get(id)?.(id);
      waiting.delete(id);
    }));
    socket.once('connect', () =>
      resolve({
        request: (correlationId) =>
          new Promise((r) => {
            if (isClosed) return r('closed');
            waiting.set(correlationId, r);
            socket.write(requestFrame({ apiKey: 3, apiVersion: 12, correlationId, clientId }));
          }),
        closed,
        destroy: () => socket.destroy(),
      }),
    );
    socket.once('error', reject);
  });
}

const cleanup: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

/** Three echo "brokers" (1, 2, 3) and an echo "controller" (hosted by node 1) behind one FaultNetwork. */
async function network(): Promise<{ net: FaultNetwork; ports: Map<Target, number>; servers: Map<Target, Awaited<ReturnType<typeof echoServer>>> }> {
  const net = new FaultNetwork();
  net.setControllerNode(1);
  const ports = new Map<Target, number>();
  const servers = new Map<Target, Awaited<ReturnType<typeof echoServer>>>();
  for (const target of [1, 2, 3, 'controller'] as const) {
    const server = await echoServer();
    cleanup.push(() => server.close());
    servers.set(target, server);
    ports.set(target, await net.listen(target, server.port));
  }
  cleanup.push(() => net.close());
  return { net, ports, servers };
}

describe('fault proxy', () => {
  it('forwards requests and learns the source node from the client id', async () => {
    const { net, ports, servers } = await network();
    const fromTwo = await dial(ports.get(1)!, 'tributary-broker-2');
    const app = await dial(ports.get(1)!, 'my-app');
    expect(await fromTwo.request(7)).toBe(7);
    expect(await app.request(8)).toBe(8);
    expect(servers.get(1)!.received.map((r) => r.clientId)).toEqual(['tributary-broker-2', 'my-app']);
    expect(net.stats.connections.get('2->1')).toBe(1);
    expect(net.stats.connections.get('client->1')).toBe(1);
    fromTwo.destroy();
    app.destroy();
  });

  it('cut closes the link\'s connections, refuses new ones, leaves other links alone, and heals', async () => {
    const { net, ports } = await network();
    const twoToOne = await dial(ports.get(1)!, 'tributary-broker-2');
    const threeToOne = await dial(ports.get(1)!, 'tributary-broker-3');
    const app = await dial(ports.get(1)!, 'app');
    expect(await twoToOne.request(1)).toBe(1);
    net.cut(2, 1);
    await twoToOne.closed;
    const again = await dial(ports.get(1)!, 'tributary-broker-2');
    expect(await again.request(2)).toBe('closed');
    // The reverse direction and other sources still work.
    const oneToTwo = await dial(ports.get(2)!, 'tributary-broker-1');
    expect(await oneToTwo.request(3)).toBe(3);
    expect(await threeToOne.request(4)).toBe(4);
    expect(await app.request(5)).toBe(5);
    net.heal(2, 1);
    const healed = await dial(ports.get(1)!, 'tributary-broker-2');
    expect(await healed.request(6)).toBe(6);
    for (const c of [threeToOne, app, oneToTwo, healed]) c.destroy();
  });

  it('blackhole keeps the connection open but answers nothing; heal closes it so the client reconnects', async () => {
    const { net, ports, servers } = await network();
    const conn = await dial(ports.get(3)!, 'tributary-broker-2');
    expect(await conn.request(1)).toBe(1);
    net.blackhole(2, 3);
    const pending = conn.request(2);
    const fresh = await dial(ports.get(3)!, 'tributary-broker-2');
    const pendingFresh = fresh.request(3);
    // Another link's round trip proves the blackholed frames had time to arrive had they been forwarded.
    const other = await dial(ports.get(3)!, 'tributary-broker-1');
    expect(await other.request(4)).toBe(4);
    expect(servers.get(3)!.received.map((r) => r.correlationId)).toEqual([1, 4]);
    expect(net.stats.dropped.get('2->3')).toBe(2);
    net.heal();
    expect(await pending).toBe('closed');
    expect(await pendingFresh).toBe('closed');
    const after = await dial(ports.get(3)!, 'tributary-broker-2');
    expect(await after.request(5)).toBe(5);
    for (const c of [other, after]) c.destroy();
  });

  it('delay holds each request at least the given time and keeps their order', async () => {
    const { net, ports, servers } = await network();
    const conn = await dial(ports.get(2)!, 'tributary-broker-3');
    expect(await conn.request(1)).toBe(1);
    net.delay(3, 2, 300);
    const sentAt = Date.now();
    const answers = await Promise.all([conn.request(2), conn.request(3), conn.request(4)]);
    expect(answers).toEqual([2, 3, 4]);
    const received = servers.get(2)!.received;
    expect(received.map((r) => r.correlationId)).toEqual([1, 2, 3, 4]);
    for (const r of received.slice(1)) expect(r.at - sentAt).toBeGreaterThanOrEqual(300);
    conn.destroy();
  });

  it('isolate(2) cuts 2 from the other nodes and the controller both ways; application clients stay', async () => {
    const { net, ports } = await network();
    const links = {
      twoToOne: await dial(ports.get(1)!, 'tributary-broker-2'),
      oneToTwo: await dial(ports.get(2)!, 'tributary-broker-1'),
      threeToTwo: await dial(ports.get(2)!, 'tributary-broker-3'),
      twoToController: await dial(ports.get('controller')!, 'tributary-broker-2'),
      threeToController: await dial(ports.get('controller')!, 'tributary-broker-3'),
      oneToThree: await dial(ports.get(3)!, 'tributary-broker-1'),
      appToTwo: await dial(ports.get(2)!, 'app'),
    };
    // A connection is known by its first request (a real client's is ApiVersions).
    let id = 100;
    for (const link of Object.values(links)) expect(await link.request(++id)).toBe(id);
    net.isolate(2);
    await Promise.all([links.twoToOne.closed, links.oneToTwo.closed, links.threeToTwo.closed, links.twoToController.closed]);
    expect(await links.threeToController.request(1)).toBe(1);
    expect(await links.oneToThree.request(2)).toBe(2);
    expect(await links.appToTwo.request(3)).toBe(3);
    expect(net.faultOf(2, 'controller')).toEqual({ kind: 'cut' });
    expect(net.faultOf(1, 3)).toBeUndefined();
    net.heal();
    const back = await dial(ports.get(1)!, 'tributary-broker-2');
    expect(await back.request(4)).toBe(4);
    for (const c of [links.threeToController, links.oneToThree, links.appToTwo, back]) c.destroy();
  });

  it('isolating the controller\'s node also cuts the others off from the controller', async () => {
    const { net } = await network();
    net.isolate(1);
    expect(net.faultOf(2, 'controller')).toEqual({ kind: 'cut' });
    expect(net.faultOf(3, 'controller')).toEqual({ kind: 'cut' });
    expect(net.faultOf(1, 'controller')).toBeUndefined();
    expect(net.faultOf(2, 3)).toBeUndefined();
  });
});
