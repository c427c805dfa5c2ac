/**
 * A broker's connection to the active controller among the quorum's voters (Kafka's
 * NodeToControllerChannelManager, in spirit): one connection at a time over the client
 * Transport, to the voter believed active. A call is retried until it gets an answer
 * from the active controller or its retry time runs out:
 * - an answer that says "not the controller" moves on to the voter it names, or the next
 *   one, at once; once every voter said so in a row (an election), it backs off first;
 * - a failed connection or a connection cut mid-call drops the connection, moves to the
 *   next voter and backs off (exponentially, up to a bound) before trying again;
 * - a voter that does not serve the API at all (ApiVersions without it: the address is
 *   not a controller listener) fails the call at once with UNSUPPORTED_VERSION, saying so —
 *   a wrong `--controller-quorum` is an error, not a hang.
 * Every wait and deadline runs on the injected Clock (the simulation drives it).
 */
import type { Logger } from '../../contracts/logger.ts';
import { silentLogger } from '../../contracts/logger.ts';
import type { Clock } from '../../clock.ts';
import { systemClock } from '../../clock.ts';
import type { Transport, TransportFactory } from '../../client/transport.ts';
import { kafkaError, KafkaCode, TributaryError } from '../../errors.ts';
import { apiName, type ApiKey } from '../../protocol/api-keys.ts';
import type { ApiRequestInput, ApiResponse } from '../../protocol/api-messages.ts';
import { CONTROLLER_VERSIONS, highestCommonVersion } from '../../protocol/version-policy.ts';
import type { QuorumVoter } from '../quorum/metadata-quorum.ts';

/** Options of {@link ControllerLink}. */
export interface ControllerLinkOptions {
  /** The controller quorum's voters (`--controller-quorum`); at least one. */
  readonly voters: readonly QuorumVoter[];
  /** How connections are opened (TCP in a process, the simulated network in the simulation). */
  readonly transport: TransportFactory;
  /** Clock of the back-offs and retry deadlines. Default: the system clock. */
  readonly clock?: Clock;
  /** Logger; default silent. */
  readonly logger?: Logger;
  /** Sent in every request header. Default `tributary-broker`. */
  readonly clientId?: string;
  /** One request's timeout on its connection (the transport enforces it). Default 30 s. */
  readonly requestTimeoutMs?: number;
  /** Connecting to a voter fails after this long. Default 10 s. */
  readonly connectTimeoutMs?: number;
  /** How long one call keeps trying (connections, voters, back-offs) before it fails. Default 30 s. */
  readonly retryTimeoutMs?: number;
  /** First back-off after a failure (retry.backoff.ms). Default 100. */
  readonly retryBackoffMs?: number;
  /** Largest back-off (retry.backoff.max.ms). Default 1000. */
  readonly retryBackoffMaxMs?: number;
}

/** What a call makes of one answer. */
export type LinkAnswer<R> =
  /** The active controller answered: this is the call's result. */
  | { readonly kind: 'done'; readonly value: R }
  /**
   * The node is not the active controller: try another (`leaderId`, when the answer named
   * the leader). `value` is the call's result should every retry end the same way.
   */
  | { readonly kind: 'not-controller'; readonly value: R; readonly leaderId?: number };

/** Per-call settings. */
export interface LinkCallOptions {
  /** Extra time on the request timeout (a long poll's wait). */
  readonly extraTimeoutMs?: number;
  /** Overrides {@link ControllerLinkOptions.retryTimeoutMs} for this call. */
  readonly retryTimeoutMs?: number;
}

/** Connection-level failures are worth another try; a coded refusal (a body that does not encode) is not. */
function retriable(error: unknown): boolean {
  return !(error instanceof TributaryError) || error.retriable;
}

function closedError(): TributaryError {
  return new TributaryError('ERR_CONNECTION_CLOSED', 'The controller channel is closed', { retriable: false });
}

/** The connection to the active controller, and the retry rules of every call over it. */
export class ControllerLink {
  readonly #voters: readonly QuorumVoter[];
  readonly #factory: TransportFactory;
  readonly #clock: Clock;
  readonly #logger: Logger;
  readonly #clientId: string;
  readonly #requestTimeoutMs: number;
  readonly #connectTimeoutMs: number;
  readonly #retryTimeoutMs: number;
  readonly #backoffMs: number;
  readonly #backoffMaxMs: number;
  /** Index in #voters of the voter believed active. */
  #current = 0;
  #connection: { readonly index: number; readonly transport: Promise<Transport>; readonly abandon: () => void } | undefined;
  #closed = false;
  readonly #wakers = new Set<() => void>();

