/**
 * A broker's membership in the cluster (Kafka's BrokerLifecycleManager): it registers with
 * the active controller, then heartbeats every `broker.heartbeat.interval.ms` with the
 * metadata offset it has applied. The controller keeps it fenced (no leadership, no ISR,
 * invisible to clients) until it has caught up with the metadata log, and fences it again
 * when heartbeats stop for `broker.session.timeout.ms`. A stale epoch (the controller
 * fenced and forgot us, or restarted) means register again. On shutdown it asks for a
 * controlled shutdown: leadership moves to other replicas before the broker goes.
 */
import type { Clock } from '../../clock.ts';
import type { Logger } from '../../contracts/logger.ts';
import { KafkaCode } from '../../kafka-error-codes.ts';
import type { BrokerEndpoint } from '../api/context.ts';
import type { BrokerToController } from '../controller/broker-to-controller.ts';

/** Options of {@link BrokerLifecycle}. */
export interface BrokerLifecycleOptions {
  readonly nodeId: number;
  readonly clusterId: () => string;
  readonly controller: Pick<BrokerToController, 'registerBroker' | 'brokerHeartbeat'>;
  /** The highest metadata offset this broker has applied. */
  readonly appliedOffset: () => number;
  readonly clock: Clock;
  readonly logger: Logger;
  /** broker.heartbeat.interval.ms. Default 2000. */
  readonly heartbeatIntervalMs?: number;
  /** The epoch this node shut down cleanly with last time (see BrokerRegistrationRequest.previousBrokerEpoch); -1 if none. */
  readonly previousBrokerEpoch?: () => number;
  /** Called with the broker epoch after each successful registration. */
  onRegistered?(brokerEpoch: number): void;
  /** Called with a registration error the broker cannot fix by retrying (another process has the node id). */
  onFatal?(message: string): void;
}

/** The registration and heartbeat loop of one broker. */
export class BrokerLifecycle {
  readonly #options: BrokerLifecycleOptions;
  readonly #incarnationId = crypto.randomUUID();
  #endpoint: BrokerEndpoint | undefined;
  #brokerEpoch = -1;
  #fenced = true;
  #running = false;
  #shuttingDown = false;
  #loop: Promise<void> | undefined;
  #wake: (() => void) | undefined;
  #shutdownDone: (() => void) | undefined;
  #duplicateRefusals = 0;

  constructor(options: BrokerLifecycleOptions) {
    this.#options = options;
  }

  /** The current registration's epoch, -1 while unregistered. */
  get brokerEpoch(): number {
    return this.#brokerEpoch;
  }

  /** True until the controller has unfenced this broker. */
  get fenced(): boolean {
    return this.#fenced;
  }

  /** This process's incarnation id (a restarted broker gets a new one). */
  get incarnationId(): string {
    return this.#incarnationId;
  }

  /** Starts (or re-registers at a new address): registration, then heartbeats. */
  start(endpoint: BrokerEndpoint): void {
    const moved = this.#endpoint !== undefined && (this.#endpoint.host !== endpoint.host || this.#endpoint.port !== endpoint.port);
    this.#endpoint = endpoint;
    if (moved) this.#brokerEpoch = -1;
    if (this.#running) {
      this.#wake?.();
      return;
    }
    this.#running = true;
    this.#loop = this.#run();
  }

