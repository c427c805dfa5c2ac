/**
 * The active controller's operator operations ({@link ClusterOperations}: reassignment,
 * ElectLeaders, UnregisterBroker) and its automatic preferred-leader rebalance, kept apart from
 * the QuorumController's registration, heartbeat and topic logic. The controller hands it its
 * image, its event queue and its commit; every operation runs in that queue, alone, and
 * answers from the image once its records are committed.
 */
import type { Clock } from '../../clock.ts';
import type { Logger } from '../../contracts/logger.ts';
import { kafkaError, KafkaCode } from '../../errors.ts';
import type { ApiKey } from '../../protocol/api-keys.ts';
import type { ApiRequest, ApiResponse } from '../../protocol/api-messages.ts';
import { NO_ERROR, toErrorPair } from '../error-pair.ts';
import { MetadataDelta } from '../metadata/metadata-delta.ts';
import type { MetadataImage } from '../metadata/metadata-image.ts';
import type { MetadataRecord, PartitionRecord } from '../metadata/records.ts';
import type { ClusterOperations } from './cluster-operations.ts';
import { DEFAULT_LEADER_REBALANCE, electionRecord, type LeaderRebalanceConfig, rebalanceRecords } from './leader-election.ts';
import { cancelReassignment, existingPartition, ongoingReassignments, startReassignment } from './reassignment.ts';
import { type ActiveBroker, removeBrokerFromPartitions } from './replication-control.ts';

export type { LeaderRebalanceConfig } from './leader-election.ts';

/** What the controller lends {@link ClusterOperationsControl}. */
export interface ClusterOperationsControlOptions {
  readonly clock: Clock;
  readonly logger: Logger;
  /** Rebalance settings; Kafka's defaults for the unset ones. */
  readonly rebalance?: Partial<LeaderRebalanceConfig>;
  /** The controller's image (the committed log). */
  readonly image: () => MetadataImage;
  /** Whether a broker may lead and join an ISR. */
  readonly isActive: ActiveBroker;
  /** Appends records and applies them once committed (inside a queued call only). */
  readonly commit: (records: readonly MetadataRecord[]) => Promise<void>;
  /** Runs `fn` in the controller's queue while it is active; `notActive` answers otherwise. */
  readonly call: <T>(fn: () => Promise<T>, notActive: (message: string) => T) => Promise<T>;
  /** Runs `fn` in the controller's queue. */
  readonly enqueue: <T>(fn: () => Promise<T>) => Promise<T>;
  /** True while the controller serves. */
  readonly active: () => boolean;
}

type Response<K extends ApiKey> = ApiResponse<K>;

/** Reassignment, elections, unregistration and the rebalance timer of one controller. */
export class ClusterOperationsControl implements ClusterOperations {
  readonly #options: ClusterOperationsControlOptions;
  readonly #rebalance: LeaderRebalanceConfig;
  #timer: unknown;

  constructor(options: ClusterOperationsControlOptions) {
    this.#options = options;
    this.#rebalance = { ...DEFAULT_LEADER_REBALANCE, ...options.rebalance };
  }

  alterPartitionReassignments(request: ApiRequest<typeof ApiKey.AlterPartitionReassignments>): Promise<Response<typeof ApiKey.AlterPartitionReassignments>> {
    return this.#options.call<Response<typeof ApiKey.AlterPartitionReassignments>>(
      async () => {
        let image = this.#options.image();
        const records: PartitionRecord[] = [];
        const responses = request.topics.map((t) => ({
          name: t.name,
          partitions: t.partitions.map((p) => {
            try {
              const topic = image.topic(t.name);
              const partition = existingPartition(topic, t.name, p.partitionIndex);
              const record = p.replicas === null ? cancelReassignment(topic!, partition, this.#options.isActive, image) : startReassignment(image, topic!, partition, p.replicas, this.#options.isActive);
              if (record) {
                records.push(record);
                // A partition named twice sees the first change.
                image = new MetadataDelta(image).replay([record]).apply();
              }
              return { partitionIndex: p.partitionIndex, ...NO_ERROR };
            } catch (error) {
              return { partitionIndex: p.partitionIndex, ...toErrorPair(error) };
            }
          }),
        }));
        if (records.length > 0) await this.#options.commit(records);
        this.#options.logger.info('partition reassignments altered', { partitions: records.length });
        return { throttleTimeMs: 0, errorCode: 0, errorMessage: null, responses };
      },
      (message) => ({ throttleTimeMs: 0, errorCode: KafkaCode.NOT_CONTROLLER, errorMessage: message, responses: [] }),
    );
  }

