/**
 * Producer id allocation for InitProducerId. Ids are handed out from blocks. A broker on
 * its own reserves its blocks in its metadata store: a block's upper end is persisted
 * before the first id of the block is used (as Kafka's ProducerIdManager does), so an id is
 * never reused after a restart, and allocation touches storage once per block. In a
 * cluster the blocks come from the controller instead ({@link ProducerIdBlockSource}:
 * AllocateProducerIds), so no two brokers hand out the same id; while no block can be had,
 * InitProducerId answers COORDINATOR_LOAD_IN_PROGRESS (retriable), as Kafka's brokers do.
 *
 * Without a transactional id, Kafka's coordinator answers every InitProducerId with a
 * fresh id at epoch 0, whatever id and epoch the request names (v3+, KIP-360): a producer
 * that wants a new epoch simply gets a new id. Doing the same keeps a retried request
 * harmless — bumping the epoch instead would fence the retry of a request whose answer
 * was lost, and a fenced idempotent producer is fatal to its client.
 */
import type { MetadataStore } from '../../contracts/storage.ts';
import { TributaryError } from '../../errors.ts';
import { KafkaCode } from '../../kafka-error-codes.ts';

const BLOCK_KEY = 'producer-ids/block-end';
/** Ids reserved per storage write. */
export const PRODUCER_ID_BLOCK_SIZE = 1000;

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** What InitProducerId answers. */
export interface ProducerIdResult {
  readonly errorCode: number;
  readonly producerId: number;
  readonly producerEpoch: number;
}

/** A block of producer ids: [`firstProducerId`, `firstProducerId + size`). */
export interface ProducerIdBlock {
  readonly firstProducerId: number;
  readonly size: number;
}

/**
 * Where blocks come from in a cluster: the controller (AllocateProducerIds). Resolves with
 * a block for this broker alone, or rejects when none can be had now (no controller, a
 * stale broker epoch).
 */
export type ProducerIdBlockSource = () => Promise<ProducerIdBlock>;

/** Options of {@link ProducerIdManager}. */
export interface ProducerIdManagerOptions {
  /** Blocks from elsewhere (the controller) instead of the metadata store. Default: the store's blocks. */
  readonly allocateBlock?: ProducerIdBlockSource;
}

/** Allocates producer ids; state with a lifecycle, hence a class. */
export class ProducerIdManager {
  readonly #store: MetadataStore;
  readonly #allocateBlock: ProducerIdBlockSource | undefined;
  #next = 0;
  #blockEnd = 0;
  #queue: Promise<unknown> = Promise.resolve();

  constructor(store: MetadataStore, options: ProducerIdManagerOptions = {}) {
    this.#store = store;
    this.#allocateBlock = options.allocateBlock;
  }

  /**
   * Restores the allocation point: the next id is the end of the last reserved block. With
   * a block source there is nothing to restore (the controller remembers its blocks).
   */
  async load(): Promise<void> {
    if (this.#allocateBlock) return;
    const stored = await this.#store.get(BLOCK_KEY);
    const end = stored ? Number(decoder.decode(stored)) : 0;
    this.#next = this.#blockEnd = Number.isSafeInteger(end) && end > 0 ? end : 0;
  }

  /** A fresh producer id with epoch 0 (allocations run one after another). */
  initProducerId(): Promise<ProducerIdResult> {
    const run = this.#queue.catch(() => undefined).then(async (): Promise<ProducerIdResult> => {
      if (!this.#allocateBlock) return { errorCode: 0, producerId: await this.#allocate(), producerEpoch: 0 };
      try {
        return { errorCode: 0, producerId: await this.#allocateFromSource(this.#allocateBlock), producerEpoch: 0 };
      } catch {
        // No block now (no controller, or a refusal): the producer retries, as with Kafka's brokers.
        return { errorCode: KafkaCode.COORDINATOR_LOAD_IN_PROGRESS, producerId: -1, producerEpoch: -1 };
      }
    });
    this.#queue = run;
    return run;
  }

  async #allocate(): Promise<number> {
    if (this.#next >= this.#blockEnd) {
      const end = this.#next + PRODUCER_ID_BLOCK_SIZE;
      await this.#store.put(BLOCK_KEY, encoder.encode(String(end)));
      this.#blockEnd = end;
    }
    return this.#next++;
  }

  async #allocateFromSource(source: ProducerIdBlockSource): Promise<number> {
    if (this.#next >= this.#blockEnd) {
      const block = await source();
      if (!Number.isSafeInteger(block.firstProducerId) || block.firstProducerId < 0 || !Number.isSafeInteger(block.size) || block.size < 1) {
        throw new TributaryError('ERR_INVALID_ARGUMENT', `Bad producer id block ${block.firstProducerId}+${block.size}`);
      }
      this.#next = block.firstProducerId;
      this.#blockEnd = block.firstProducerId + block.size;
    }
    return this.#next++;
  }
}
