/**
 * The Admin's cluster operations: partition reassignment (AlterPartitionReassignments,
 * ListPartitionReassignments; kafkajs's shapes), leader elections (ElectLeaders; Kafka
 * AdminClient's electLeaders), broker unregistration (UnregisterBroker) and log directories
 * (DescribeLogDirs). Each request goes to any broker, which forwards it to the active controller.
 */
import { KafkaCode, TributaryError, kafkaError } from '../errors.ts';
import { ApiKey } from '../protocol/api-keys.ts';
import type { Cluster } from './cluster.ts';
import { type RetryPolicy, withRetry } from './retry.ts';

/** What the operations need of the Admin. */
export interface AdminContext {
  readonly cluster: Cluster;
  readonly retry: RetryPolicy;
}

/** One partition's target replicas (null cancels its reassignment). */
export interface PartitionAssignmentTarget {
  readonly partition: number;
  readonly replicas: readonly number[] | null;
}

/** A reassignment under way. */
export interface OngoingPartitionReassignment {
  readonly partition: number;
  readonly replicas: number[];
  readonly addingReplicas: number[];
  readonly removingReplicas: number[];
}

/** Kafka's election types. */
export const ElectionType = Object.freeze({ PREFERRED: 0, UNCLEAN: 1 } as const);

/** One partition's election outcome (errorCode 0: elected). */
export interface ElectionOutcome {
  readonly topic: string;
  readonly partition: number;
  readonly errorCode: number;
  readonly errorMessage: string | null;
}

// A top-level error inside the retry: retriable ones (NOT_CONTROLLER…) go again.
function checkTop(errorCode: number, errorMessage: string | null | undefined, what: string): void {
  if (errorCode !== KafkaCode.NONE) throw kafkaError(errorCode, errorMessage ?? `${what} failed`);
}

/**
 * Starts (or, with null replicas, cancels) reassignments. Rejects with the first partition's
 * error (its Kafka code), as kafkajs does.
 */
export async function alterPartitionReassignments(admin: AdminContext, options: { topics: ReadonlyArray<{ topic: string; partitionAssignment: readonly PartitionAssignmentTarget[] }>; timeout?: number }): Promise<void> {
  if (!Array.isArray(options?.topics) || options.topics.length === 0) throw new TributaryError('ERR_INVALID_ARGUMENT', 'alterPartitionReassignments needs topics');
  const body = await withRetry(admin.retry, async () => {
    const r = await admin.cluster.sendAny(ApiKey.AlterPartitionReassignments, {
      timeoutMs: options.timeout ?? 60_000,
      topics: options.topics.map((t) => ({ name: t.topic, partitions: t.partitionAssignment.map((p) => ({ partitionIndex: p.partition, replicas: p.replicas === null ? null : [...p.replicas] })) })),
    });
    checkTop(r.errorCode, r.errorMessage, 'AlterPartitionReassignments');
    return r;
  });
  for (const t of body.responses) {
    for (const p of t.partitions) {
      if (p.errorCode !== KafkaCode.NONE) throw kafkaError(p.errorCode, p.errorMessage ?? `Reassigning ${t.name}-${p.partitionIndex} failed`, { details: { topic: t.name, partition: p.partitionIndex } });
    }
  }
}

/** The reassignments under way (of `topics` only, when given). */
export async function listPartitionReassignments(admin: AdminContext, options: { topics?: ReadonlyArray<{ topic: string; partitions: readonly number[] }>; timeout?: number } = {}): Promise<{ topics: Array<{ topic: string; partitions: OngoingPartitionReassignment[] }> }> {
  const body = await withRetry(admin.retry, async () => {
    const r = await admin.cluster.sendAny(ApiKey.ListPartitionReassignments, {
      timeoutMs: options.timeout ?? 60_000,
      topics: options.topics ? options.topics.map((t) => ({ name: t.topic, partitionIndexes: [...t.partitions] })) : null,
    });
    checkTop(r.errorCode, r.errorMessage, 'ListPartitionReassignments');
    return r;
  });
  return {
    topics: body.topics.map((t) => ({
      topic: t.name,
      partitions: t.partitions.map((p) => ({ partition: p.partitionIndex, replicas: p.replicas, addingReplicas: p.addingReplicas, removingReplicas: p.removingReplicas })),
    })),
  };
}

