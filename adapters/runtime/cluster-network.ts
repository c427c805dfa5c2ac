/**
 * The links between the nodes of an in-process cluster, with faults on demand: each
 * directed link (from node → to node) is up, cut (connections fail at once, as a refused
 * or reset TCP connection), blackholed (requests get no answer until the caller's request
 * timeout, as behind a dead switch) or delayed. A request needs both directions up: its
 * answer travels back on the other link. Every inter-node call of the cluster — replica
 * fetches, heartbeats, metadata reads, AlterPartition — goes through here, so
 * `isolate(id)` cuts a node off from its peers and the controller while application
 * clients keep reaching it over TCP: the partition that a leader must not survive alone.
 */
import type { Clock } from '../../core/clock.ts';
import { TributaryError } from '../../core/errors.ts';
import type { BrokerAddress, Transport, TransportFactory, TransportOptions } from '../../core/client/transport.ts';

/** State of one directed link. */
export type LinkState = { readonly kind: 'up' } | { readonly kind: 'cut' } | { readonly kind: 'blackhole' } | { readonly kind: 'delay'; readonly ms: number };

const UP: LinkState = Object.freeze({ kind: 'up' });

function unreachable(from: number, to: number): TributaryError {
  return new TributaryError('ERR_CONNECTION_CLOSED', `node ${from} cannot reach node ${to} (link cut)`, { retriable: true });
}

function timedOut(from: number, to: number, ms: number): TributaryError {
  return new TributaryError('ERR_REQUEST_TIMEOUT', `node ${to} did not answer node ${from} within ${ms} ms (link blackholed)`, { retriable: true });
}

/** The simulated network between the nodes of one in-process cluster. */
export class ClusterNetwork {
  readonly #clock: Clock;
  readonly #links = new Map<string, LinkState>();
  // Calls waiting on a blackholed link: released (to fail or pass) when links change.
  readonly #parked = new Set<() => void>();

  constructor(clock: Clock) {
    this.#clock = clock;
  }

  /** The state of the link from → to. */
  link(from: number, to: number): LinkState {
    return this.#links.get(`${from}>${to}`) ?? UP;
  }

  /** Sets the link from → to (one direction). */
  setLink(from: number, to: number, state: LinkState): void {
    if (state.kind === 'up') this.#links.delete(`${from}>${to}`);
    else this.#links.set(`${from}>${to}`, state);
    this.#release();
  }

  /** Sets both directions between `a` and `b`. */
  setBoth(a: number, b: number, state: LinkState): void {
    this.setLink(a, b, state);
    this.setLink(b, a, state);
  }

  /** Cuts (or blackholes) every link between `id` and each of `others`, both directions. */
  isolate(id: number, others: readonly number[], kind: 'cut' | 'blackhole' = 'cut'): void {
    for (const other of others) if (other !== id) this.setBoth(id, other, { kind });
  }

  /** Every link up again. */
  heal(): void {
    this.#links.clear();
    this.#release();
  }

  /**
   * Runs one request-response call from → to under the links' state: cut fails at once,
   * blackhole waits until the links change or `timeoutMs` passes, delay adds its delay each way.
   */
  async call<T>(from: number, to: number, timeoutMs: number, send: () => Promise<T>): Promise<T> {
    await this.#pass(from, to, timeoutMs);
    const answer = await send();
    await this.#pass(to, from, timeoutMs);
    return answer;
  }

  /** A transport factory for node `from`: each request passes the links to the addressed node. */
  transportFor(from: number, base: TransportFactory): TransportFactory {
    return async (address: BrokerAddress, options: TransportOptions): Promise<Transport> => {
      const to = address.nodeId ?? -1;
      if (to >= 0) await this.#pass(from, to, options.connectTimeoutMs);
      const inner = await base(address, options);
      if (to < 0) return inner;
      const network = this;
      return {
        get apiVersions() {
          return inner.apiVersions;
        },
        get connected() {
          return inner.connected;
        },
        request(apiKey, apiVersion, body, requestOptions) {
          const timeout = options.requestTimeoutMs + (requestOptions?.extraTimeoutMs ?? 0);
          return network.call(from, to, timeout, () => inner.request(apiKey, apiVersion, body, requestOptions)).catch(async (error: unknown) => {
            // A cut link resets the connection, as TCP would.
            if (network.link(from, to).kind === 'cut' || network.link(to, from).kind === 'cut') await inner.close().catch(() => undefined);
            throw error;
          });
        },
        close: () => inner.close(),
      } as Transport;
    };
  }

  async #pass(from: number, to: number, timeoutMs: number): Promise<void> {
    const deadline = this.#clock.now() + timeoutMs;
    for (;;) {
      const state = this.link(from, to);
      if (state.kind === 'up') return;
      if (state.kind === 'cut') throw unreachable(from, to);
      if (state.kind === 'delay') {
        await new Promise<void>((resolve) => this.#clock.setTimeout(resolve, state.ms));
        return;
      }
      const left = deadline - this.#clock.now();
      if (left <= 0) throw timedOut(from, to, timeoutMs);
      // Blackholed: wait for a change of the links or the deadline, then look again.
      await new Promise<void>((resolve) => {
        const wake = () => {
          this.#clock.clearTimeout(timer);
          this.#parked.delete(wake);
          resolve();
        };
        const timer = this.#clock.setTimeout(wake, left);
        this.#parked.add(wake);
      });
    }
  }

  #release(): void {
    for (const wake of [...this.#parked]) wake();
  }
}
