/**
 * The group consumer: `client.consumer({ groupId, … })`. A Consumer whose partitions come
 * from group membership (membership.ts), with kafkajs's surface: `subscribe({ topics,
 * fromBeginning })`, `run({ eachMessage | eachBatch })`, `commitOffsets([...])`, and events.
 */
import { TributaryError } from '../../errors.ts';
import { type AssignorChoice, resolveAssignors } from '../assignors/index.ts';
import { Consumer, type ConsumerContext, type ConsumerEventListener, type ConsumerEventName, type ConsumerOptions, type RunOptions } from '../consumer.ts';
import { retryPolicy } from '../retry.ts';
import { GroupMembership, type GroupEventListener, type GroupEventName, type GroupState } from './membership.ts';
import type { OffsetToCommit } from './offsets.ts';
import { Subscription } from './subscription.ts';

/** Settings of a group consumer (Kafka's names where they exist). */
export interface GroupConsumerOptions extends ConsumerOptions {
  /** The consumer group. */
  readonly groupId: string;
  /** session.timeout.ms: the coordinator drops a member silent for this long. Default 45000. */
  readonly sessionTimeoutMs?: number;
  /** How long the coordinator waits for members to rejoin during a rebalance (max.poll.interval.ms). Default 60000. */
  readonly rebalanceTimeoutMs?: number;
  /** heartbeat.interval.ms. Default 3000 (at most a third of the session timeout). */
  readonly heartbeatIntervalMs?: number;
  /** group.instance.id: a static member (KIP-345) keeps its partitions across restarts within the session timeout. */
  readonly groupInstanceId?: string;
  /** Assignors in order of preference. Default ['cooperative-sticky']. */
  readonly partitionAssigners?: readonly AssignorChoice[];
  /** Commit processed positions on an interval, on revoke and on stop. Default true. */
  readonly autoCommit?: boolean;
  /** Default 5000. */
  readonly autoCommitIntervalMs?: number;
  /** How often patterns and partition counts are re-checked. Default 300000 (metadata.max.age.ms). */
  readonly metadataMaxAgeMs?: number;
  /** client.rack, sent in the subscription. */
  readonly rackId?: string;
}

/** Argument of {@link GroupConsumer.subscribe}. */
export interface SubscribeOptions {
  /** Names or patterns. */
  readonly topics?: ReadonlyArray<string | RegExp>;
  /** One name or pattern (kafkajs's older form). */
  readonly topic?: string | RegExp;
  /** Where a partition without a committed offset starts (default: the consumer's `fromBeginning`). */
  readonly fromBeginning?: boolean;
}

function positive(name: string, value: number | undefined, fallback: number): number {
  const v = value ?? fallback;
  if (!Number.isSafeInteger(v) || v <= 0) throw new TributaryError('ERR_INVALID_ARGUMENT', `${name} must be a positive integer, got ${String(value)}`);
  return v;
}

/** A consumer in a consumer group. */
export class GroupConsumer extends Consumer {
  /** The group's id. */
  readonly groupId: string;
  readonly #membership: GroupMembership;
  readonly #subscription = new Subscription();