  listPartitionReassignments(request: ApiRequest<typeof ApiKey.ListPartitionReassignments>): Promise<Response<typeof ApiKey.ListPartitionReassignments>> {
    return this.#options.call<Response<typeof ApiKey.ListPartitionReassignments>>(
      async () => {
        const ongoing = ongoingReassignments(this.#options.image(), request.topics);
        return {
          throttleTimeMs: 0,
          errorCode: 0,
          errorMessage: null,
          topics: ongoing.map((t) => ({
            name: t.name,
            partitions: t.partitions.map((p) => ({ partitionIndex: p.partition, replicas: [...p.replicas], addingReplicas: [...p.addingReplicas], removingReplicas: [...p.removingReplicas] })),
          })),
        };
      },
      (message) => ({ throttleTimeMs: 0, errorCode: KafkaCode.NOT_CONTROLLER, errorMessage: message, topics: [] }),
    );
  }

  electLeaders(request: ApiRequest<typeof ApiKey.ElectLeaders>): Promise<Response<typeof ApiKey.ElectLeaders>> {
    return this.#options.call(
      async () => {
        const image = this.#options.image();
        const records: PartitionRecord[] = [];
        const elect = (name: string, index: number) => {
          try {
            const topic = image.topic(name);
            const partition = existingPartition(topic, name, index);
            records.push(electionRecord(topic!, partition, request.electionType, this.#options.isActive, image));
            return { partitionId: index, ...NO_ERROR };
          } catch (error) {
            return { partitionId: index, ...toErrorPair(error) };
          }
        };
        let results: Array<{ topic: string; partitionResult: Array<{ partitionId: number; errorCode: number; errorMessage: string | null }> }>;
        if (request.topicPartitions === null) {
          // Every partition; those that needed no election are left out of the answer (Kafka's rule).
          results = image.topics().map((topic) => ({
            topic: topic.name,
            partitionResult: topic.partitions.map((p) => elect(topic.name, p.partition)).filter((r) => r.errorCode !== KafkaCode.ELECTION_NOT_NEEDED),
          }));
        } else {
          results = request.topicPartitions.map((t) => ({ topic: t.topic, partitionResult: t.partitions.map((index) => elect(t.topic, index)) }));
        }
        if (records.length > 0) await this.#options.commit(records);
        if (records.length > 0) this.#options.logger.info('leaders elected on request', { type: request.electionType, partitions: records.length });
        return { throttleTimeMs: 0, errorCode: 0, replicaElectionResults: results };
      },
      () => ({ throttleTimeMs: 0, errorCode: KafkaCode.NOT_CONTROLLER, replicaElectionResults: [] }),
    );
  }

  unregisterBroker(request: ApiRequest<typeof ApiKey.UnregisterBroker>): Promise<Response<typeof ApiKey.UnregisterBroker>> {
    return this.#options.call(
      async () => {
        try {
          const registration = this.#options.image().registration(request.brokerId);
          if (!registration) throw kafkaError(KafkaCode.BROKER_ID_NOT_REGISTERED, `Broker ${request.brokerId} is not registered`);
          // As Kafka: the broker leaves every ISR and leadership first (never emptying an ISR), then its registration goes.
          const records: MetadataRecord[] = removeBrokerFromPartitions(this.#options.image(), request.brokerId, this.#options.isActive);
          records.push({ type: 'unregister-broker', nodeId: request.brokerId, brokerEpoch: registration.brokerEpoch });
          await this.#options.commit(records);
          this.#options.logger.info('broker unregistered', { nodeId: request.brokerId, brokerEpoch: registration.brokerEpoch });
          return { throttleTimeMs: 0, ...NO_ERROR };
        } catch (error) {
          return { throttleTimeMs: 0, ...toErrorPair(error) };
        }
      },
      (message) => ({ throttleTimeMs: 0, errorCode: KafkaCode.NOT_CONTROLLER, errorMessage: message }),
    );
  }

  /** Starts the leader rebalance timer (on activation), when auto.leader.rebalance.enable. */
  scheduleRebalance(): void {
    this.stopRebalance();
    if (!this.#rebalance.enable) return;
    this.#timer = this.#options.clock.setTimeout(() => {
      this.#timer = undefined;
      if (!this.#options.active()) return;
      void this.#options
        .enqueue(() => this.rebalanceNow())
        .catch((error: unknown) => this.#options.logger.warn('leader rebalance failed', { error: String(error) }))
        .finally(() => {
          if (this.#options.active()) this.scheduleRebalance();
        });
    }, this.#rebalance.intervalMs);
  }

  /** Stops the rebalance timer (on deactivation). */
  stopRebalance(): void {
    if (this.#timer !== undefined) this.#options.clock.clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  /** One rebalance pass (call inside the controller's queue): the preferred elections it made. */
  async rebalanceNow(): Promise<number> {
    if (!this.#options.active()) return 0;
    const records = rebalanceRecords(this.#options.image(), this.#options.isActive, this.#rebalance.perBrokerPercentage);
    if (records.length === 0) return 0;
    await this.#options.commit(records);
    this.#options.logger.info('leaders moved back to their preferred replicas', { partitions: records.length });
    return records.length;
  }
}
