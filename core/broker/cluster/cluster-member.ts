/**
 * A broker's part in a cluster, wired in one place: the metadata follower (the image comes
 * from the metadata log), the lifecycle (registration, heartbeats, fencing, controlled
 * shutdown) and the forwarding controller request handlers use. broker.ts builds one
 * when `BrokerOptions.cluster` is set; a cluster of one never does.
 */
import type { Clock } from '../../clock.ts';
import type { Logger } from '../../contracts/logger.ts';
import type { BrokerEndpoint } from '../api/context.ts';
import type { BrokerToController } from '../controller/broker-to-controller.ts';
import type { MetadataLoader } from '../metadata/metadata-publisher.ts';
import { BrokerLifecycle } from './broker-lifecycle.ts';
import { CLUSTER_DEFAULTS, type ClusterOptions } from './cluster-options.ts';
import { ForwardingController } from './forwarding-controller.ts';
import { MetadataFollower, type MetadataSource } from './metadata-follower.ts';

/** Options of {@link ClusterMember}. */
export interface ClusterMemberOptions {
  readonly nodeId: number;
  readonly cluster: ClusterOptions;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly loader: MetadataLoader;
  /** Where the metadata log is read. */
  readonly source: MetadataSource;
  /** The active controller. */
  readonly controller: BrokerToController;
  /** The active controller's node id as known (-1: none). */
  readonly controllerId: () => number;
  readonly clusterId: () => string;
  /** num.partitions. */
  readonly defaultNumPartitions: number;
  /** The broker epoch of this node's last clean shutdown, -1 if none (read at start). */
  readonly previousBrokerEpoch?: () => number;
}

/** Metadata replay, registration and forwarding for one broker. */
export class ClusterMember {
  readonly follower: MetadataFollower;
  readonly lifecycle: BrokerLifecycle;
  readonly controller: ForwardingController;
  readonly #options: ClusterMemberOptions;
  #fatal: string | undefined;

  constructor(options: ClusterMemberOptions) {
    this.#options = options;
    const { cluster, clock, logger, loader } = options;
    this.follower = new MetadataFollower({ source: options.source, loader, clock, logger });
    this.lifecycle = new BrokerLifecycle({
      nodeId: options.nodeId,
      clusterId: options.clusterId,
      controller: options.controller,
      appliedOffset: () => this.follower.appliedOffset,
      clock,
      logger,
      heartbeatIntervalMs: cluster.heartbeatIntervalMs ?? CLUSTER_DEFAULTS.heartbeatIntervalMs,
      onFatal: (message) => (this.#fatal = message),
      ...(options.previousBrokerEpoch ? { previousBrokerEpoch: options.previousBrokerEpoch } : {}),
    });
    this.controller = new ForwardingController({
      controller: options.controller,
      follower: this.follower,
      image: () => loader.image,
      controllerId: options.controllerId,
      defaultNumPartitions: options.defaultNumPartitions,
    });
  }

  /** Why the controller refused this broker for good (duplicate node id, other cluster), if it did. */
  get fatalError(): string | undefined {
    return this.#fatal;
  }

  /** Starts replaying the metadata log and waits until this broker has caught up with it. */
  async start(): Promise<void> {
    this.follower.start();
    const { logger, clock } = this.#options;
    // Say so while waiting: a controller that is not there yet is the usual first-start cause.
    let waited = 0;
    const tick = 5000;
    let timer: unknown;
    const remind = () => {
      waited += tick;
      logger.info('waiting for the metadata log (is the controller up?)', { nodeId: this.#options.nodeId, waitedMs: waited });
      timer = clock.setTimeout(remind, tick);
    };
    timer = clock.setTimeout(remind, tick);
    try {
      await this.follower.waitForCatchUp();
    } finally {
      clock.clearTimeout(timer);
    }
  }

  /** Registers (or re-registers) at this address; heartbeats follow. */
  register(endpoint: BrokerEndpoint): void {
    this.lifecycle.start(endpoint);
  }

  /** Controlled shutdown, then stops heartbeats and the metadata replay. */
  async shutdown(): Promise<void> {
    await this.lifecycle.shutdown(this.#options.cluster.controlledShutdownTimeoutMs ?? CLUSTER_DEFAULTS.controlledShutdownTimeoutMs);
    await this.follower.stop();
  }

  /** Stops at once, without telling the controller (what a crash looks like to the cluster). */
  async halt(): Promise<void> {
    await this.lifecycle.stop();
    await this.follower.stop();
  }
}