  /**
   * Controlled shutdown: heartbeats with wantShutdown until the controller has moved every
   * leadership away (or `timeoutMs` passes, or no controller answers), then stops.
   */
  async shutdown(timeoutMs: number): Promise<void> {
    if (!this.#running) return;
    if (this.#brokerEpoch >= 0 && !this.#fenced) {
      this.#shuttingDown = true;
      const done = new Promise<void>((resolve) => (this.#shutdownDone = resolve));
      this.#wake?.();
      let timer: unknown;
      await Promise.race([done, new Promise<void>((resolve) => (timer = this.#options.clock.setTimeout(resolve, timeoutMs)))]);
      this.#options.clock.clearTimeout(timer);
    }
    await this.stop();
  }

  /** Stops heartbeating at once (a crash, or after a controlled shutdown). */
  async stop(): Promise<void> {
    this.#running = false;
    this.#wake?.();
    await this.#loop;
  }

  async #pause(ms: number): Promise<void> {
    let timer: unknown;
    await new Promise<void>((resolve) => {
      this.#wake = resolve;
      timer = this.#options.clock.setTimeout(resolve, ms);
    });
    this.#options.clock.clearTimeout(timer);
    this.#wake = undefined;
  }

  async #run(): Promise<void> {
    const { logger } = this.#options;
    const interval = this.#options.heartbeatIntervalMs ?? 2000;
    let failures = 0;
    while (this.#running) {
      try {
        if (this.#brokerEpoch < 0) await this.#register();
        else await this.#heartbeat();
        if (failures > 0) logger.info('controller reachable again', { nodeId: this.#options.nodeId });
        failures = 0;
      } catch (error) {
        failures++;
        if (failures === 1 || failures % 10 === 0) logger.warn('cannot reach the controller; retrying', { nodeId: this.#options.nodeId, failures, error: String(error) });
      }
      if (!this.#running) break;
      await this.#pause(this.#brokerEpoch < 0 ? Math.min(interval, 500) : interval);
    }
  }

  async #register(): Promise<void> {
    const { nodeId, logger, controller } = this.#options;
    const endpoint = this.#endpoint!;
    const result = await controller.registerBroker({
      nodeId,
      clusterId: this.#options.clusterId(),
      incarnationId: this.#incarnationId,
      host: endpoint.host,
      port: endpoint.port,
      rack: endpoint.rack,
      previousBrokerEpoch: this.#options.previousBrokerEpoch?.() ?? -1,
    });
    if (result.errorCode === KafkaCode.NONE) {
      this.#duplicateRefusals = 0;
      this.#brokerEpoch = result.brokerEpoch;
      this.#fenced = true;
      logger.info('registered with the controller', { nodeId, brokerEpoch: result.brokerEpoch, host: endpoint.host, port: endpoint.port });
      this.#options.onRegistered?.(result.brokerEpoch);
      return;
    }
    if (result.errorCode === KafkaCode.DUPLICATE_BROKER_REGISTRATION) {
      // Another process holds this node id — or our own previous life, until its session ends
      // (a restart after kill -9). Kafka's brokers retry; a real duplicate keeps saying so.
      this.#duplicateRefusals++;
      if (this.#duplicateRefusals === 1 || this.#duplicateRefusals % 20 === 0) {
        logger.error('the controller refuses this node id: another live broker has it; retrying (a restarted broker waits for its old session to end)', { nodeId, message: result.errorMessage });
      }
      return;
    }
    if (result.errorCode === KafkaCode.INCONSISTENT_CLUSTER_ID) {
      const message = result.errorMessage ?? `registration of node ${nodeId} refused (error ${result.errorCode})`;
      logger.error('the controller refused this broker', { nodeId, errorCode: result.errorCode, message });
      this.#options.onFatal?.(message);
      this.#running = false;
      return;
    }
    throw new Error(`registration failed with error ${result.errorCode}${result.errorMessage ? `: ${result.errorMessage}` : ''}`);
  }

  async #heartbeat(): Promise<void> {
    const { nodeId, logger, controller } = this.#options;
    const result = await controller.brokerHeartbeat({
      nodeId,
      brokerEpoch: this.#brokerEpoch,
      currentMetadataOffset: this.#options.appliedOffset(),
      wantFence: false,
      wantShutdown: this.#shuttingDown,
    });
    if (result.errorCode === KafkaCode.STALE_BROKER_EPOCH || result.errorCode === KafkaCode.BROKER_ID_NOT_REGISTERED) {
      logger.warn('the controller no longer knows this registration; registering again', { nodeId, brokerEpoch: this.#brokerEpoch, errorCode: result.errorCode });
      this.#brokerEpoch = -1;
      this.#fenced = true;
      return;
    }
    if (result.errorCode !== KafkaCode.NONE) throw new Error(`heartbeat failed with error ${result.errorCode}`);
    if (this.#fenced !== result.isFenced) logger.info(result.isFenced ? 'fenced by the controller' : 'unfenced: serving as a cluster member', { nodeId });
    this.#fenced = result.isFenced;
    if (this.#shuttingDown && result.shouldShutdown) {
      this.#shutdownDone?.();
      this.#running = false;
    }
  }
}
