/**
 * The fault network of the process tests: one TCP proxy in front of each broker port and
 * the controller port. It forwards bytes, reads each request header to learn which node a
 * connection comes from (client id `tributary-broker-<id>`; anything else is an application
 * client) and applies faults per directed link: cut (close, refuse new), blackhole (accept,
 * forward nothing, so requests time out) and delay. A connection is known by its first
 * request (ApiVersions, for every real client): faults apply to it from then on.
 */
import { type Server, type Socket, connect, createServer } from 'node:net';
import { brokerIdOf, frameSplitter, readRequestHeader } from './kafka-frames.ts';

/** Where a proxy forwards to: a broker's node id, or the controller listener. */
export type Target = number | 'controller';

/** Who opened a connection: a node (by its inter-broker client id) or an application client. */
export type Source = number | 'client';

/** A fault on one directed link. */
export type LinkFault = { readonly kind: 'cut' } | { readonly kind: 'blackhole' } | { readonly kind: 'delay'; readonly ms: number };

/** Counters for reports and tests. */
export interface ProxyStats {
  /** Connections accepted, per `source->target` (the source as identified by its first request). */
  readonly connections: Map<string, number>;
  /** Request frames forwarded, per link. */
  readonly forwarded: Map<string, number>;
  /** Request frames dropped by a cut or a blackhole, per link. */
  readonly dropped: Map<string, number>;
}

interface Connection {
  readonly target: Target;
  source: Source | null;
  readonly client: Socket;
  readonly upstream: Socket;
  /** Dropped at least one frame: the request/response stream is broken, close it on heal. */
  broken: boolean;
  /** Delayed frames waiting to go out, in order, each with its release time. */
  readonly delayed: Array<{ frame: Buffer; at: number }>;
  timer: ReturnType<typeof setTimeout> | null;
}

const linkKey = (source: Source, target: Target) => `${source}->${target}`;

const bump = (map: Map<string, number>, key: string) => map.set(key, (map.get(key) ?? 0) + 1);

/** The proxies of one cluster and the faults on its links. */
export class FaultNetwork {
  /** What crossed the proxies, per link. */
  readonly stats: ProxyStats = { connections: new Map(), forwarded: new Map(), dropped: new Map() };
  readonly #servers = new Map<Target, Server>();
  readonly #faults = new Map<string, LinkFault>();
  readonly #connections = new Set<Connection>();
  /** Node ids behind the proxies (brokers), for isolate(). */
  readonly #nodes = new Set<number>();
  /** The node the controller runs in (its links fall with that node's). */
  #controllerNode: number | null = null;

  /**
   * Starts a proxy for `target` forwarding to 127.0.0.1:`targetPort`, listening on
   * `listenPort` (0: any free port); resolves the port it listens on.
   */
  async listen(target: Target, targetPort: number, listenPort = 0): Promise<number> {
    if (this.#servers.has(target)) throw new Error(`a proxy for ${target} already runs`);
    if (target !== 'controller') this.#nodes.add(target);
    const server = createServer((client) => this.#accept(client, target, targetPort));
    this.#servers.set(target, server);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(listenPort, '127.0.0.1', () => resolve());
    });
    return (server.address() as { port: number }).port;
  }

  /** Says which node hosts the controller: isolating that node also isolates the controller. */
  setControllerNode(id: number): void {
    this.#controllerNode = id;
  }

  /** The fault on `source → target`, if any. */
  faultOf(source: Source, target: Target): LinkFault | undefined {
    return this.#faults.get(linkKey(source, target));
  }

  /** Closes the link's connections and refuses new ones until healed. */
  cut(source: number, target: Target): void {
    this.#set(source, target, { kind: 'cut' });
  }

  /** Keeps the link's connections open but forwards nothing either way: requests time out. */
  blackhole(source: number, target: Target): void {
    this.#set(source, target, { kind: 'blackhole' });
  }

  /** Delays every request on the link by `ms` (order kept). */
  delay(source: number, target: Target, ms: number): void {
    this.#set(source, target, { kind: 'delay', ms });
  }

