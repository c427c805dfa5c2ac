/**
 * The sender: drains the accumulator into Produce requests — one per broker and round,
 * one batch per partition per request, pipelined up to `maxInFlightRequests` per broker
 * (and at most 5 batches per partition in flight when idempotent) — and settles each
 * batch from the answer: acknowledged, retried after a backoff in its original order,
 * or failed for good.
 *
 * Draining runs on a microtask when work is due now and on one timer for the earliest
 * future time (a lingering batch, a retry's backoff, a metadata retry).
 */
import type { Logger } from '../../contracts/logger.ts';
import { TributaryError, kafkaError } from '../../errors.ts';
import { KafkaCode } from '../../kafka-error-codes.ts';
import type { ApiResponse } from '../../protocol/api-messages.ts';
import { ApiKey } from '../../protocol/api-keys.ts';
import { type Cluster, needsRefresh } from '../cluster.ts';
import { type RetryPolicy, backoff, reconnectBackoff } from '../retry.ts';
import type { RecordAccumulator } from './accumulator.ts';
import { type IdempotenceManager, needsRestamp, restamp } from './idempotence.ts';
import type { ProducerBatch } from './producer-batch.ts';
import type { ProducerLifecycle } from './types.ts';

/** One Produce request being planned: batches for one broker, with one acks value. */
interface SendRound {
  readonly node: number;
  readonly acks: number;
  readonly batches: ProducerBatch[];
  bytes: number;
}

type ProduceResponse = ApiResponse<typeof ApiKey.Produce>;

/** Settings and collaborators of a {@link Sender}. */
export interface SenderOptions {
  readonly cluster: Cluster;
  readonly logger: Logger;
  readonly retry: RetryPolicy;
  readonly accumulator: RecordAccumulator;
  readonly idempotence: IdempotenceManager;
  readonly lifecycle: ProducerLifecycle;
  readonly lingerMs: number;
  readonly maxRequestSize: number;
  readonly maxInFlightRequests: number;
  /** Broker-side timeout of a Produce request. */
  readonly timeoutMs: number;
  /** A batch is retried until it is this old (delivery.timeout.ms). */
  readonly deliveryTimeoutMs: number;
  /** Retries of a batch at most (Infinity: until the delivery timeout). */
  readonly maxAttempts: number;
}

/** Sends what the accumulator holds, per broker, with retries. */
export class Sender {
  readonly #cluster: Cluster;
  readonly #logger: Logger;
  readonly #retry: RetryPolicy;
  readonly #accumulator: RecordAccumulator;
  readonly #idempotence: IdempotenceManager;
  readonly #lifecycle: ProducerLifecycle;
  readonly #lingerMs: number;
  readonly #maxRequestSize: number;
  readonly #maxInFlightRequests: number;
  readonly #timeoutMs: number;
  readonly #deliveryTimeoutMs: number;
  readonly #maxAttempts: number;
  #refreshFailures = 0;
  /** True from a failed send until the next acknowledgement: one warning per outage. */
  #warned = false;
  readonly #nodeInFlight = new Map<number, number>();
  #drainQueued = false;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #timerAt = Infinity;
  #refreshing = false;

  constructor(options: SenderOptions) {
    this.#cluster = options.cluster;
    this.#logger = options.logger;
    this.#retry = options.retry;
    this.#accumulator = options.accumulator;
    this.#idempotence = options.idempotence;
    this.#lifecycle = options.lifecycle;
    this.#lingerMs = options.lingerMs;
    this.#maxRequestSize = options.maxRequestSize;
    this.#maxInFlightRequests = options.maxInFlightRequests;
    this.#timeoutMs = options.timeoutMs;
    this.#deliveryTimeoutMs = options.deliveryTimeoutMs;
    this.#maxAttempts = options.maxAttempts;
  }

