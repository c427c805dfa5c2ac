/**
 * Produce: refuse what this broker does not take (bad acks, transactions), auto-create
 * missing topics, hand every partition's records to the replica manager, and answer per
 * acks (0: nothing; 1: after the leader's append; -1: once the in-sync replicas have it).
 */
import { ApiKey } from '../../../protocol/api-keys.ts';
import { TributaryError, kafkaError, KafkaCode } from '../../../errors.ts';
import type { BrokerContext } from '../context.ts';
import type { ApiRequest } from '../../../protocol/api-messages.ts';
import type { BrokerRequestHeader, HandlerEntry, HandlerResult } from '../handler.ts';
import type { AppendEntry, AppendResult } from '../../replica-manager.ts';
import { INTERNAL_TOPICS, topicNameProblem } from '../../topic-name.ts';
import { toErrorPair } from '../../error-pair.ts';
import { access, type RequestAccess } from '../access.ts';

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

function answered(index: number, r: AppendResult): PartitionResult {
  return { index, errorCode: r.errorCode, baseOffset: r.baseOffset, logAppendTimeMs: r.logAppendTimeMs, logStartOffset: r.logStartOffset, recordErrors: [], errorMessage: r.errorMessage };
}

const NO_FAILURES: ReadonlyMap<string, unknown> = new Map();

/**
 * Auto-creates the request's missing topics (when the broker allows it) before any batch
 * is appended, and returns the creation error per topic that could not be created. With
 * nothing to create it returns synchronously, so the appends of pipelined requests start
 * in request order; a request that creates a topic starts all its appends after that.
 */
function createMissingTopics(ctx: BrokerContext, body: ApiRequest<typeof ApiKey.Produce>, writable: (name: string) => boolean, can: RequestAccess): ReadonlyMap<string, unknown> | Promise<ReadonlyMap<string, unknown>> {
  if (!ctx.autoCreateTopics) return NO_FAILURES;
  const missing = new Set(body.topicData.map((t) => t.name).filter((name) => writable(name) && !ctx.image.topic(name) && topicNameProblem(name) === null));
  if (missing.size === 0) return NO_FAILURES;
  // Auto-creation needs CREATE on the cluster or on the topic, as CreateTopics does (Kafka's rule).
  if (!can.unrestricted && !can.cluster('create')) {
    const creatable = can.filter('create', 'topic', missing);
    for (const name of missing) if (!creatable(name)) missing.delete(name);
    if (missing.size === 0) return NO_FAILURES;
  }
  const failures = new Map<string, unknown>();
  return Promise.all([...missing].map((name) => ctx.controller.getOrCreateTopic(name).catch((error: unknown) => failures.set(name, error)))).then(() => failures);
}

async function handleProduce(ctx: BrokerContext, header: BrokerRequestHeader, body: ApiRequest<typeof ApiKey.Produce>): Promise<HandlerResult<typeof ApiKey.Produce>> {
  const acks = body.acks;
  const transactional = body.transactionalId !== null && body.transactionalId !== undefined;
  const badAcks = acks !== 0 && acks !== 1 && acks !== -1;
  let refusal: unknown = null;
  if (badAcks) refusal = kafkaError(KafkaCode.INVALID_REQUIRED_ACKS, `acks must be 0, 1 or -1, not ${acks}`);
  else if (transactional) refusal = kafkaError(KafkaCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED, 'Transactions are not supported yet');
  // Kafka's check: WRITE on each topic; the others answer TOPIC_AUTHORIZATION_FAILED and are not appended.
  const can = access(ctx, header);
  const writable = can.filter('write', 'topic', body.topicData.map((t) => t.name));
  let creationErrors = refusal !== null ? NO_FAILURES : createMissingTopics(ctx, body, writable, can);
  if (creationErrors instanceof Promise) creationErrors = await creationErrors;
  let settled: Array<{ name: string; partitionResponses: PartitionResult[] }>;
  if (refusal !== null) {
    settled = body.topicData.map((data) => ({ name: data.name, partitionResponses: data.partitionData.map((p) => failed(p.index, refusal)) }));
  } else {
    // Clients never append to an internal topic (Kafka's ReplicaManager: "Cannot append to internal topic"); its coordinator does.
    const internal = (name: string) => INTERNAL_TOPICS.has(name) && ctx.image.topic(name) !== undefined;
    const skipped = (name: string) => internal(name) || !writable(name);
    const entries: AppendEntry[] = body.topicData.flatMap((data) => (skipped(data.name) ? [] : data.partitionData.map((p) => ({ topic: data.name, partition: p.index, records: p.records }))));
    const results = await ctx.replicaManager.appendRecords({ acks, timeoutMs: body.timeoutMs, apiVersion: header.apiVersion, entries });
    let i = 0;
    const errors = creationErrors;
    settled = body.topicData.map((data) => {
      if (!writable(data.name)) {
        // Built only for a refusal: an error (and its stack) per request is not free on the produce path.
        const unauthorized = kafkaError(KafkaCode.TOPIC_AUTHORIZATION_FAILED, 'Not authorized to write to this topic');
        return { name: data.name, partitionResponses: data.partitionData.map((p) => failed(p.index, unauthorized)) };
      }
      if (internal(data.name)) {
        const refused = kafkaError(KafkaCode.INVALID_TOPIC_EXCEPTION, `Cannot append to internal topic ${data.name}`);
        return { name: data.name, partitionResponses: data.partitionData.map((p) => failed(p.index, refused)) };
      }
      const problem = topicNameProblem(data.name);
      const partitionResponses = data.partitionData.map((p) => {
        const r = results[i++]!;
        // A partition that is not there: say why when the name is invalid or its creation failed.
        if (r.errorCode === KafkaCode.UNKNOWN_TOPIC_OR_PARTITION && !ctx.replicaManager.partition(data.name, p.index)) {
          if (problem !== null) return failed(p.index, kafkaError(KafkaCode.INVALID_TOPIC_EXCEPTION, problem));
          const creation = errors.get(data.name);
          if (creation !== undefined) return failed(p.index, creation);
        }
        return answered(p.index, r);
      });
      return { name: data.name, partitionResponses };
    });
  }
  if (acks === 0) {
    // Kafka closes the connection when an acks=0 produce fails, the only signal such a producer gets.
    const failure = settled.flatMap((t) => t.partitionResponses).find((p) => p.errorCode !== 0);
    if (failure) throw new TributaryError('ERR_ACKS0_FAILED', `An acks=0 produce failed with error ${failure.errorCode}: ${failure.errorMessage}`);
    return null;
  }
  return { responses: settled, throttleTimeMs: 0, nodeEndpoints: [] };
}

/** Produce v3–11 (record batches v2 only; v0–2 carry message sets v0/v1). */
export const produceHandler: HandlerEntry<typeof ApiKey.Produce> = {
  apiKey: ApiKey.Produce,
  versions: { min: 3, max: 11 },
  handle: handleProduce,
};