  /**
   * Cuts every link between node `id` and the other nodes and the controller, both ways
   * (blackholes them with `how: 'blackhole'`); application clients keep their connections.
   */
  isolate(id: number, how: 'cut' | 'blackhole' = 'cut'): void {
    const apply = (source: number, target: Target) => (how === 'cut' ? this.cut(source, target) : this.blackhole(source, target));
    for (const other of this.#nodes) {
      if (other === id) continue;
      apply(id, other);
      apply(other, id);
      // The controller lives in its node: isolating that node cuts everyone else off from it.
      if (id === this.#controllerNode) apply(other, 'controller');
    }
    if (id !== this.#controllerNode) apply(id, 'controller');
  }

  /**
   * Removes the fault of one link, or of every link. Connections that lost frames to a
   * blackhole are closed, since their request/response pairing is broken; clients reconnect.
   */
  heal(source?: number, target?: Target): void {
    if (source === undefined || target === undefined) this.#faults.clear();
    else this.#faults.delete(linkKey(source, target));
    for (const c of this.#connections) {
      if (c.broken && c.source !== null && !this.#faults.has(linkKey(c.source, c.target))) this.#close(c);
    }
  }

  /** Stops every proxy and closes every connection. */
  async close(): Promise<void> {
    for (const c of this.#connections) this.#close(c);
    await Promise.all([...this.#servers.values()].map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
    this.#servers.clear();
  }

  #set(source: number, target: Target, fault: LinkFault): void {
    this.#faults.set(linkKey(source, target), fault);
    if (fault.kind !== 'cut') return;
    for (const c of this.#connections) if (c.source === source && c.target === target) this.#close(c);
  }

  #close(c: Connection): void {
    if (c.timer !== null) clearTimeout(c.timer);
    c.client.destroy();
    c.upstream.destroy();
    this.#connections.delete(c);
  }

  #accept(client: Socket, target: Target, targetPort: number): void {
    const upstream = connect(targetPort, '127.0.0.1');
    const c: Connection = { target, source: null, client, upstream, broken: false, delayed: [], timer: null };
    this.#connections.add(c);
    client.setNoDelay(true);
    upstream.setNoDelay(true);
    client.on('data', frameSplitter((frame) => this.#request(c, frame)));
    upstream.on('data', (chunk: Buffer) => {
      // A blackholed link is silent both ways.
      if (c.source !== null && this.faultOf(c.source, target)?.kind === 'blackhole') {
        c.broken = true;
        return;
      }
      client.write(chunk);
    });
    const close = () => this.#close(c);
    for (const s of [client, upstream]) {
      s.on('error', close);
      s.on('close', close);
    }
  }

  #request(c: Connection, frame: Buffer): void {
    if (c.source === null) {
      c.source = brokerIdOf(readRequestHeader(frame).clientId) ?? 'client';
      bump(this.stats.connections, linkKey(c.source, c.target));
    }
    const key = linkKey(c.source, c.target);
    const fault = this.#faults.get(key);
    if (fault?.kind === 'cut' || fault?.kind === 'blackhole') {
      bump(this.stats.dropped, key);
      c.broken = true;
      if (fault.kind === 'cut') this.#close(c);
      return;
    }
    bump(this.stats.forwarded, key);
    // Frames behind a delayed one wait for it, so the order on the connection holds.
    if (fault?.kind === 'delay' || c.delayed.length > 0) {
      c.delayed.push({ frame, at: Date.now() + (fault?.kind === 'delay' ? fault.ms : 0) });
      this.#release(c);
      return;
    }
    c.upstream.write(frame);
  }

  #release(c: Connection): void {
    if (c.timer !== null) return;
    const now = Date.now();
    while (c.delayed.length > 0 && c.delayed[0]!.at <= now) {
      const { frame } = c.delayed.shift()!;
      if (!c.upstream.destroyed) c.upstream.write(frame);
    }
    if (c.delayed.length === 0) return;
    c.timer = setTimeout(() => {
      c.timer = null;
      this.#release(c);
    }, c.delayed[0]!.at - now);
  }
}
