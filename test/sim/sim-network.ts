/**
 * The simulated network between the nodes of the deterministic simulation. Every
 * inter-node byte of the cluster passes here: replica fetches and client produces travel
 * as real Kafka frames (encoded by the client codec, read by the target broker's
 * {@link BrokerSession}, answered in frames decoded again), and the controller and
 * metadata-log calls travel as request/response messages to the controller node.
 *
 * Faults, all drawn from the seeded generator:
 * - delay: every message takes a random time in [minDelayMs, maxDelayMs]; one connection
 *   keeps its order (TCP), different connections reorder freely;
 * - drop: a message may be lost with its connection (a reset, as TCP shows a lost path):
 *   the request may or may not have reached the other side, the caller cannot know;
 * - partitions, also one-way: a blocked direction delivers nothing — bytes and messages
 *   wait (TCP retransmits) until the link heals or the caller's request timeout gives up
 *   (a connection is then closed, as the TCP transport closes one on a timeout);
 * - crashes: {@link SimNetwork.crash} resets every connection of a node and refuses
 *   every later send of its old incarnation (a broker object left over from before the
 *   crash cannot reach anyone).
 */
import type { Clock } from '../../core/clock.ts';
import type { BrokerToController } from '../../core/broker/controller/broker-to-controller.ts';
import type { MetadataQuorum } from '../../core/broker/quorum/metadata-quorum.ts';
import { BrokerSession, type SessionBroker } from '../../core/broker/session.ts';
import type { Logger } from '../../core/contracts/logger.ts';
import { silentLogger } from '../../core/contracts/logger.ts';
import { TributaryError, kafkaError } from '../../core/errors.ts';
import { KafkaCode } from '../../core/kafka-error-codes.ts';
import type { ApiKey } from '../../core/protocol/api-keys.ts';
import type { ApiRequestInput } from '../../core/protocol/api-messages.ts';
import { FrameDecoder } from '../../core/protocol/framing.ts';
import { decodeResponse, encodeRequest } from '../../core/protocol/messages.ts';
import type { ApiVersionRange } from '../../core/protocol/version-policy.ts';
import type { BrokerAddress, RequestOptions, ResponseOf, Transport, TransportFactory, TransportOptions } from '../../core/client/transport.ts';
import type { SeededRandom } from './seeded-random.ts';

/** A node the network delivers to: the broker of its current incarnation, when running. */
export interface SimEndpoint extends SessionBroker {
  readonly running: boolean;
  readonly logger?: Logger;
}

/** Message faults; changeable while the simulation runs. */
export interface NetworkFaults {
  /** Probability that one message is lost with its connection. */
  dropRate: number;
  minDelayMs: number;
  maxDelayMs: number;
}

/** Counts of what the network did (part of the trace: the same seed must count the same). */
export interface NetworkStats {
  messages: number;
  dropped: number;
  heldByPartition: number;
  timeouts: number;
  resets: number;
}

/** How long a controller or metadata-log call waits for its answer (Kafka's controller channel: request.timeout.ms). */
export const RPC_TIMEOUT_MS = 5000;

function closedError(from: number, to: number, reason: string): TributaryError {
  return new TributaryError('ERR_CONNECTION_CLOSED', `connection ${from}→${to} closed: ${reason}`, { retriable: true });
}

function timeoutError(from: number, to: number, what: string): TributaryError {
  return new TributaryError('ERR_REQUEST_TIMEOUT', `${what} from ${from} to ${to} got no answer in time`, { retriable: true });
}

function concatChunks(chunks: readonly Uint8Array[]): Uint8Array {
  if (chunks.length === 1) return chunks[0]!.slice();
  let n = 0;
  for (const c of chunks) n += c.length;
  const out = new Uint8Array(n);
  let pos = 0;
  for (const c of chunks) {
    out.set(c, pos);
    pos += c.length;
  }
  return out;
}

