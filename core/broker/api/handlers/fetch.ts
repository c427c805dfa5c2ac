/**
 * Fetch: whole stored batches from each requested offset, up to the high watermark, as
 * bytes (never decoded). Long poll: when fewer than minBytes are available the request
 * waits until data arrives on any of its partitions, maxWaitMs passes or the broker shuts
 * down, then answers with what there is.
 */
import { ApiKey } from '../../../protocol/api-keys.ts';
import { TributaryError, kafkaError } from '../../../errors.ts';
import type { BrokerContext } from '../context.ts';
import type { BrokerRequestHeader, HandlerEntry } from '../handler.ts';
import { waitForData } from '../../fetch-waiter.ts';
import type { PartitionState } from '../../partition-state.ts';
import type { Topic } from '../../topic.ts';
import { toErrorPair } from './errors.ts';

interface FetchPartitionRequest {
  partition: number;
  currentLeaderEpoch?: number;
  fetchOffset: number;
  partitionMaxBytes: number;
}

interface FetchRequest {
  maxWaitMs: number;
  minBytes: number;
  maxBytes?: number;
  isolationLevel?: number;
  sessionId?: number;
  sessionEpoch?: number;
  topics: Array<{ topic?: string; topicId?: string; partitions: FetchPartitionRequest[] }>;
}

interface PartitionAnswer {
  partitionIndex: number;
  errorCode: number;
  highWatermark: number;
  lastStableOffset: number;
  logStartOffset: number;
  abortedTransactions: [] | null;
  preferredReadReplica: number;
  records: Uint8Array[];
}

interface Slot {
  topic: Topic | undefined;
  request: FetchPartitionRequest;
  state: PartitionState | undefined;
  /** Kafka error to answer without reading, or 0. */
  error: number;
}

const MAX_INT32 = 2147483647;

function resolveSlots(ctx: BrokerContext, v: number, body: FetchRequest): Slot[] {
  const slots: Slot[] = [];
  for (const t of body.topics) {
    const byId = v >= 13;
    const topic = byId ? ctx.topics.byId(t.topicId ?? '') : ctx.topics.get(t.topic ?? '');
    for (const request of t.partitions) {
      const state = topic?.partitions[request.partition];
      let error = 0;
      if (!topic) error = byId ? 100 : 3;
      else if (!state || !state.open) error = 3;
      else if (request.currentLeaderEpoch !== undefined && request.currentLeaderEpoch >= 0) {
        if (request.currentLeaderEpoch < state.leaderEpoch) error = 74;
        else if (request.currentLeaderEpoch > state.leaderEpoch) error = 75;
      }
      slots.push({ topic, request, state, error });
    }
  }
  return slots;
}

interface ReadOutcome {
  answers: PartitionAnswer[];
  bytes: number;
  errors: boolean;
}

async function readAll(slots: Slot[], v: number, maxBytes: number, readCommitted: boolean): Promise<ReadOutcome> {
  let remaining = maxBytes;
  let bytes = 0;
  let errors = false;
  const answers: PartitionAnswer[] = [];
  for (const slot of slots) {
    const state = slot.state;
    let errorCode = slot.error;
    let records: Uint8Array[] = [];
    if (errorCode === 0 && state) {
      if (!state.open) errorCode = 3;
      else {
        const limit = Math.min(slot.request.partitionMaxBytes, remaining);
        // KIP-74: from v3 the first partition with data may exceed the limits so a fetch always progresses.
        const minOneBatch = v >= 3 && bytes === 0;
        try {
          const result = await state.read(slot.request.fetchOffset, Math.max(0, limit), minOneBatch);
          records = result.chunks;
          bytes += result.bytes;
          remaining -= result.bytes;
        } catch (error) {
          errorCode = toErrorPair(error).errorCode;
        }
      }
    }
    if (errorCode !== 0) errors = true;
    const ok = errorCode === 0 && state !== undefined;
    answers.push({
      partitionIndex: slot.request.partition,
      errorCode,
      highWatermark: ok ? state.highWatermark : -1,
      lastStableOffset: ok ? state.lastStableOffset : -1,
      logStartOffset: ok ? state.logStartOffset : -1,
      // As Kafka: none (null) for READ_UNCOMMITTED reads, a list (empty: no transactions yet)
      // for READ_COMMITTED ones and for error answers, which keep the field's default.
      abortedTransactions: readCommitted || !ok ? [] : null,
      preferredReadReplica: -1,
      records,
    });
  }
  return { answers, bytes, errors };
}

async function handleFetch(ctx: BrokerContext, header: BrokerRequestHeader, body: FetchRequest): Promise<Record<string, unknown>> {
  const v = header.apiVersion;
  const base = { throttleTimeMs: 0, sessionId: 0, nodeEndpoints: [] };
  // Incremental fetch sessions (KIP-227) are not kept: sessionId 0 tells the client to send full fetches.
  if (v >= 7 && (body.sessionId ?? 0) !== 0) {
    return { ...base, errorCode: 70, responses: [] };
  }
  if (!Number.isInteger(body.maxWaitMs) || body.minBytes < 0) throw kafkaError(42, 'Invalid maxWaitMs or minBytes');
  const slots = resolveSlots(ctx, v, body);
  const maxBytes = v >= 3 ? (body.maxBytes ?? MAX_INT32) : MAX_INT32;
  const readCommitted = (body.isolationLevel ?? 0) === 1;
  const deadline = Date.now() + Math.max(0, body.maxWaitMs);
  const watched = slots.flatMap((s) => (s.state && s.error === 0 ? [s.state] : []));
  let marks = watched.map((s) => s.highWatermark);
  let outcome = await readAll(slots, v, maxBytes, readCommitted);
  while (!outcome.errors && outcome.bytes < body.minBytes && watched.length > 0) {
    const left = deadline - Date.now();
    if (left <= 0 || ctx.shutdown.aborted()) break;
    // Data that landed while we were reading would not wake us: look before sleeping.
    const moved = watched.some((s, i) => s.highWatermark !== marks[i] || !s.open);
    const reason = moved ? 'data' : await waitForData(watched, left, ctx.shutdown);
    marks = watched.map((s) => s.highWatermark);
    outcome = await readAll(slots, v, maxBytes, readCommitted);
    if (reason !== 'data') break;
  }
  const responses: Array<Record<string, unknown>> = [];
  let i = 0;
  for (const t of body.topics) {
    const partitions = outcome.answers.slice(i, i + t.partitions.length);
    i += t.partitions.length;
    responses.push({ topic: t.topic ?? '', topicId: t.topicId, partitions });
  }
  return { ...base, errorCode: 0, responses };
}

/** Fetch v4–17 (record batches; sessionless; follower fetch is not served yet). */
export const fetchHandler: HandlerEntry = {
  apiKey: ApiKey.Fetch,
  versions: { min: 4, max: 17 },
  handle: (ctx, header, body: FetchRequest) => {
    if (header.apiVersion < 4) throw new TributaryError('UNSUPPORTED_VERSION', 'Fetch below v4 is not served', { kafkaCode: 35 });
    return handleFetch(ctx, header, body);
  },
};
