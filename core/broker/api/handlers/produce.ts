/**
 * Produce: check each partition's batches, assign offsets by rewriting headers in place,
 * append the bytes, and answer per acks (0: nothing; 1 and -1: after the append, which on
 * a cluster of one is also when the in-sync set has it).
 */
import { ApiKey } from '../../../protocol/api-keys.ts';
import { TributaryError, kafkaError } from '../../../errors.ts';
import type { BrokerContext } from '../context.ts';
import type { BrokerRequestHeader, HandlerEntry } from '../handler.ts';
import type { PartitionState } from '../../partition-state.ts';
import { type IncomingBatch, checkBatches, stampBatch } from '../../produce-validation.ts';
import { topicNameProblem } from '../../topic-name.ts';
import type { Topic } from '../../topic.ts';
import { toErrorPair } from './errors.ts';

interface ProduceRequest {
  transactionalId?: string | null;
  acks: number;
  timeoutMs: number;
  topicData: Array<{ name: string; partitionData: Array<{ index: number; records: Uint8Array | null }> }>;
}

interface PartitionResult {
  index: number;
  errorCode: number;
  baseOffset: number;
  logAppendTimeMs: number;
  logStartOffset: number;
  recordErrors: Array<{ batchIndex: number; batchIndexErrorMessage: string | null }>;
  errorMessage: string | null;
}

function failed(index: number, error: unknown): PartitionResult {
  const { errorCode, errorMessage } = toErrorPair(error);
  return { index, errorCode, baseOffset: -1, logAppendTimeMs: -1, logStartOffset: -1, recordErrors: [], errorMessage };
}

/**
 * Checks, stamps and appends one partition's records; the returned promise settles when
 * the append is done. Everything up to the append calls runs synchronously, so batches
 * of pipelined requests on one connection reach the log in request order.
 */
function producePartition(ctx: BrokerContext, topic: Topic, partition: PartitionState, records: Uint8Array | null, apiVersion: number): Promise<PartitionResult> {
  const config = topic.logConfig;
  let batches: IncomingBatch[];
  let duplicate: { baseOffset: number } | null;
  try {
    batches = checkBatches(records, { maxMessageBytes: config.maxMessageBytes, segmentBytes: config.segmentBytes, apiVersion });
    duplicate = ctx.producerState.admit(partition, batches);
  } catch (error) {
    ctx.logger.debug('produce rejected', { topic: topic.name, partition: partition.partition, error: String(error) });
    return Promise.resolve(failed(partition.partition, error));
  }
  if (duplicate) {
    // An idempotent producer's retry: answer with the first append's offset (once it is done), append nothing.
    const baseOffset = duplicate.baseOffset;
    return partition.settle().then(() => ({ index: partition.partition, errorCode: 0, baseOffset, logAppendTimeMs: -1, logStartOffset: partition.logStartOffset, recordErrors: [], errorMessage: null }));
  }
  const logAppendTime = config.timestampType === 'LogAppendTime' ? Date.now() : undefined;
  const bytes = records!;
  const appends: Promise<void>[] = [];
  let firstOffset = -1;
  for (const batch of batches) {
    const baseOffset = partition.reserveOffsets(batch.header.recordCount);
    if (firstOffset < 0) firstOffset = baseOffset;
    ctx.producerState.record(partition, batch.header, baseOffset);
    const info = stampBatch(bytes, batch, { baseOffset, leaderEpoch: partition.leaderEpoch, logAppendTime });
    const own = batches.length === 1 ? bytes : bytes.subarray(batch.pos, batch.pos + batch.size);
    appends.push(partition.append(own, info));
  }
  return Promise.all(appends).then(
    () => ({
      index: partition.partition,
      errorCode: 0,
      baseOffset: firstOffset,
      logAppendTimeMs: logAppendTime ?? -1,
      logStartOffset: partition.logStartOffset,
      recordErrors: [],
      errorMessage: null,
    }),
    (error: unknown) => {
      ctx.logger.error('append failed', { topic: topic.name, partition: partition.partition, error: String(error) });
      ctx.producerState.forget(partition, batches, firstOffset);
      return failed(partition.partition, error instanceof TributaryError && error.kafkaCode !== undefined ? error : kafkaError(56, String(error)));
    },
  );
}