/** The network. */
export class SimNetwork {
  readonly clock: Clock;
  readonly faults: NetworkFaults;
  readonly stats: NetworkStats = { messages: 0, dropped: 0, heldByPartition: 0, timeouts: 0, resets: 0 };
  readonly #random: SeededRandom;
  readonly #endpoints = new Map<number, () => SimEndpoint | undefined>();
  readonly #incarnation = new Map<number, number>();
  readonly #blocked = new Set<string>();
  readonly #connections = new Set<SimConnection>();
  // Message calls waiting for a blocked link to come back (TCP retransmits until it does or the caller gives up).
  readonly #linkWaiters = new Set<() => void>();

  constructor(clock: Clock, random: SeededRandom, faults: NetworkFaults) {
    this.clock = clock;
    this.#random = random;
    this.faults = faults;
  }

  /** Names node `nodeId`'s current broker (undefined while it is down). */
  register(nodeId: number, current: () => SimEndpoint | undefined): void {
    this.#endpoints.set(nodeId, current);
    if (!this.#incarnation.has(nodeId)) this.#incarnation.set(nodeId, 0);
  }

  /** The incarnation number of a node (bumped by {@link crash}). */
  incarnation(nodeId: number): number {
    return this.#incarnation.get(nodeId) ?? 0;
  }

  /** A node crashed: its connections reset, its old incarnation can send nothing more. */
  crash(nodeId: number): void {
    this.#incarnation.set(nodeId, this.incarnation(nodeId) + 1);
    for (const c of [...this.#connections]) if (c.from === nodeId || c.to === nodeId) c.reset(`node ${nodeId} crashed`);
  }

  /** Blocks the direction from → to. */
  block(from: number, to: number): void {
    this.#blocked.add(`${from}>${to}`);
  }

  /** Unblocks from → to; bytes held in that direction move on. */
  unblock(from: number, to: number): void {
    if (this.#blocked.delete(`${from}>${to}`)) this.#pumpAll();
  }

  /** True when from → to delivers nothing. */
  isBlocked(from: number, to: number): boolean {
    return this.#blocked.has(`${from}>${to}`);
  }

  /** The blocked directions, as `from>to` (sorted, for the trace). */
  blockedLinks(): string[] {
    return [...this.#blocked].sort();
  }

  /** Every link up. */
  heal(): void {
    if (this.#blocked.size === 0) return;
    this.#blocked.clear();
    this.#pumpAll();
  }

  #pumpAll(): void {
    for (const c of [...this.#connections]) c.pump();
    for (const wake of [...this.#linkWaiters]) wake();
  }

  /** Waits until from → to is up (true) or `deadline` passes (false). */
  async #waitLink(from: number, to: number, deadline: number): Promise<boolean> {
    while (this.isBlocked(from, to)) {
      const left = deadline - this.clock.now();
      if (left <= 0) return false;
      await new Promise<void>((resolve) => {
        const wake = () => {
          this.#linkWaiters.delete(wake);
          this.clock.clearTimeout(timer);
          resolve();
        };
        const timer = this.clock.setTimeout(wake, left);
        this.#linkWaiters.add(wake);
      });
    }
    return true;
  }

  /** One message's delay, or undefined when it is lost (drawn in a fixed order: determinism). */
  messageFate(): number | undefined {
    this.stats.messages++;
    const { dropRate, minDelayMs, maxDelayMs } = this.faults;
    const lost = this.#random.chance(dropRate);
    const delay = this.#random.int(minDelayMs, Math.max(minDelayMs, maxDelayMs));
    if (lost) {
      this.stats.dropped++;
      return undefined;
    }
    return delay;
  }

  /** Resolves after `ms` of virtual time. */
  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => this.clock.setTimeout(resolve, ms));
  }

  #sender(from: number): () => boolean {
    const incarnation = this.incarnation(from);
    return () => this.incarnation(from) === incarnation;
  }

  /** The current broker of `nodeId`, when it runs. */
  endpoint(nodeId: number): SimEndpoint | undefined {
    const broker = this.#endpoints.get(nodeId)?.();
    return broker?.running ? broker : undefined;
  }

  /** A transport factory for node `from` (its current incarnation): Kafka frames to other nodes' brokers. */
  transportFor(from: number): TransportFactory {
    const alive = this.#sender(from);
    return async (address: BrokerAddress, options: TransportOptions): Promise<Transport> => {
      const to = address.nodeId;
      if (to === undefined) throw new TributaryError('ERR_CONNECT_FAILED', `node ${from}: the simulated network only knows node ids, not ${address.host}:${address.port}`, { retriable: true });
      if (!alive()) throw closedError(from, to, `node ${from} crashed`);
      // The handshake: one round trip, which the links and faults decide like any message.
      const there = this.messageFate();
      const back = this.messageFate();
      if (this.isBlocked(from, to) || this.isBlocked(to, from)) {
        await this.sleep(options.connectTimeoutMs);
        this.stats.timeouts++;
        throw new TributaryError('ERR_CONNECT_FAILED', `node ${from} could not connect to node ${to} (partitioned)`, { retriable: true });
      }
      await this.sleep((there ?? 0) + (back ?? 0));
      if (there === undefined || back === undefined) throw new TributaryError('ERR_CONNECT_FAILED', `node ${from} could not connect to node ${to} (lost)`, { retriable: true });
      if (!alive()) throw closedError(from, to, `node ${from} crashed`);
      const target = this.endpoint(to);
      if (!target) throw new TributaryError('ERR_CONNECT_FAILED', `node ${to} is down (connection from ${from} refused)`, { retriable: true });
      const connection = new SimConnection(this, from, to, target, options, alive);
      this.#connections.add(connection);
      return connection;
    };
  }

  /** @internal */
  forget(connection: SimConnection): void {
    this.#connections.delete(connection);
  }

  /**
   * One request/response call from → to, as a message each way: `run` is the call at the
   * target. The request or the answer may be lost (the caller gets an error after a delay
   * or its timeout; when only the answer is lost the call did happen), and each is delayed.
   */
  async rpc<T>(from: number, to: number, alive: () => boolean, timeoutMs: number, run: () => Promise<T>): Promise<T> {
    if (!alive()) throw closedError(from, to, `node ${from} crashed`);
    const start = this.clock.now();
    const lost = async (ms: number, error: TributaryError): Promise<never> => {
      await this.sleep(ms);
      throw error;
    };
    const request = this.messageFate();
    if (request === undefined) return lost(this.faults.minDelayMs, closedError(from, to, 'message lost'));
    await this.sleep(request);
    if (this.isBlocked(from, to)) {
      // Held by the partition: delivered when it heals, unless the caller gave up first.
      this.stats.heldByPartition++;
      if (!(await this.#waitLink(from, to, start + timeoutMs))) {
        this.stats.timeouts++;
        throw timeoutError(from, to, 'call');
      }
    }
    let outcome: { ok: true; value: T } | { ok: false; error: unknown };
    let timer: unknown;
    try {
      const left = Math.max(0, timeoutMs - (this.clock.now() - start));
      const timedOut = new Promise<never>((_, reject) => (timer = this.clock.setTimeout(() => reject(timeoutError(from, to, 'call')), left)));
      outcome = { ok: true, value: await Promise.race([run(), timedOut]) };
    } catch (error) {
      if (error instanceof TributaryError && error.code === 'ERR_REQUEST_TIMEOUT') {
        this.stats.timeouts++;
        throw error;
      }
      outcome = { ok: false, error };
    } finally {
      this.clock.clearTimeout(timer);
    }
    const answer = this.messageFate();
    if (answer === undefined) return lost(this.faults.minDelayMs, closedError(from, to, 'answer lost'));
    await this.sleep(answer);
    if (this.isBlocked(to, from)) {
      this.stats.heldByPartition++;
      if (!(await this.#waitLink(to, from, start + timeoutMs))) {
        this.stats.timeouts++;
        throw timeoutError(from, to, 'call');
      }
    }
    if (!alive()) throw closedError(from, to, `node ${from} crashed`);
    if (!outcome.ok) throw outcome.error;
    // A copy, as bytes on a wire would be: the caller never shares the controller's objects.
    return structuredClone(outcome.value);
  }

  /** The active controller as node `from` reaches it: every call is a message to `controllerId` and back. */
  controllerFor(from: number, controllerId: number, controller: BrokerToController): BrokerToController {
    const alive = this.#sender(from);
    return new Proxy(controller, {
      get: (target, name, receiver) => {
        const value = Reflect.get(target, name, receiver) as unknown;
        if (typeof value !== 'function') return value;
        return (...args: unknown[]) => this.rpc(from, controllerId, alive, RPC_TIMEOUT_MS, () => (value as (...a: unknown[]) => Promise<unknown>).apply(target, structuredClone(args)));
      },
    });
  }

  /** The metadata log as node `from` reads it: reads are messages to `controllerId`; only the controller appends. */
  quorumFor(from: number, controllerId: number, quorum: MetadataQuorum): MetadataQuorum {
    const alive = this.#sender(from);
    return {
      leader: () => quorum.leader(),
      append: () => Promise.reject(kafkaError(KafkaCode.NOT_CONTROLLER, `node ${from} does not write the metadata log`)),
      read: (fromOffset, waitMs) => this.rpc(from, controllerId, alive, waitMs + RPC_TIMEOUT_MS, () => quorum.read(fromOffset, waitMs)),
      onLeaderChange: (listener) => quorum.onLeaderChange(listener),
      close: async () => undefined,
    };
  }
}

interface PendingRequest {
  readonly apiKey: number;
  readonly version: number;
  readonly correlationId: number;
  readonly resolve: (body: unknown) => void;
  readonly reject: (error: unknown) => void;
  readonly timer: unknown;
}

/** One direction of a connection: FIFO bytes with delivery times. */
interface Pipe {
  readonly from: number;
  readonly to: number;
  readonly queue: Array<{ at: number; bytes: Uint8Array }>;
  lastAt: number;
  readonly deliver: (bytes: Uint8Array) => void;
}

/** A simulated TCP connection from a node to a broker, carrying Kafka frames. */
class SimConnection implements Transport {
  readonly apiVersions: readonly ApiVersionRange[];
  readonly from: number;
  readonly to: number;
  readonly #network: SimNetwork;
  readonly #options: TransportOptions;
  readonly #alive: () => boolean;
  readonly #session: BrokerSession;
  readonly #decoder = new FrameDecoder(1 << 30);
  readonly #pending: PendingRequest[] = [];
  readonly #up: Pipe;
  readonly #down: Pipe;
  #nextCorrelationId = 1;
  #connected = true;

  constructor(network: SimNetwork, from: number, to: number, target: SimEndpoint, options: TransportOptions, alive: () => boolean) {
    this.#network = network;
    this.from = from;
    this.to = to;
    this.#options = options;
    this.#alive = alive;
    this.apiVersions = target.apiVersions();
    this.#session = new BrokerSession(target, {
      write: (chunks) => this.#send(this.#down, concatChunks(chunks)),
      close: () => this.reset('closed by the broker'),
    }, { logger: target.logger ?? silentLogger });
    this.#up = { from, to, queue: [], lastAt: 0, deliver: (bytes) => this.#session.receive(bytes) };
    this.#down = { from: to, to: from, queue: [], lastAt: 0, deliver: (bytes) => this.#onResponseBytes(bytes) };
  }

  get connected(): boolean {
    return this.#connected && this.#alive();
  }

  request<K extends ApiKey, O extends RequestOptions | undefined = undefined>(apiKey: K, apiVersion: number, body: ApiRequestInput<K>, options?: O): Promise<ResponseOf<K, O>> {
    if (!this.connected) return Promise.reject(closedError(this.from, this.to, 'not connected'));
    const correlationId = this.#nextCorrelationId++;
    let frame: Uint8Array;
    try {
      frame = concatChunks(encodeRequest({ apiKey, apiVersion, correlationId, clientId: this.#options.clientId }, body));
    } catch (error) {
      return Promise.reject(error);
    }
    if (options?.expectResponse === false) {
      this.#send(this.#up, frame);
      return Promise.resolve(null as ResponseOf<K, O>);
    }
    return new Promise<ResponseOf<K, O>>((resolve, reject) => {
      const timeoutMs = this.#options.requestTimeoutMs + (options?.extraTimeoutMs ?? 0);
      const timer = this.#network.clock.setTimeout(() => {
        this.#network.stats.timeouts++;
        // Answers come in order: once one is given up, the connection is unusable (as over TCP).
        this.#fail(timeoutError(this.from, this.to, `API ${apiKey} request`));
      }, timeoutMs);
      this.#pending.push({ apiKey, version: apiVersion, correlationId, resolve: resolve as (body: unknown) => void, reject, timer });
      this.#send(this.#up, frame);
    });
  }

  close(): Promise<void> {
    this.reset('closed by the client');
    return Promise.resolve();
  }

  /** The connection breaks: both ends see it closed, bytes in flight are gone. */
  reset(reason: string): void {
    if (!this.#connected) return;
    this.#network.stats.resets++;
    this.#fail(closedError(this.from, this.to, reason));
  }

  #fail(error: TributaryError): void {
    if (!this.#connected) return;
    this.#connected = false;
    this.#network.forget(this);
    this.#up.queue.length = 0;
    this.#down.queue.length = 0;
    this.#session.transportClosed();
    const pending = this.#pending.splice(0);
    for (const p of pending) {
      this.#network.clock.clearTimeout(p.timer);
      p.reject(error);
    }
  }

  #send(pipe: Pipe, bytes: Uint8Array): void {
    if (!this.#connected) return;
    if (pipe === this.#up && !this.#alive()) {
      this.reset(`node ${this.from} crashed`);
      return;
    }
    const delay = this.#network.messageFate();
    const clock = this.#network.clock;
    if (delay === undefined) {
      // Lost: the connection resets once the loss shows (after a minimal delay).
      clock.setTimeout(() => this.reset('message lost'), this.#network.faults.minDelayMs);
      return;
    }
    const at = Math.max(clock.now() + delay, pipe.lastAt);
    pipe.lastAt = at;
    pipe.queue.push({ at, bytes });
    clock.setTimeout(() => this.pump(), Math.max(0, at - clock.now()));
  }

  /** Delivers what is due on both directions (held while a direction is blocked). */
  pump(): void {
    for (const pipe of [this.#up, this.#down]) {
      const now = this.#network.clock.now();
      while (this.#connected && pipe.queue.length > 0 && pipe.queue[0]!.at <= now) {
        if (this.#network.isBlocked(pipe.from, pipe.to)) {
          this.#network.stats.heldByPartition++;
          break;
        }
        if (pipe === this.#up && !this.#network.endpoint(this.to)) {
          this.reset(`node ${this.to} is down`);
          return;
        }
        pipe.deliver(pipe.queue.shift()!.bytes);
      }
    }
  }

  #onResponseBytes(bytes: Uint8Array): void {
    let frames: Uint8Array[];
    try {
      frames = this.#decoder.push(bytes);
    } catch (error) {
      this.#fail(closedError(this.from, this.to, `bad response frame: ${String(error)}`));
      return;
    }
    for (const frame of frames) {
      const pending = this.#pending.shift();
      if (!pending) {
        this.#fail(closedError(this.from, this.to, 'a response arrived with no request pending'));
        return;
      }
      this.#network.clock.clearTimeout(pending.timer);
      try {
        const decoded = decodeResponse(pending.apiKey, pending.version, frame);
        if (decoded.correlationId !== pending.correlationId) throw new TributaryError('ERR_CORRELATION_MISMATCH', `expected correlation id ${pending.correlationId}, got ${decoded.correlationId}`);
        pending.resolve(decoded.body);
      } catch (error) {
        pending.reject(error);
        this.#fail(closedError(this.from, this.to, 'undecodable response'));
        return;
      }
    }
  }
}
