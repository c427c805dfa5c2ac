/**
 * Raft voters in one process: a RaftChannel per node that delivers each request to the
 * addressed voter's RaftEndpoint, through Kafka's codec both ways (what a handler gets is
 * what the wire would give it). Nodes can be cut off (isolate / stop) and healed; a request
 * that cannot be delivered fails after its timeout on the shared clock, as a lost packet
 * would. Also the helpers the Raft tests share: a clock that flushes promises while it
 * advances, and voters over memory storage that survive a "restart".
 */
import { memoryStorage } from '../../adapters/memory/index.ts';
import type { Clock } from '../../core/clock.ts';
import { silentLogger } from '../../core/contracts/logger.ts';
import type { Storage } from '../../core/contracts/storage.ts';
import { TributaryError } from '../../core/errors.ts';
import { ApiKey } from '../../core/protocol/api-keys.ts';
import type { ApiRequest, ApiRequestInput, ApiResponse } from '../../core/protocol/api-messages.ts';
import { decodeRequest, decodeResponse, encodeRequest, encodeResponse } from '../../core/protocol/messages.ts';
import { concat } from '../../core/protocol/writer.ts';
import type { ShutdownWatch } from '../../core/broker/partition/delayed-operations.ts';
import type { QuorumVoter } from '../../core/broker/quorum/metadata-quorum.ts';
import type { RaftApiKey, RaftChannel, RaftEndpoint } from '../../core/broker/quorum/raft/raft-endpoint.ts';
import { RaftQuorum, type RaftQuorumOptions } from '../../core/broker/quorum/raft/raft-quorum.ts';
import { ManualClock } from '../cluster/controller-helpers.ts';

const ALL_VERSIONS = [ApiKey.Vote, ApiKey.BeginQuorumEpoch, ApiKey.EndQuorumEpoch, ApiKey.Fetch, ApiKey.FetchSnapshot, ApiKey.DescribeQuorum].map((apiKey) => ({ apiKey, minVersion: 0, maxVersion: 17 }));

