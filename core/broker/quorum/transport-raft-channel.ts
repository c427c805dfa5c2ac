/**
 * The {@link RaftChannel} of a voter in a process: connections over a TransportFactory (TCP
 * in `tributary broker`, the in-process network in `createCluster`) to every other voter's
 * controller listener, as the brokers' ControllerLink reaches it. Two connections per voter,
 * because answers on one connection come back in request order: one for Fetch and
 * FetchSnapshot (a follower's Fetch is a long poll at the leader), one for Vote,
 * BeginQuorumEpoch and EndQuorumEpoch — an election is never stuck behind a waiting fetch.
 *
 * A send that gets no answer within its `timeoutMs` (on the injected Clock) fails and drops
 * its connection: a later answer would only hold up the ones behind it, and a node that
 * stopped answering (SIGSTOP, a cut link) is best reached by a fresh connection once it is
 * back. Connection failures reject the send at once; the Raft quorum retries on its own
 * schedule.
 */
import type { Clock } from '../../clock.ts';
import type { Logger } from '../../contracts/logger.ts';
import { silentLogger } from '../../contracts/logger.ts';
import type { Transport, TransportFactory } from '../../client/transport.ts';
import { kafkaError, KafkaCode, TributaryError } from '../../errors.ts';
import { ApiKey, apiName } from '../../protocol/api-keys.ts';
import type { ApiRequestInput, ApiResponse } from '../../protocol/api-messages.ts';
import type { QuorumVoter } from './metadata-quorum.ts';
import type { RaftApiKey, RaftChannel } from './raft/raft-endpoint.ts';

/** Options of {@link TransportRaftChannel}. */
export interface TransportRaftChannelOptions {
  /** This voter's id (sent in the client id, for logs at the other end). */
  readonly nodeId: number;
  /** Every voter of the quorum (this one may be listed: it is never sent to). */
  readonly voters: readonly QuorumVoter[];
  readonly transport: TransportFactory;
  /** Times the sends' deadlines. */
  readonly clock: Clock;
  /** Logger; default silent. */
  readonly logger?: Logger;
  /** Connecting to a voter fails after this long. Default 2000 (controller.quorum.request.timeout.ms). */
  readonly connectTimeoutMs?: number;
}

type Lane = 'control' | 'fetch';

/** A Raft voter's connections to the other voters. */
export class TransportRaftChannel implements RaftChannel {
  readonly #options: TransportRaftChannelOptions;
  readonly #voters = new Map<number, QuorumVoter>();
  readonly #connections = new Map<string, Promise<Transport>>();
  readonly #logger: Logger;
  #closed = false;

  constructor(options: TransportRaftChannelOptions) {
    this.#options = options;
    this.#logger = options.logger ?? silentLogger;
    for (const voter of options.voters) this.#voters.set(voter.nodeId, voter);
  }

  async send<K extends RaftApiKey>(nodeId: number, apiKey: K, version: number, request: ApiRequestInput<K>, timeoutMs: number): Promise<ApiResponse<K>> {
    if (this.#closed) throw new TributaryError('ERR_CONNECTION_CLOSED', 'The Raft channel is closed', { retriable: false });
    const lane: Lane = apiKey === ApiKey.Fetch || apiKey === ApiKey.FetchSnapshot ? 'fetch' : 'control';
    const key = `${nodeId}/${lane}`;
    const { clock } = this.#options;
    let timer: unknown;
    const deadline = new Promise<never>((_, reject) => {
      timer = clock.setTimeout(() => reject(kafkaError(KafkaCode.REQUEST_TIMED_OUT, `${apiName(apiKey)} to voter ${nodeId} got no answer within ${timeoutMs} ms`)), Math.max(0, timeoutMs));
    });
    const connecting = this.#connect(nodeId, key, timeoutMs);
    try {
      const transport = await Promise.race([connecting, deadline]);
      // The transport's own timeout is a backstop; the clock's deadline above decides.
      return await Promise.race([transport.request(apiKey, version, request, { extraTimeoutMs: timeoutMs }) as Promise<ApiResponse<K>>, deadline]);
    } catch (error) {
      // No answer in time, or the connection broke: the next send opens a new one.
      this.#drop(key, connecting);
      throw error;
    } finally {
      clock.clearTimeout(timer);
      deadline.catch(() => undefined);
    }
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const open = [...this.#connections.values()];
    this.#connections.clear();
    await Promise.allSettled(open.map((c) => c.then((t) => t.close())));
  }

  #connect(nodeId: number, key: string, timeoutMs: number): Promise<Transport> {
    const existing = this.#connections.get(key);
    if (existing) {
      return existing.then((t) => {
        if (t.connected) return t;
        if (this.#connections.get(key) === existing) this.#connections.delete(key);
        return this.#connect(nodeId, key, timeoutMs);
      });
    }
    const voter = this.#voters.get(nodeId);
    if (!voter) return Promise.reject(new TributaryError('ERR_INVALID_ARGUMENT', `Node ${nodeId} is not a voter of the controller quorum`, { retriable: false }));
    const connection = this.#options.transport(
      { host: voter.host, port: voter.port, nodeId },
      {
        clientId: `tributary-raft-${this.#options.nodeId}`,
        // Long enough for a long-poll Fetch; each send's own deadline is shorter.
        requestTimeoutMs: Math.max(timeoutMs, 2000),
        connectTimeoutMs: this.#options.connectTimeoutMs ?? 2000,
        logger: this.#logger,
      },
    );
    this.#connections.set(key, connection);
    connection.then(
      (t) => {
        if (this.#closed) void t.close();
      },
      (error: unknown) => {
        if (this.#connections.get(key) === connection) this.#connections.delete(key);
        this.#logger.debug('cannot connect to voter', { nodeId, host: voter.host, port: voter.port, error: String(error) });
      },
    );
    return connection;
  }

  #drop(key: string, connection: Promise<Transport>): void {
    if (this.#connections.get(key) !== connection) return;
    this.#connections.delete(key);
    connection.then((t) => t.close(), () => undefined);
  }
}
