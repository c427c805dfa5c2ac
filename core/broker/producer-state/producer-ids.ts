/**
 * Producer id allocation for InitProducerId. Ids are handed out from blocks whose upper
 * end is persisted before the first id of the block is used (as Kafka's ProducerIdManager
 * does), so an id is never reused after a restart, and allocation touches storage once per
 * block. Epoch bumps (InitProducerId v3+ with an existing id and epoch, KIP-360) are
 * persisted per producer so that fencing survives a restart.
 */
import type { MetadataStore } from '../../contracts/storage.ts';

const BLOCK_KEY = 'producer-ids/block-end';
const EPOCH_PREFIX = 'producer-ids/epoch/';
/** Ids reserved per storage write. */
export const PRODUCER_ID_BLOCK_SIZE = 1000;
/** The largest producer epoch (int16); at it the producer gets a new id instead. */
export const MAX_PRODUCER_EPOCH = 32767;

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** What InitProducerId answers. */
export interface ProducerIdResult {
  readonly errorCode: number;
  readonly producerId: number;
  readonly producerEpoch: number;
}

/** Allocates producer ids and bumps epochs; state with a lifecycle, hence a class. */
export class ProducerIdManager {
  readonly #store: MetadataStore;
  #next = 0;
  #blockEnd = 0;
  #epochs = new Map<number, number>();
  #queue: Promise<unknown> = Promise.resolve();

  constructor(store: MetadataStore) {
    this.#store = store;
  }

  /** Restores the allocation point and the bumped epochs. */
  async load(): Promise<void> {
    const stored = await this.#store.get(BLOCK_KEY);
    const end = stored ? Number(decoder.decode(stored)) : 0;
    this.#next = this.#blockEnd = Number.isSafeInteger(end) && end > 0 ? end : 0;
    for (const { key, value } of await this.#store.list(EPOCH_PREFIX)) {
      const id = Number(key.slice(EPOCH_PREFIX.length));
      const epoch = Number(decoder.decode(value));
      if (Number.isSafeInteger(id) && Number.isInteger(epoch)) this.#epochs.set(id, epoch);
    }
  }

  /** The current epoch of an id this broker handed out, or undefined for a foreign id. */
  epochOf(producerId: number): number | undefined {
    if (producerId < 0 || producerId >= this.#next) return undefined;
    return this.#epochs.get(producerId) ?? 0;
  }

  /**
   * A fresh id with epoch 0, or (given an id this broker allocated and its current epoch)
   * the same id with the next epoch. An epoch older than the current one is fenced:
   * INVALID_PRODUCER_EPOCH, or PRODUCER_FENCED for InitProducerId v4+.
   */
  initProducerId(producerId: number, producerEpoch: number, apiVersion: number): Promise<ProducerIdResult> {
    const run = this.#queue.catch(() => undefined).then(async (): Promise<ProducerIdResult> => {
      const current = producerId >= 0 && producerEpoch >= 0 ? this.epochOf(producerId) : undefined;
      if (current === undefined) return { errorCode: 0, producerId: await this.#allocate(), producerEpoch: 0 };
      if (producerEpoch < current) return { errorCode: apiVersion >= 4 ? 90 : 47, producerId: -1, producerEpoch: -1 };
      if (producerEpoch + 1 >= MAX_PRODUCER_EPOCH) return { errorCode: 0, producerId: await this.#allocate(), producerEpoch: 0 };
      const next = producerEpoch + 1;
      await this.#store.put(`${EPOCH_PREFIX}${producerId}`, encoder.encode(String(next)));
      this.#epochs.set(producerId, next);
      return { errorCode: 0, producerId, producerEpoch: next };
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
}