  /** Drains at `at` (ms since the epoch), or sooner when something else asks. */
  wakeAt(at: number): void {
    // With linger 0 a batch due now drains on a microtask (what one synchronous send
    // appended goes together). A later time — a retry's backoff, a metadata retry — waits
    // on the timer: draining on microtasks until then would spin and starve the event loop.
    if (this.#lingerMs === 0 && at <= Date.now()) {
      this.drainSoon();
      return;
    }
    if (this.#timer !== undefined && this.#timerAt <= at) return;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timerAt = at;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#timerAt = Infinity;
      this.drain();
    }, Math.max(0, at - Date.now()));
  }

  /** Drains on a microtask (once, however often asked before it runs). */
  drainSoon(): void {
    if (this.#drainQueued) return;
    this.#drainQueued = true;
    queueMicrotask(() => {
      this.#drainQueued = false;
      this.drain();
    });
  }

  /** Stops the timer (the producer closed). */
  stop(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
  }

  /** Closes batches that are due, and sends what may go: one batch per partition per request. */
  drain(): void {
    const now = Date.now();
    const accumulator = this.#accumulator;
    const force = this.#lifecycle.urgent() || accumulator.memory.exhausted;
    const perPartition = this.#idempotence.active ? Math.min(5, this.#maxInFlightRequests) : this.#maxInFlightRequests;
    let wake = accumulator.closeDue(now, force);
    let missingLeader = false;
    const rounds = new Map<string, SendRound>();
    const planned = new Map<number, number>();
    const hold = this.#idempotence.holding;
    if (!hold) {
      for (const q of accumulator.queues()) {
        let round = 0;
        while (q.ready.length > 0 && q.inFlight.size < perPartition) {
          const batch = q.ready[0]!;
          if (batch.bytes === null) break;
          if (batch.retryAt > now) {
            wake = Math.min(wake, batch.retryAt);
            break;
          }
          const node = this.#cluster.leaderOf(q.topic, q.partition);
          if (node < 0) {
            // No leader known (the cluster is unreachable): the batch waits, up to its delivery timeout.
            if (now - batch.createdAt >= this.#deliveryTimeoutMs && q.inFlight.size === 0) {
              q.ready.shift();
              this.fail(batch, new TributaryError('ERR_DELIVERY_TIMEOUT', `No leader for ${q.topic}-${q.partition} within the delivery timeout (${this.#deliveryTimeoutMs} ms)`, { details: { topic: q.topic, partition: q.partition } }));
              continue;
            }
            wake = Math.min(wake, batch.createdAt + this.#deliveryTimeoutMs);
            missingLeader = true;
            break;
          }
          const key = `${node}/${batch.acks}/${round}`;
          let r = rounds.get(key);
          if (r && r.bytes + batch.bytes.length > this.#maxRequestSize) {
            round++;
            continue;
          }
          if (!r) {
            const used = (this.#nodeInFlight.get(node) ?? 0) + (planned.get(node) ?? 0);
            if (used >= this.#maxInFlightRequests) break;
            planned.set(node, (planned.get(node) ?? 0) + 1);
            rounds.set(key, (r = { node, acks: batch.acks, batches: [], bytes: 0 }));
          }
          q.ready.shift();
          q.inFlight.add(batch);
          r.batches.push(batch);
          r.bytes += batch.bytes.length;
          round++;
        }
      }
    }
    for (const r of rounds.values()) void this.#sendRound(r);
    if (hold) {
      this.#idempotence.bumpEpochWhenIdle(() => accumulator.queues(), (b, error) => this.fail(b, error))?.then(() => this.drainSoon());
    }
    if (missingLeader) this.#refreshSoon();
    if (wake !== Infinity) this.wakeAt(wake);
  }

  #refreshSoon(): void {
    if (this.#refreshing) return;
    this.#refreshing = true;
    this.#cluster.refresh().then(
      () => {
        this.#refreshing = false;
        this.#refreshFailures = 0;
        this.drainSoon();
      },
      (error) => {
        this.#refreshing = false;
        this.#logger.debug('metadata refresh failed', { error: String(error) });
        // Try again after a backoff; batches keep waiting (bounded by their delivery timeout).
        this.wakeAt(Date.now() + reconnectBackoff(this.#retry, ++this.#refreshFailures));
      },
    );
  }

  async #sendRound(r: SendRound): Promise<void> {
    this.#nodeInFlight.set(r.node, (this.#nodeInFlight.get(r.node) ?? 0) + 1);
    const byTopic = new Map<string, Array<{ index: number; records: Uint8Array }>>();
    for (const b of r.batches) {
      // An in-process broker keeps the bytes it was handed (and stamps offsets into them): a retry sends a copy.
      const changed = needsRestamp(b);
      if (b.handedOver || changed) b.bytes = b.bytes!.slice();
      b.handedOver = true;
      // An earlier batch was rejected (the broker expects this one's records lower down),
      // or the producer took a new epoch: the header changes, and so does the CRC it covers.
      if (changed) restamp(b);
      let list = byTopic.get(b.queue.topic);
      if (!list) byTopic.set(b.queue.topic, (list = []));
      list.push({ index: b.queue.partition, records: b.bytes! });
    }
    const topicData: Array<{ name: string; partitionData: Array<{ index: number; records: Uint8Array }> }> = [];
    for (const [name, partitionData] of byTopic) topicData.push({ name, partitionData });
    const body = { transactionalId: null, acks: r.acks, timeoutMs: this.#timeoutMs, topicData };
    let response: ProduceResponse | null;
    try {
      const transport = await this.#cluster.connection(r.node);
      response = await this.#cluster.send(transport, ApiKey.Produce, body, { expectResponse: r.acks !== 0, extraTimeoutMs: this.#timeoutMs });
    } catch (error) {
      this.#nodeDone(r.node);
      for (const b of r.batches) this.#retryOrFail(b, error);
      this.drainSoon();
      return;
    }
    this.#nodeDone(r.node);
    // acks=0 gets no answer: the batches count as delivered, offsets unknown.
    if (r.acks === 0) {
      for (const b of r.batches) this.#complete(b, -1, -1, -1);
    } else {
      this.#handleResponse(r, response);
    }
    this.drainSoon();
  }

  #nodeDone(node: number): void {
    this.#nodeInFlight.set(node, (this.#nodeInFlight.get(node) ?? 1) - 1);
  }

  /** Settles each batch of `r` from its partition's answer; a batch without one (or a null answer) is retried. */
  #handleResponse(r: SendRound, response: ProduceResponse | null): void {
    const answered = new Set<ProducerBatch>();
    for (const t of response?.responses ?? []) {
      for (const p of t.partitionResponses) {
        const batch = r.batches.find((b) => b.queue.partition === p.index && b.queue.topic === t.name);
        if (!batch || answered.has(batch)) continue;
        answered.add(batch);
        const code = p.errorCode;
        if (code === 0) this.#complete(batch, p.baseOffset, p.logAppendTimeMs ?? -1, p.logStartOffset ?? -1);
        // An earlier attempt of this batch was written.
        else if (code === KafkaCode.DUPLICATE_SEQUENCE_NUMBER) this.#complete(batch, -1, -1, -1);
        else this.#retryOrFail(batch, kafkaError(code, p.errorMessage ?? undefined, { details: { topic: t.name, partition: p.index } }));
      }
    }
    for (const b of r.batches) {
      if (!answered.has(b)) this.#retryOrFail(b, new TributaryError('ERR_MISSING_RESPONSE', `No answer for ${b.queue.topic}-${b.queue.partition}`, { retriable: true }));
    }
  }

  #retryOrFail(batch: ProducerBatch, error: unknown): void {
    const q = batch.queue;
    q.inFlight.delete(batch);
    // Out of order behind an earlier batch being retried: this one is retried after it.
    // So is one refused while a new epoch is pending: it is restamped before it goes again.
    const retriable = (error instanceof TributaryError && error.retriable) || this.#idempotence.retriesOutOfOrder(batch, error);
    const now = Date.now();
    if (retriable && batch.attempts < this.#maxAttempts && now - batch.createdAt < this.#deliveryTimeoutMs && !this.#lifecycle.closed()) {
      batch.attempts++;
      if (!this.#warned && !(error instanceof TributaryError && error.kafkaCode !== undefined)) {
        this.#warned = true;
        this.#logger.warn('produce failed; retrying within the delivery timeout', { topic: q.topic, partition: q.partition, error: String(error) });
      }
      // The retry backoff first, then the reconnect backoff's ceiling: a broker that restarts is polled, not waited out.
      const wait = batch.attempts <= this.#retry.retries ? backoff(this.#retry, batch.attempts) : reconnectBackoff(this.#retry, batch.attempts);
      batch.retryAt = Math.min(now + wait, batch.createdAt + this.#deliveryTimeoutMs);
      q.requeue(batch);
      this.#logger.debug('retrying batch', { topic: q.topic, partition: q.partition, attempt: batch.attempts, error: String(error) });
      if (needsRefresh(error)) this.#refreshSoon();
      this.wakeAt(batch.retryAt);
      return;
    }
    this.fail(batch, error);
  }

  #complete(batch: ProducerBatch, baseOffset: number, logAppendTime: number, logStartOffset: number): void {
    const q = batch.queue;
    q.inFlight.delete(batch);
    this.#accumulator.deallocate(batch);
    this.#warned = false;
    const { topic, partition } = q;
    for (let i = 0; i < batch.deliveries.length; i++) {
      batch.deliveries[i]!.batchDone(topic, partition, baseOffset < 0 ? -1 : baseOffset + batch.firstIndex[i]!, logAppendTime, logStartOffset);
    }
  }

  /** Fails `batch` for good: out of its queue, sequences kept right, memory freed, its sends rejected. */
  fail(batch: ProducerBatch, error: unknown): void {
    this.#accumulator.remove(batch);
    this.#idempotence.batchFailed(batch, error, this.#lifecycle.closed());
    this.#accumulator.deallocate(batch);
    for (const d of batch.deliveries) d.fail(error);
  }
}
