/**
 * The simulated network of the Raft simulation: a {@link RaftChannel} per node, between the
 * voters (and observers) of one controller quorum, on virtual time.
 *
 * Every request and every answer is encoded and decoded with the real protocol codec
 * (`encodeRequest` → `decodeRequest`, `encodeResponse` → `decodeResponse`), so what the
 * simulation exercises is exactly what crosses a wire: a field the codec does not carry at
 * the version sent is lost here too.
 *
 * The model is message-based, as Kafka's RaftEventSimulationTest routes messages (not TCP
 * streams): each request and each answer is one message with its own fate, drawn from the
 * seeded generator in a fixed order —
 * - drop: lost without a trace (the caller's request timeout fires);
 * - delay: a random time in [minDelayMs, maxDelayMs]; messages are independent, so they
 *   reorder freely;
 * - duplicate: a request is delivered a second time, later (up to `staleDelayMs`), so a
 *   voter also sees old Votes, Fetches and BeginQuorumEpochs long after they were sent;
 * - partitions: a blocked direction loses every message crossing it when it arrives
 *   (one-way blocks, isolation of one node, splits into groups);
 * - a node that is down refuses requests (connection refused, after the message's delay);
 * - crashes: {@link RaftSimNetwork.crash} ends the node's incarnation — its channel sends
 *   nothing more, answers to it are lost, and answers it was still computing (a Fetch
 *   waiting at a dead leader) never leave it.
 * The caller's `timeoutMs` runs on the virtual clock: a request without an answer rejects
 * after it, as the TCP channel's request timeout does.
 */
import type { Clock } from '../../core/clock.ts';
import type { ShutdownWatch } from '../../core/broker/partition/delayed-operations.ts';
import type { RaftApiKey, RaftChannel, RaftEndpoint } from '../../core/broker/quorum/raft/raft-endpoint.ts';
import { TributaryError } from '../../core/errors.ts';
import { ApiKey, apiName } from '../../core/protocol/api-keys.ts';
import type { ApiRequestInput, ApiResponse } from '../../core/protocol/api-messages.ts';
import { SCHEMAS } from '../../core/protocol/generated/index.ts';
import { decodeRequest, decodeResponse, encodeRequest, encodeResponse } from '../../core/protocol/messages.ts';
import type { ApiVersionRange } from '../../core/protocol/version-policy.ts';
import type { SeededRandom } from '../sim/seeded-random.ts';

/** Message faults; the simulation changes them while it runs. */
export interface RaftNetworkFaults {
  /** Probability that one message (request or answer) is lost. */
  dropRate: number;
  /** Probability that a request is delivered a second time, later. */
  duplicateRate: number;
  minDelayMs: number;
  maxDelayMs: number;
  /** Most a duplicate trails the original by. */
  staleDelayMs: number;
}

/** Counts of what the network did (the same seed must count the same). */
export interface RaftNetworkStats {
  requests: number;
  delivered: number;
  dropped: number;
  duplicated: number;
  partitioned: number;
  refused: number;
  timeouts: number;
}

/** Every version of the Raft APIs (and DescribeQuorum) the schemas describe: what the simulated receiver decodes. */
export const RAFT_VERSION_RANGES: readonly ApiVersionRange[] = [ApiKey.Vote, ApiKey.BeginQuorumEpoch, ApiKey.EndQuorumEpoch, ApiKey.Fetch, ApiKey.FetchSnapshot, ApiKey.DescribeQuorum].map((apiKey) => {
  const schema = SCHEMAS.get(apiKey)!;
  return { apiKey, minVersion: schema.minVersion, maxVersion: schema.maxVersion };
});

function frameOf(chunks: readonly Uint8Array[]): Uint8Array {
  let n = 0;
  for (const c of chunks) n += c.length;
  const out = new Uint8Array(n);
  let pos = 0;
  for (const c of chunks) {
    out.set(c, pos);
    pos += c.length;
  }
  // The 4-byte size prefix is what a frame decoder strips.
  return out.subarray(4);
}