const NO_FAILURES: ReadonlyMap<string, unknown> = new Map();

/**
 * Auto-creates the request's missing topics (when the broker allows it) before any batch
 * is appended, and returns the creation error per topic that could not be created. With
 * nothing to create it returns synchronously, so the appends of pipelined requests start
 * in request order; a request that creates a topic starts all its appends after that.
 */
function createMissingTopics(ctx: BrokerContext, body: ProduceRequest): ReadonlyMap<string, unknown> | Promise<ReadonlyMap<string, unknown>> {
  if (!ctx.autoCreateTopics) return NO_FAILURES;
  const missing = new Set(body.topicData.map((t) => t.name).filter((name) => !ctx.topics.get(name) && topicNameProblem(name) === null));
  if (missing.size === 0) return NO_FAILURES;
  const failures = new Map<string, unknown>();
  return Promise.all([...missing].map((name) => ctx.topics.getOrCreate(name).catch((error: unknown) => failures.set(name, error)))).then(() => failures);
}

async function handleProduce(ctx: BrokerContext, header: BrokerRequestHeader, body: ProduceRequest): Promise<Record<string, unknown> | null> {
  const acks = body.acks;
  const transactional = body.transactionalId !== null && body.transactionalId !== undefined;
  const badAcks = acks !== 0 && acks !== 1 && acks !== -1;
  let creationErrors = badAcks || transactional ? NO_FAILURES : createMissingTopics(ctx, body);
  if (creationErrors instanceof Promise) creationErrors = await creationErrors;
  const responses: Array<{ name: string; partitionResponses: Promise<PartitionResult[]> }> = [];
  for (const data of body.topicData) {
    if (badAcks) {
      const error = kafkaError(21, `acks must be 0, 1 or -1, not ${acks}`);
      responses.push({ name: data.name, partitionResponses: Promise.resolve(data.partitionData.map((p) => failed(p.index, error))) });
      continue;
    }
    if (transactional) {
      const error = kafkaError(53, 'Transactions are not supported yet');
      responses.push({ name: data.name, partitionResponses: Promise.resolve(data.partitionData.map((p) => failed(p.index, error))) });
      continue;
    }
    const topic = ctx.topics.get(data.name);
    const partitions = data.partitionData.map((p) => {
      const partition = topic?.partitions[p.index];
      if (!topic || !partition || !partition.open) {
        const problem = topicNameProblem(data.name);
        const error = problem !== null
          ? kafkaError(17, problem)
          : creationErrors.get(data.name) ?? kafkaError(3, `Unknown topic or partition ${data.name}-${p.index}`);
        return Promise.resolve(failed(p.index, error));
      }
      return producePartition(ctx, topic, partition, p.records, header.apiVersion);
    });
    responses.push({ name: data.name, partitionResponses: Promise.all(partitions) });
  }
  const settled = await Promise.all(responses.map(async (r) => ({ name: r.name, partitionResponses: await r.partitionResponses })));
  if (acks === 0) {
    // Kafka closes the connection when an acks=0 produce fails, the only signal such a producer gets.
    const failure = settled.flatMap((t) => t.partitionResponses).find((p) => p.errorCode !== 0);
    if (failure) throw new TributaryError('ERR_ACKS0_FAILED', `An acks=0 produce failed with error ${failure.errorCode}: ${failure.errorMessage}`);
    return null;
  }
  return { responses: settled, throttleTimeMs: 0, nodeEndpoints: [] };
}

/** Produce v3–11 (record batches v2 only; v0–2 carry message sets v0/v1). */
export const produceHandler: HandlerEntry = {
  apiKey: ApiKey.Produce,
  versions: { min: 3, max: 11 },
  handle: handleProduce,
};