/**
 * Runs leader elections: `type` {@link ElectionType} (default PREFERRED), for `partitions`
 * or — when omitted — every partition (then those that needed none are left out). Resolves
 * with every partition's outcome; a partition's failure does not reject.
 */
export async function electLeaders(admin: AdminContext, options: { type?: number; partitions?: ReadonlyArray<{ topic: string; partitions: readonly number[] }>; timeout?: number } = {}): Promise<ElectionOutcome[]> {
  const body = await withRetry(admin.retry, async () => {
    const r = await admin.cluster.sendAny(ApiKey.ElectLeaders, {
      electionType: options.type ?? ElectionType.PREFERRED,
      topicPartitions: options.partitions ? options.partitions.map((t) => ({ topic: t.topic, partitions: [...t.partitions] })) : null,
      timeoutMs: options.timeout ?? 60_000,
    });
    checkTop(r.errorCode, null, 'ElectLeaders');
    return r;
  });
  const out: ElectionOutcome[] = [];
  for (const t of body.replicaElectionResults) for (const p of t.partitionResult) out.push({ topic: t.topic, partition: p.partitionId, errorCode: p.errorCode, errorMessage: p.errorMessage });
  await admin.cluster.refresh(out.map((o) => o.topic)).catch(() => undefined);
  return out;
}

/** Removes broker `brokerId`'s registration (decommission, once its replicas moved away and it stopped). */
export async function unregisterBroker(admin: AdminContext, brokerId: number): Promise<void> {
  await withRetry(admin.retry, async () => {
    const r = await admin.cluster.sendAny(ApiKey.UnregisterBroker, { brokerId });
    checkTop(r.errorCode, r.errorMessage, `UnregisterBroker ${brokerId}`);
  });
}

/** One broker's log directories as describeLogDirs reports them. */
export interface BrokerLogDirs {
  readonly broker: number;
  readonly logDirs: Array<{
    readonly logDir: string;
    readonly errorCode: number;
    /** Bytes the directory's disk has and has free (-1: unknown). */
    readonly totalBytes: number;
    readonly usableBytes: number;
    readonly topics: Array<{ readonly topic: string; readonly partitions: Array<{ readonly partition: number; readonly size: number; readonly offsetLag: number }> }>;
  }>;
}

/**
 * The log directories of `brokers` (default: every live broker) with each partition's size
 * and offset lag (DescribeLogDirs, asked of each broker; kafka-log-dirs.sh). `topics` narrows
 * the partitions reported.
 */
export async function describeLogDirs(admin: AdminContext, options: { brokers?: readonly number[]; topics?: ReadonlyArray<{ topic: string; partitions: readonly number[] }> } = {}): Promise<BrokerLogDirs[]> {
  await admin.cluster.connect();
  const ids = options.brokers ?? (await withRetry(admin.retry, () => admin.cluster.sendAny(ApiKey.Metadata, { topics: [], allowAutoTopicCreation: false }))).brokers.map((b) => b.nodeId).sort((a, b) => a - b);
  const topics = options.topics ? options.topics.map((t) => ({ topic: t.topic, partitions: [...t.partitions] })) : null;
  return Promise.all(ids.map(async (broker) => {
    const body = await withRetry(admin.retry, () => admin.cluster.sendTo(broker, ApiKey.DescribeLogDirs, { topics }));
    checkTop(body.errorCode, null, `DescribeLogDirs of broker ${broker}`);
    return {
      broker,
      logDirs: body.results.map((r) => ({
        logDir: r.logDir,
        errorCode: r.errorCode,
        totalBytes: Number(r.totalBytes),
        usableBytes: Number(r.usableBytes),
        topics: r.topics.map((t) => ({ topic: t.name, partitions: t.partitions.map((p) => ({ partition: p.partitionIndex, size: Number(p.partitionSize), offsetLag: Number(p.offsetLag) })) })),
      })),
    };
  }));
}