/** A node's shutdown watch for one incarnation: aborted when that incarnation crashes or stops. */
class IncarnationWatch implements ShutdownWatch {
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
    if (this.#aborted) return;
    this.#aborted = true;
    for (const l of [...this.#listeners]) l();
    this.#listeners.clear();
  }
}

/** The network between the nodes of one simulated quorum. */
export class RaftSimNetwork {
  readonly clock: Clock;
  readonly faults: RaftNetworkFaults;
  readonly stats: RaftNetworkStats = { requests: 0, delivered: 0, dropped: 0, duplicated: 0, partitioned: 0, refused: 0, timeouts: 0 };
  readonly #random: SeededRandom;
  readonly #endpoints = new Map<number, RaftEndpoint>();
  readonly #incarnation = new Map<number, number>();
  readonly #watches = new Map<number, IncarnationWatch>();
  readonly #blocked = new Set<string>();
  #nextCorrelationId = 1;
  /** Told of every message's fate (the simulation's trace, when it wants every message). */
  onMessage: ((line: string) => void) | undefined;

  constructor(clock: Clock, random: SeededRandom, faults: RaftNetworkFaults) {
    this.clock = clock;
    this.#random = random;
    this.faults = faults;
  }

  /** Node `nodeId`'s new incarnation answers as `endpoint` from now on. */
  attach(nodeId: number, endpoint: RaftEndpoint): void {
    this.#endpoints.set(nodeId, endpoint);
    if (!this.#watches.has(nodeId)) this.#watches.set(nodeId, new IncarnationWatch());
  }

  /** The incarnation number of a node (bumped by {@link crash}). */
  incarnation(nodeId: number): number {
    return this.#incarnation.get(nodeId) ?? 0;
  }

  /** The shutdown watch of the node's current incarnation (aborted by a crash): what its handleFetch waits with. */
  shutdownWatch(nodeId: number): ShutdownWatch {
    let watch = this.#watches.get(nodeId);
    if (!watch) this.#watches.set(nodeId, (watch = new IncarnationWatch()));
    return watch;
  }

  /** The node stops (a crash or a clean stop): its channel and pending answers die with this incarnation. */
  crash(nodeId: number): void {
    this.#incarnation.set(nodeId, this.incarnation(nodeId) + 1);
    this.#endpoints.delete(nodeId);
    this.#watches.get(nodeId)?.abort();
    this.#watches.set(nodeId, new IncarnationWatch());
  }

  /** True while the node has a running incarnation. */
  isUp(nodeId: number): boolean {
    return this.#endpoints.has(nodeId);
  }

  /** Blocks the direction from → to. */
  block(from: number, to: number): void {
    this.#blocked.add(`${from}>${to}`);
  }

  /** Unblocks the direction from → to. */
  unblock(from: number, to: number): void {
    this.#blocked.delete(`${from}>${to}`);
  }

  /** Cuts `node` off from every other of `nodes`, both ways. */
  isolate(node: number, nodes: readonly number[]): void {
    for (const other of nodes) if (other !== node) (this.block(node, other), this.block(other, node));
  }

  /** Splits `groups` from each other: only nodes of one group reach each other. */
  split(groups: readonly (readonly number[])[]): void {
    for (const a of groups) for (const b of groups) if (a !== b) for (const x of a) for (const y of b) this.block(x, y);
  }

  /** True when from → to loses everything. */
  isBlocked(from: number, to: number): boolean {
    return this.#blocked.has(`${from}>${to}`);
  }

  /** The blocked directions, as `from>to`, sorted. */
  blockedLinks(): string[] {
    return [...this.#blocked].sort();
  }

  /** Every link up. */
  heal(): void {
    this.#blocked.clear();
  }

  /** The channel node `from`'s current incarnation sends with. */
  channelFor(from: number): RaftChannel {
    const incarnation = this.incarnation(from);
    const alive = () => this.incarnation(from) === incarnation;
    return {
      send: (to, apiKey, version, request, timeoutMs) => this.#send(from, alive, to, apiKey, version, request, timeoutMs),
    };
  }

  // One message's fate: its delay, or undefined when it is lost (always two draws: determinism).
  #fate(): number | undefined {
    const { dropRate, minDelayMs, maxDelayMs } = this.faults;
    const lost = this.#random.chance(dropRate);
    const delay = this.#random.int(minDelayMs, Math.max(minDelayMs, maxDelayMs));
    if (lost) {
      this.stats.dropped++;
      return undefined;
    }
    return delay;
  }

  #later(ms: number, run: () => void): void {
    this.clock.setTimeout(run, ms);
  }

  #send<K extends RaftApiKey>(from: number, alive: () => boolean, to: number, apiKey: K, version: number, request: ApiRequestInput<K>, timeoutMs: number): Promise<ApiResponse<K>> {
    if (!alive()) return Promise.reject(new TributaryError('ERR_CONNECTION_CLOSED', `node ${from} crashed: it sends nothing`, { retriable: true }));
    const correlationId = this.#nextCorrelationId++;
    const name = `${apiName(apiKey)}#${correlationId} ${from}->${to}`;
    // Encoded now, as the sender writes it: later changes to the caller's objects do not travel.
    const frame = frameOf(encodeRequest({ apiKey, apiVersion: version, correlationId, clientId: `raft-${from}` }, request));
    this.stats.requests++;
    return new Promise<ApiResponse<K>>((resolve, reject) => {
      let settled = false;
      const settle = (outcome: () => void) => {
        if (settled) return;
        settled = true;
        this.clock.clearTimeout(timer);
        outcome();
      };
      const timer = this.clock.setTimeout(() => {
        this.stats.timeouts++;
        settle(() => reject(new TributaryError('ERR_REQUEST_TIMEOUT', `${name}: no answer within ${timeoutMs} ms`, { retriable: true })));
      }, timeoutMs);

      const deliver = (copy: 'first' | 'duplicate', delay: number) => {
        this.#later(delay, () => {
          if (this.isBlocked(from, to)) {
            this.stats.partitioned++;
            this.onMessage?.(`${name} ${copy} lost: partitioned`);
            return;
          }
          const endpoint = this.#endpoints.get(to);
          if (!endpoint) {
            // Connection refused: the sender learns at once (when it still listens).
            this.stats.refused++;
            this.onMessage?.(`${name} ${copy} refused: node ${to} is down`);
            if (copy === 'first' && alive()) settle(() => reject(new TributaryError('ERR_CONNECT_FAILED', `${name}: node ${to} is down`, { retriable: true })));
            return;
          }
          this.stats.delivered++;
          this.onMessage?.(`${name} ${copy} delivered`);
          const targetIncarnation = this.incarnation(to);
          void this.#handle(endpoint, to, frame).then((answer) => {
            // A dead process answers nothing.
            if (this.incarnation(to) !== targetIncarnation) return;
            const back = this.#fate();
            if (back === undefined) {
              this.onMessage?.(`${name} ${copy} answer dropped`);
              return;
            }
            this.#later(back, () => {
              if (this.isBlocked(to, from)) {
                this.stats.partitioned++;
                this.onMessage?.(`${name} ${copy} answer lost: partitioned`);
                return;
              }
              if (!alive()) return;
              if (answer.kind === 'error') {
                settle(() => reject(answer.error));
                return;
              }
              let body: ApiResponse<K>;
              try {
                body = decodeResponse(apiKey, version, answer.frame).body;
              } catch (error) {
                settle(() => reject(error));
                return;
              }
              this.onMessage?.(`${name} ${copy} answered`);
              settle(() => resolve(body));
            });
          });
        });
      };

      const first = this.#fate();
      const duplicate = this.#random.chance(this.faults.duplicateRate);
      const staleBy = this.#random.int(0, Math.max(0, this.faults.staleDelayMs));
      if (first === undefined) this.onMessage?.(`${name} dropped`);
      else deliver('first', first);
      if (duplicate) {
        this.stats.duplicated++;
        deliver('duplicate', (first ?? this.faults.minDelayMs) + staleBy);
      }
    });
  }

  // The receiving side: decode as a server does, call the endpoint, encode the answer.
  async #handle(endpoint: RaftEndpoint, to: number, frame: Uint8Array): Promise<{ kind: 'frame'; frame: Uint8Array } | { kind: 'error'; error: unknown }> {
    try {
      const decoded = decodeRequest(frame, RAFT_VERSION_RANGES);
      const { header } = decoded;
      let body: object;
      switch (decoded.header.apiKey) {
        case ApiKey.Vote:
          body = await endpoint.handleVote(decoded.body as never, header.apiVersion);
          break;
        case ApiKey.BeginQuorumEpoch:
          body = await endpoint.handleBeginQuorumEpoch(decoded.body as never, header.apiVersion);
          break;
        case ApiKey.EndQuorumEpoch:
          body = await endpoint.handleEndQuorumEpoch(decoded.body as never, header.apiVersion);
          break;
        case ApiKey.Fetch:
          body = await endpoint.handleFetch(decoded.body as never, header.apiVersion, this.shutdownWatch(to));
          break;
        case ApiKey.FetchSnapshot:
          body = await endpoint.handleFetchSnapshot(decoded.body as never, header.apiVersion);
          break;
        case ApiKey.DescribeQuorum:
          body = await endpoint.handleDescribeQuorum(decoded.body as never, header.apiVersion);
          break;
        default:
          throw new TributaryError('ERR_UNKNOWN_API', `the Raft network carries no ${apiName(header.apiKey)}`);
      }
      return { kind: 'frame', frame: frameOf(encodeResponse(header.apiKey, header.apiVersion, header.correlationId, body)) };
    } catch (error) {
      // A handler that throws: the server closes the connection; the caller sees an error.
      return { kind: 'error', error: new TributaryError('ERR_CONNECTION_CLOSED', `node ${to} failed a request: ${String(error)}`, { retriable: true, cause: error }) };
    }
  }
}