  constructor(context: ConsumerContext, options: GroupConsumerOptions) {
    super(context, options);
    if (typeof options.groupId !== 'string' || options.groupId.length === 0) throw new TributaryError('ERR_INVALID_ARGUMENT', 'groupId must be a non-empty string');
    if (options.groupInstanceId !== undefined && (typeof options.groupInstanceId !== 'string' || options.groupInstanceId.length === 0)) {
      throw new TributaryError('ERR_INVALID_ARGUMENT', 'groupInstanceId must be a non-empty string');
    }
    const sessionTimeoutMs = positive('sessionTimeoutMs', options.sessionTimeoutMs, 45_000);
    const heartbeatIntervalMs = positive('heartbeatIntervalMs', options.heartbeatIntervalMs, Math.min(3000, Math.floor(sessionTimeoutMs / 3)) || 1);
    if (heartbeatIntervalMs >= sessionTimeoutMs) throw new TributaryError('ERR_INVALID_ARGUMENT', 'heartbeatIntervalMs must be below sessionTimeoutMs');
    this.groupId = options.groupId;
    this.#membership = new GroupMembership(
      { cluster: context.cluster, logger: context.logger, retry: retryPolicy(options.retry ?? context.retry) },
      {
        groupId: options.groupId,
        sessionTimeoutMs,
        rebalanceTimeoutMs: positive('rebalanceTimeoutMs', options.rebalanceTimeoutMs, 60_000),
        heartbeatIntervalMs,
        groupInstanceId: options.groupInstanceId ?? null,
        assignors: resolveAssignors(options.partitionAssigners ?? ['cooperative-sticky']),
        autoCommit: options.autoCommit ?? true,
        autoCommitIntervalMs: positive('autoCommitIntervalMs', options.autoCommitIntervalMs, 5000),
        metadataMaxAgeMs: positive('metadataMaxAgeMs', options.metadataMaxAgeMs, 300_000),
        rackId: options.rackId ?? null,
        isolationLevel: options.isolationLevel ?? 0,
      },
      this.#subscription,
    );
    this.useAssignmentSource(this.#membership);
  }

  /** Adds topics (names or RegExp patterns) to the subscription; before run(), or the member rejoins with them. */
  async subscribe(options: SubscribeOptions): Promise<void> {
    if (!options || typeof options !== 'object') throw new TributaryError('ERR_INVALID_ARGUMENT', 'subscribe needs { topics }');
    const topics = [...(options.topics ?? []), ...(options.topic !== undefined ? [options.topic] : [])];
    if (topics.length === 0) throw new TributaryError('ERR_INVALID_ARGUMENT', 'subscribe needs at least one topic or pattern');
    this.#subscription.add(topics, options.fromBeginning);
    if (this.running) this.#membership.subscriptionChanged();
  }

  /** Joins the group and starts consuming; resolves once the first assignment is in place. */
  override async run(handlers: RunOptions): Promise<void> {
    if (this.#subscription.empty) throw new TributaryError('ERR_NO_SUBSCRIPTION', 'Subscribe to topics before run()');
    if (this.running) return super.run(handlers); // ERR_CONSUMER_RUNNING, and this run goes on
    try {
      await super.run(handlers);
    } catch (error) {
      // Joining failed for good (a refused session timeout, an incompatible assignor, …).
      if (this.running) await this.stop().catch(() => undefined);
      throw error;
    }
  }

  /**
   * Commits offsets for the group (each `offset` is the next one to consume: last
   * processed + 1). Rejects with the coordinator's error code (e.g. REBALANCE_IN_PROGRESS).
   */
  commitOffsets(offsets: readonly OffsetToCommit[]): Promise<void> {
    if (!Array.isArray(offsets)) throw new TributaryError('ERR_INVALID_ARGUMENT', 'commitOffsets needs [{ topic, partition, offset }]');
    return this.#membership.commit(offsets.map((o) => ({ ...o, offset: typeof o.offset === 'string' ? Number(o.offset) : o.offset })));
  }

  /** Where this member stands (member id, generation, leader, assignment). */
  group(): GroupState {
    return this.#membership.state();
  }

  /** Listens to group events and `'crash'`; returns a function that removes the listener. */
  override on<E extends GroupEventName | ConsumerEventName>(event: E, listener: E extends ConsumerEventName ? ConsumerEventListener<E> : E extends GroupEventName ? GroupEventListener<E> : never): () => void {
    if (event === 'crash') return super.on('crash', listener as ConsumerEventListener<'crash'>);
    return this.#membership.on(event as GroupEventName, listener as GroupEventListener<GroupEventName>);
  }

  protected override get eventGroupId(): string | null {
    return this.groupId;
  }

  /** Partitions come from the group: assign() is for consumers without a groupId. */
  override assign(): Promise<void> {
    throw new TributaryError('ERR_GROUP_CONSUMER', 'A group consumer gets its partitions from the group; use subscribe()');
  }
}
