/**
 * Producer id allocation for InitProducerId. Ids are handed out from blocks whose upper
 * end is persisted before the first id of the block is used (as Kafka's ProducerIdManager
 * does), so an id is never reused after a restart, and allocation touches storage once per
 * block.
 *
 * Without a transactional id, Kafka's coordinator answers every InitProducerId with a
 * fresh id at epoch 0, whatever id and epoch the request names (v3+, KIP-360): a producer
 * that wants a new epoch simply gets a new id. Doing the same keeps a retried request
 * harmless — bumping the epoch instead would fence the retry of a request whose answer
 * was lost, and a fenced idempotent producer is fatal to its client.
 */
import type { MetadataStore } from '../../contracts/storage.ts';

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

/** Allocates producer ids; state with a lifecycle, hence a class. */
export class ProducerIdManager {
  readonly #store: MetadataStore;
  #next = 0;
  #blockEnd = 0;
  #queue: Promise<unknown> = Promise.resolve();

  constructor(store: MetadataStore) {
    this.#store = store;
  }

  /** Restores the allocation point: the next id is the end of the last reserved block. */
  async load(): Promise<void> {
    const stored = await this.#store.get(BLOCK_KEY);
    const end = stored ? Number(decoder.decode(stored)) : 0;
    this.#next = this.#blockEnd = Number.isSafeInteger(end) && end > 0 ? end : 0;
  }

  /** A fresh producer id with epoch 0 (allocations run one after another). */
  initProducerId(): Promise<ProducerIdResult> {
    const run = this.#queue.catch(() => undefined).then(async (): Promise<ProducerIdResult> => ({ errorCode: 0, producerId: await this.#allocate(), producerEpoch: 0 }));
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
}
