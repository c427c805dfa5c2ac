/**
 * Requests to a group's coordinator: FindCoordinator (cached until an error says the
 * coordinator moved), then each group API in the highest version both sides speak.
 *
 * The group APIs carry their own version ranges here rather than in CLIENT_VERSIONS: the
 * bodies built in this folder hold the fields of every version in the range (the codec
 * writes those the chosen version has), and the answers are read for each shape.
 */
import type { Logger } from '../../contracts/logger.ts';
import { TributaryError, kafkaError } from '../../errors.ts';
import { KafkaCode } from '../../kafka-error-codes.ts';
import { ApiKey, apiName } from '../../protocol/api-keys.ts';
import type { ApiRequestInput, ApiResponse } from '../../protocol/api-messages.ts';
import { GROUP_CLIENT_VERSIONS } from '../../protocol/version-policy.ts';
import { commonVersion } from '../client-versions.ts';
import type { Cluster } from '../cluster.ts';
import type { RequestOptions, Transport } from '../transport.ts';

/**
 * Group API versions this client builds and reads (from the one version policy,
 * core/protocol/version-policy.ts, which says why each ceiling is where it is).
 */
export { GROUP_CLIENT_VERSIONS };

/** Coordinator errors after which the coordinator must be looked up again. */
const MOVED: ReadonlySet<number> = new Set([KafkaCode.COORDINATOR_NOT_AVAILABLE, KafkaCode.NOT_COORDINATOR]);

/** True when `error` (or a Kafka error code) means: find the coordinator again. */
export function coordinatorMoved(error: unknown): boolean {
  if (typeof error === 'number') return MOVED.has(error);
  if (!(error instanceof TributaryError)) return false;
  if (error.kafkaCode !== undefined) return MOVED.has(error.kafkaCode);
  return error.code === 'ERR_CONNECTION_CLOSED' || error.code === 'ERR_CONNECT_FAILED' || error.code === 'ERR_REQUEST_TIMEOUT' || error.code === 'ERR_NO_BROKERS';
}

/** Options of a group request: group APIs always expect a response. */
export type GroupRequestOptions = RequestOptions & { readonly expectResponse?: true };

/** A group API's answer and the version it was sent in (the shape of some fields depends on it). */
export interface GroupApiAnswer<K extends ApiKey> {
  readonly body: ApiResponse<K>;
  readonly version: number;
}

/** Sends `apiKey` on `transport` in the highest common group API version; resolves the body and version. */
export async function sendGroupApi<K extends ApiKey>(transport: Transport, apiKey: K, body: ApiRequestInput<K>, options?: GroupRequestOptions): Promise<GroupApiAnswer<K>> {
  const version = commonVersion(transport.apiVersions, apiKey, GROUP_CLIENT_VERSIONS);
  if (version === undefined) throw kafkaError(KafkaCode.UNSUPPORTED_VERSION, `The broker and this client share no version of ${apiName(apiKey)}`, { details: { apiKey } });
  return { body: await transport.request(apiKey, version, body, options), version };
}

/** Looks up the coordinator of `groupId` (FindCoordinator, key type 0); resolves its node id. */
export async function findCoordinator(cluster: Cluster, groupId: string): Promise<number> {
  const { body, version } = await sendGroupApi(await cluster.anyConnection(), ApiKey.FindCoordinator, { key: groupId, keyType: 0, coordinatorKeys: [groupId] });
  // v4 batches coordinator keys; earlier versions answer for the one key at the top level.
  const answer = version >= 4 ? body.coordinators.find((c) => c.key === groupId) : body;
  if (!answer) throw kafkaError(KafkaCode.COORDINATOR_NOT_AVAILABLE, `FindCoordinator gave no answer for group ${groupId}`);
  if (answer.errorCode !== KafkaCode.NONE) throw kafkaError(answer.errorCode, answer.errorMessage ?? `FindCoordinator for group ${groupId} failed`, { details: { groupId } });
  // The coordinator may be a broker the metadata cache has not seen yet.
  if (!cluster.brokers().some((b) => b.nodeId === answer.nodeId)) await cluster.refresh();
  return answer.nodeId;
}

/**
 * The channel to one group's coordinator. A member's channel is `dedicated`: it owns its
 * connection, as Kafka's clients do, because a JoinGroup waits on the broker until the
 * whole group has joined and answers on one connection come in request order — on a
 * shared connection it would hold back the fetches and heartbeats of every other
 * consumer of the client (and their rejoin, a deadlock until the rebalance timeout).
 */
export class CoordinatorChannel {
  readonly groupId: string;
  readonly #cluster: Cluster;
  readonly #logger: Logger;
  readonly #dedicated: boolean;
  #node: number | null = null;
  #transport: Promise<Transport> | null = null;

  constructor(cluster: Cluster, groupId: string, logger: Logger, options: { dedicated?: boolean } = {}) {
    this.#cluster = cluster;
    this.groupId = groupId;
    this.#logger = logger;
    this.#dedicated = options.dedicated ?? false;
  }

  /** The coordinator's node id, looked up when unknown. */
  async node(): Promise<number> {
    if (this.#node === null) {
      this.#node = await findCoordinator(this.#cluster, this.groupId);
      this.#logger.debug('group coordinator found', { groupId: this.groupId, nodeId: this.#node });
    }
    return this.#node;
  }

  /** Forgets the coordinator (it moved, or its connection failed). */
  invalidate(): void {
    this.#node = null;
    this.#dropConnection();
  }

  /** Closes the dedicated connection (a later request opens a new one). */
  close(): Promise<void> {
    const t = this.#transport;
    this.#transport = null;
    return t ? t.then((c) => c.close(), () => undefined) : Promise.resolve();
  }

  #dropConnection(): void {
    void this.close();
  }

  async #connection(node: number): Promise<Transport> {
    if (!this.#dedicated) return this.#cluster.connection(node);
    if (this.#transport) {
      const t = await this.#transport.catch(() => null);
      if (t?.connected) return t;
      this.#transport = null;
    }
    const opening = this.#cluster.openConnection(node);
    this.#transport = opening;
    opening.catch(() => {
      if (this.#transport === opening) this.#transport = null;
    });
    return opening;
  }

  /**
   * Sends a group request to the coordinator. A transport failure forgets the coordinator
   * before it propagates, so that the caller's retry looks it up again.
   */
  async send<K extends ApiKey>(apiKey: K, body: ApiRequestInput<K>, options?: GroupRequestOptions): Promise<GroupApiAnswer<K>> {
    const node = await this.node();
    try {
      return await sendGroupApi(await this.#connection(node), apiKey, body, options);
    } catch (error) {
      if (coordinatorMoved(error)) this.invalidate();
      throw error;
    }
  }
}