  constructor(options: ControllerLinkOptions) {
    if (options.voters.length === 0) throw new TributaryError('ERR_INVALID_ARGUMENT', 'The controller quorum needs at least one voter');
    this.#voters = [...options.voters];
    this.#factory = options.transport;
    this.#clock = options.clock ?? systemClock;
    this.#logger = options.logger ?? silentLogger;
    this.#clientId = options.clientId ?? 'tributary-broker';
    this.#requestTimeoutMs = options.requestTimeoutMs ?? 30_000;
    this.#connectTimeoutMs = options.connectTimeoutMs ?? 10_000;
    this.#retryTimeoutMs = options.retryTimeoutMs ?? 30_000;
    this.#backoffMs = options.retryBackoffMs ?? 100;
    this.#backoffMaxMs = options.retryBackoffMaxMs ?? 1000;
  }

  /** The voter calls go to now (the active controller as far as this link knows). */
  get target(): QuorumVoter {
    return this.#voters[this.#current]!;
  }

  /** True once {@link close} was called. */
  get closed(): boolean {
    return this.#closed;
  }

  /** Points the link at voter `nodeId` (a leader learned elsewhere); ignored for a node that is not a voter. */
  preferLeader(nodeId: number): void {
    const index = this.#voters.findIndex((v) => v.nodeId === nodeId);
    if (index < 0 || index === this.#current) return;
    this.#current = index;
    this.#dropConnection();
  }

  /**
   * Sends one request to the active controller and makes a result of its answer with
   * `interpret`, retrying as the module comment says. Rejects with REQUEST_TIMED_OUT
   * (retriable, the last failure as cause) when no controller answered in time,
   * UNSUPPORTED_VERSION when a voter does not serve the API, `ERR_CONNECTION_CLOSED` once closed.
   */
  async call<K extends ApiKey, R>(
    apiKey: K,
    build: (version: number) => ApiRequestInput<K>,
    interpret: (response: ApiResponse<K>, version: number) => LinkAnswer<R>,
    options: LinkCallOptions = {},
  ): Promise<R> {
    const deadline = this.#clock.now() + (options.retryTimeoutMs ?? this.#retryTimeoutMs);
    let failures = 0;
    let redirects = 0;
    let lastFailure: unknown;
    let lastNotController: { value: R } | undefined;
    for (;;) {
      if (this.#closed) throw closedError();
      const index = this.#current;
      const voter = this.#voters[index]!;
      let answer: LinkAnswer<R> | undefined;
      let transport: Transport | undefined;
      try {
        transport = await this.#connect(index);
      } catch (error) {
        if (this.#closed) throw closedError();
        if (!retriable(error)) throw error;
        lastFailure = error;
        this.#logger.debug('cannot connect to controller voter', { nodeId: voter.nodeId, host: voter.host, port: voter.port, error: String(error) });
        this.#advance(index);
        failures++;
      }
      if (transport) {
        const version = highestCommonVersion(transport.apiVersions, apiKey, CONTROLLER_VERSIONS);
        if (version === undefined) {
          throw kafkaError(
            KafkaCode.UNSUPPORTED_VERSION,
            `Node ${voter.nodeId} at ${voter.host}:${voter.port} does not serve ${apiName(apiKey)}: is --controller-quorum pointing at a controller listener?`,
            { details: { apiKey, nodeId: voter.nodeId } },
          );
        }
        // A body that cannot be built or encoded is the caller's error, never retried.
        const body = build(version);
        let response: ApiResponse<K> | undefined;
        try {
          response = await transport.request(apiKey, version, body, options.extraTimeoutMs !== undefined ? { extraTimeoutMs: options.extraTimeoutMs } : undefined);
        } catch (error) {
          if (this.#closed) throw closedError();
          if (!retriable(error)) throw error;
          lastFailure = error;
          this.#logger.debug('controller call failed', { api: apiName(apiKey), nodeId: voter.nodeId, error: String(error) });
          this.#advance(index);
          failures++;
        }
        if (response !== undefined) answer = interpret(response, version);
      }
      if (answer?.kind === 'done') return answer.value;
      if (answer?.kind === 'not-controller') {
        lastNotController = { value: answer.value };
        redirects++;
        if (answer.leaderId !== undefined && answer.leaderId !== voter.nodeId && this.#voters.some((v) => v.nodeId === answer.leaderId)) this.preferLeader(answer.leaderId);
        // The node names itself: it leads, at an epoch the request did not carry; ask it again.
        else if (answer.leaderId === voter.nodeId) {
          // Stay: the next try goes to the same node.
        }
        else this.#advance(index);
        // Every voter said no in a row: an election is under way; wait before asking again.
        if (redirects % this.#voters.length !== 0) continue;
        failures++;
      }
      const now = this.#clock.now();
      if (now >= deadline) {
        if (lastNotController && answer?.kind === 'not-controller') return lastNotController.value;
        throw kafkaError(KafkaCode.REQUEST_TIMED_OUT, `No active controller answered ${apiName(apiKey)} within ${options.retryTimeoutMs ?? this.#retryTimeoutMs} ms (voters ${this.#voters.map((v) => `${v.nodeId}@${v.host}:${v.port}`).join(', ')})`, { cause: lastFailure });
      }
      await this.#sleep(Math.min(deadline - now, Math.min(this.#backoffMaxMs, this.#backoffMs * 2 ** Math.min(failures - 1, 20))));
    }
  }

  /** Closes the connection; calls under way fail with `ERR_CONNECTION_CLOSED`, back-offs end. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const wake of [...this.#wakers]) wake();
    this.#wakers.clear();
    const connection = this.#connection;
    this.#connection = undefined;
    connection?.abandon();
    if (connection) await connection.transport.then((t) => t.close(), () => undefined);
  }

  /** The connection to voter `index`, opened when there is none (or it broke). */
  #connect(index: number): Promise<Transport> {
    const existing = this.#connection;
    if (existing && existing.index === index) {
      return existing.transport.then((t) => {
        if (t.connected) return t;
        if (this.#connection === existing) this.#connection = undefined;
        return this.#connect(index);
      });
    }
    if (existing) this.#dropConnection();
    const voter = this.#voters[index]!;
    const opening = this.#factory(
      { host: voter.host, port: voter.port, nodeId: voter.nodeId },
      { clientId: this.#clientId, requestTimeoutMs: this.#requestTimeoutMs, connectTimeoutMs: this.#connectTimeoutMs, logger: this.#logger },
    );
    // A connection dropped while it opens (the leader is known to be elsewhere now) stops
    // holding up the calls that wait for it: a stopped node may take the whole connect timeout.
    let abandon = () => {};
    const abandoned = new Promise<never>((_, reject) => {
      abandon = () => reject(new TributaryError('ERR_CONNECTION_CLOSED', `The connection to voter ${voter.nodeId} was dropped while it opened`, { retriable: true }));
    });
    abandoned.catch(() => undefined);
    const transport = Promise.race([opening, abandoned]);
    opening.then(
      (t) => {
        if (this.#connection?.transport !== transport) void t.close();
      },
      () => undefined,
    );
    const connection = { index, transport, abandon };
    this.#connection = connection;
    transport.then(
      (t) => {
        // Closed (or moved on) while connecting: nobody will use this one.
        if (this.#connection !== connection) void t.close();
      },
      () => {
        if (this.#connection === connection) this.#connection = undefined;
      },
    );
    return transport;
  }

  /** Moves from voter `index` to the next one (unless another call already moved on). */
  #advance(index: number): void {
    if (this.#current !== index) return;
    this.#current = (index + 1) % this.#voters.length;
    this.#dropConnection();
  }

  #dropConnection(): void {
    const connection = this.#connection;
    this.#connection = undefined;
    connection?.abandon();
    connection?.transport.then((t) => t.close(), () => undefined);
  }

  /** Waits `ms` on the clock, or until {@link close}. */
  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const wake = () => {
        this.#clock.clearTimeout(handle);
        this.#wakers.delete(wake);
        resolve();
      };
      const handle = this.#clock.setTimeout(wake, Math.max(0, ms));
      this.#wakers.add(wake);
    });
  }
}