/** A shutdown signal a test can trigger. */
export class TestShutdown implements ShutdownWatch {
  #aborted = false;
  readonly #listeners = new Set<() => void>();
  aborted(): boolean {
    return this.#aborted;
  }
  onAbort(listener: () => void): () => void {
    if (this.#aborted) {
      listener();
      return () => undefined;
    }
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }
  abort(): void {
    this.#aborted = true;
    for (const l of [...this.#listeners]) l();
    this.#listeners.clear();
  }
}

/** Requests between in-process voters. */
export class LocalRaftNetwork {
  readonly #clock: Clock;
  readonly #endpoints = new Map<number, { endpoint: RaftEndpoint; shutdown: TestShutdown }>();
  // Node ids cut off from everyone (both directions).
  readonly #isolated = new Set<number>();
  // Links cut one way: "from>to".
  readonly #cut = new Set<string>();
  #correlation = 0;
  /** Requests delivered, by API name (for assertions). */
  readonly sent: Array<{ from: number; to: number; apiKey: number }> = [];

  constructor(clock: Clock) {
    this.#clock = clock;
  }

  /** Makes `endpoint` reachable as node `nodeId` (replacing an earlier one: a restart). */
  register(nodeId: number, endpoint: RaftEndpoint): void {
    this.#endpoints.get(nodeId)?.shutdown.abort();
    this.#endpoints.set(nodeId, { endpoint, shutdown: new TestShutdown() });
  }

  /** Node `nodeId` is gone: its pending long polls end, requests to it fail. */
  unregister(nodeId: number): void {
    this.#endpoints.get(nodeId)?.shutdown.abort();
    this.#endpoints.delete(nodeId);
  }

  /** Cuts `nodeId` off from every other node. */
  isolate(nodeId: number): void {
    this.#isolated.add(nodeId);
  }

  /** Cuts requests from `from` to `to` (answers to them too). */
  cut(from: number, to: number): void {
    this.#cut.add(`${from}>${to}`);
  }

  /** Every link works again. */
  heal(): void {
    this.#isolated.clear();
    this.#cut.clear();
  }

  #reachable(from: number, to: number): boolean {
    return !this.#isolated.has(from) && !this.#isolated.has(to) && !this.#cut.has(`${from}>${to}`) && this.#endpoints.has(to);
  }

  /** The channel node `from` sends on. */
  channelFor(from: number): RaftChannel {
    return {
      send: <K extends RaftApiKey>(to: number, apiKey: K, version: number, request: ApiRequestInput<K>, timeoutMs: number): Promise<ApiResponse<K>> =>
        this.#deliver(from, to, apiKey, version, request, timeoutMs),
    };
  }

  async #deliver<K extends RaftApiKey>(from: number, to: number, apiKey: K, version: number, request: ApiRequestInput<K>, timeoutMs: number): Promise<ApiResponse<K>> {
    // A request or answer lost on the way fails when the request times out (counted from the send).
    const deadline = this.#clock.now() + timeoutMs;
    const fail = () =>
      new Promise<never>((_, reject) => this.#clock.setTimeout(() => reject(new TributaryError('ERR_CONNECTION_CLOSED', `node ${to} unreachable from ${from}`)), Math.max(0, deadline - this.#clock.now())));
    const target = this.#endpoints.get(to);
    // A stopped node sends nothing, and nobody listens at a stopped node's address (refused at once).
    if (!this.#endpoints.has(from) || !target) {
      await Promise.resolve();
      throw new TributaryError('ERR_CONNECTION_CLOSED', `node ${this.#endpoints.has(from) ? to : from} is not running`);
    }
    if (!this.#reachable(from, to)) return fail();
    const correlationId = ++this.#correlation;
    const frame = concat(encodeRequest({ apiKey, apiVersion: version, correlationId, clientId: `raft-${from}` }, request as object)).subarray(4);
    const decoded = decodeRequest(frame, ALL_VERSIONS).body as ApiRequest<K>;
    this.sent.push({ from, to, apiKey });
    const { endpoint, shutdown } = target;
    let answer: object;
    switch (apiKey) {
      case ApiKey.Vote: answer = await endpoint.handleVote(decoded as ApiRequest<typeof ApiKey.Vote>, version); break;
      case ApiKey.BeginQuorumEpoch: answer = await endpoint.handleBeginQuorumEpoch(decoded as ApiRequest<typeof ApiKey.BeginQuorumEpoch>, version); break;
      case ApiKey.EndQuorumEpoch: answer = await endpoint.handleEndQuorumEpoch(decoded as ApiRequest<typeof ApiKey.EndQuorumEpoch>, version); break;
      case ApiKey.Fetch: answer = await endpoint.handleFetch(decoded as ApiRequest<typeof ApiKey.Fetch>, version, shutdown); break;
      default: answer = await endpoint.handleFetchSnapshot(decoded as ApiRequest<typeof ApiKey.FetchSnapshot>, version); break;
    }
    // The answer is lost when the link broke meanwhile (or the target was replaced).
    if (!this.#reachable(to, from) || !this.#reachable(from, to) || this.#endpoints.get(to)?.endpoint !== endpoint) return fail();
    const response = concat(encodeResponse(apiKey, version, correlationId, answer)).subarray(4);
    return decodeResponse(apiKey, version, response).body as ApiResponse<K>;
  }
}

/** Lets every pending promise and storage callback run. */
export async function settle(rounds = 20): Promise<void> {
  for (let i = 0; i < rounds; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}

/** Moves `clock` forward `ms` in steps of `stepMs`, settling promises after each. */
export async function runFor(clock: ManualClock, ms: number, stepMs = 10): Promise<void> {
  for (let t = 0; t < ms; t += stepMs) {
    clock.advance(Math.min(stepMs, ms - t));
    await settle(4);
  }
}

/** A seeded uniform random in [0, 1) (mulberry32). */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Three (or `count`) voters in one process over memory storage, with restartable nodes. */
export class RaftTestCluster {
  readonly clock = new ManualClock();
  readonly network = new LocalRaftNetwork(this.clock);
  readonly voters: QuorumVoter[];
  readonly storages = new Map<number, Storage>();
  readonly nodes = new Map<number, RaftQuorum>();
  readonly #overrides: Partial<RaftQuorumOptions>;
  readonly #random: () => number;

  constructor(count = 3, overrides: Partial<RaftQuorumOptions> = {}, seed = 1) {
    this.voters = Array.from({ length: count }, (_, i) => ({ nodeId: i + 1, host: 'localhost', port: 9000 + i + 1 }));
    this.#overrides = overrides;
    this.#random = seededRandom(seed);
  }

  /** Opens every voter. */
  async start(): Promise<void> {
    for (const v of this.voters) await this.startNode(v.nodeId);
  }

  /** Opens (or reopens, after {@link stopNode}) node `nodeId` over its storage. */
  async startNode(nodeId: number, overrides: Partial<RaftQuorumOptions> = {}): Promise<RaftQuorum> {
    let storage = this.storages.get(nodeId);
    if (!storage) {
      storage = memoryStorage();
      await storage.open();
      this.storages.set(nodeId, storage);
    }
    const node = new RaftQuorum({
      nodeId,
      voters: this.voters,
      storage,
      clock: this.clock,
      logger: silentLogger,
      channel: this.network.channelFor(nodeId),
      random: this.#random,
      ...this.#overrides,
      ...overrides,
    });
    this.network.register(nodeId, node);
    await node.open();
    this.nodes.set(nodeId, node);
    return node;
  }

  /** Stops node `nodeId` (its storage is kept: it can start again). `graceful`: it resigns as a closing leader does. */
  async stopNode(nodeId: number, graceful = false): Promise<void> {
    const node = this.nodes.get(nodeId);
    if (!node) return;
    this.nodes.delete(nodeId);
    if (!graceful) this.network.unregister(nodeId);
    // A graceful close waits for its EndQuorumEpoch answers, which may need the clock (a cut link times out).
    let closed = false;
    const closing = node.close().finally(() => {
      closed = true;
    });
    for (let i = 0; i < 1000 && !closed; i++) await runFor(this.clock, 10);
    await closing;
    this.network.unregister(nodeId);
  }

  node(nodeId: number): RaftQuorum {
    const node = this.nodes.get(nodeId);
    if (!node) throw new Error(`node ${nodeId} is not running`);
    return node;
  }

  /** The running nodes whose leader() names themselves (the active controllers). */
  activeLeaders(): RaftQuorum[] {
    return [...this.nodes.values()].filter((n) => n.leader().nodeId === n.nodeId);
  }

  /** Runs the clock until exactly one node is the active leader (and returns it), or throws after `maxMs`. */
  async waitForLeader(maxMs = 20_000, exclude: readonly number[] = []): Promise<RaftQuorum> {
    for (let t = 0; t <= maxMs; t += 10) {
      const leaders = this.activeLeaders().filter((n) => !exclude.includes(n.nodeId));
      if (leaders.length === 1) return leaders[0]!;
      await runFor(this.clock, 10);
    }
    throw new Error(`no single leader within ${maxMs} ms: ${[...this.nodes.values()].map((n) => `${n.nodeId}:${n.role}@${n.epoch}`).join(' ')}`);
  }

  /** Closes every node. */
  async stop(): Promise<void> {
    for (const id of [...this.nodes.keys()]) await this.stopNode(id);
  }
}
