/**
 * The controller listener's request target: what a Kafka listener (adapters/server) serves
 * on a controller voter's `--controller-quorum` port. Brokers reach the active controller
 * through it — BrokerRegistration, BrokerHeartbeat, AlterPartition, AllocateProducerIds,
 * the admin requests they forward, and Fetch of the metadata log — and a request is
 * answered by a handler over {@link ControllerContext}, under the same session rules as a
 * broker's connections (order, limits, close on bad input). It owns neither the controller
 * nor the quorum: closing the listener ends long polls, nothing more.
 */
import type { Logger } from '../../contracts/logger.ts';
import { silentLogger } from '../../contracts/logger.ts';
import type { ApiKey } from '../../protocol/api-keys.ts';
import { CONTROLLER_VERSIONS } from '../../protocol/version-policy.ts';
import type { ApiRange } from '../api/context.ts';
import type { BrokerRequestHeader, HandlerEntry, ResponseBody } from '../api/handler.ts';
import { HandlerTable } from '../api/handler-table.ts';
import { type BrokerLimits, resolveBrokerLimits } from '../broker-configs.ts';
import type { ShutdownWatch } from '../partition/delayed-operations.ts';
import type { MetadataQuorum } from '../quorum/metadata-quorum.ts';
import type { RaftEndpoint } from '../quorum/raft/raft-endpoint.ts';
import type { RequestTarget } from '../session.ts';
import type { ControllerContext } from './api/context.ts';
import { CONTROLLER_HANDLERS } from './api/preset.ts';
import { RAFT_QUORUM_HANDLERS } from './api/handlers/raft-quorum-handlers.ts';
import type { BrokerToController } from './broker-to-controller.ts';

/** Options of {@link ControllerServer}. */
export interface ControllerServerOptions {
  /** This controller node's id (a voter): a metadata Fetch is served only while the quorum names it leader. */
  readonly nodeId: number;
  /** The active controller (any implementation: the in-process QuorumController, a test's own). */
  readonly controller: BrokerToController;
  /** The metadata log brokers fetch. */
  readonly quorum: Pick<MetadataQuorum, 'read' | 'leader'>;
  /**
   * This voter's Raft quorum (a controller quorum of several voters): the listener then
   * serves Vote, BeginQuorumEpoch, EndQuorumEpoch, FetchSnapshot and DescribeQuorum, and
   * the metadata Fetch, through it.
   */
  readonly raft?: RaftEndpoint;
  /** Logger; default silent. */
  readonly logger?: Logger;
  /** Connection and socket limits of the listener, and fetch.max.bytes; unset ones take Kafka's defaults. */
  readonly limits?: Partial<BrokerLimits>;
  /** The handlers; default {@link CONTROLLER_HANDLERS}. */
  readonly handlers?: ReadonlyArray<HandlerEntry<ApiKey, ControllerContext>>;
  /** Names the topic with an id, for DeleteTopics by id (v6); without it such a deletion is UNKNOWN_TOPIC_ID. */
  readonly topicName?: (topicId: string) => string | undefined;
}

/** The controller listener: a request target over a {@link BrokerToController} and a metadata quorum. */
export class ControllerServer implements RequestTarget, ControllerContext {
  readonly nodeId: number;
  readonly controller: BrokerToController;
  readonly quorum: Pick<MetadataQuorum, 'read' | 'leader'>;
  readonly raft: RaftEndpoint | undefined;
  readonly logger: Logger;
  readonly limits: BrokerLimits;
  readonly #table: HandlerTable<ControllerContext>;
  readonly #topicName: ((topicId: string) => string | undefined) | undefined;
  readonly #shutdownListeners = new Set<() => void>();
  #shuttingDown = false;

  constructor(options: ControllerServerOptions) {
    this.nodeId = options.nodeId;
    this.controller = options.controller;
    this.quorum = options.quorum;
    this.raft = options.raft;
    this.logger = options.logger ?? silentLogger;
    this.limits = resolveBrokerLimits(options.limits);
    const handlers = options.handlers ?? CONTROLLER_HANDLERS;
    this.#table = new HandlerTable(options.raft ? [...handlers, ...RAFT_QUORUM_HANDLERS] : handlers, CONTROLLER_VERSIONS);
    this.#topicName = options.topicName;
  }

  /** True until shutdown begins (the listener takes connections while it is). */
  get running(): boolean {
    return !this.#shuttingDown;
  }

  /** Tells when shutdown begins: metadata long polls answer at once. */
  readonly shutdown: ShutdownWatch = {
    aborted: () => this.#shuttingDown,
    onAbort: (listener) => {
      this.#shutdownListeners.add(listener);
      return () => this.#shutdownListeners.delete(listener);
    },
  };

  /** Begins shutdown: waiting metadata fetches answer now; new connections are refused. */
  beginShutdown(): void {
    if (this.#shuttingDown) return;
    this.#shuttingDown = true;
    for (const listener of [...this.#shutdownListeners]) listener();
    this.#shutdownListeners.clear();
  }

  /** The name of the topic with this id, when the options gave a way to know it. */
  topicName(topicId: string): string | undefined {
    return this.#topicName?.(topicId);
  }

  /** What ApiVersions advertises: each handler's range ∩ schema ∩ the controller column of the version policy. */
  apiVersions(): readonly ApiRange[] {
    return this.#table.apiVersions();
  }

  /** Answers one decoded request (the session's entry point). */
  handle(header: BrokerRequestHeader, body: unknown): Promise<ResponseBody> {
    return this.#table.handle(this, header, body);
  }
}
