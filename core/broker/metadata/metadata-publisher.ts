/**
 * Publishing metadata: records from the controller become the next image, and every
 * publisher (the replica manager first) hears of the change (Kafka's MetadataLoader and
 * MetadataPublisher).
 *
 * A publisher may first prepare for records before they become visible (the replica
 * manager opens the logs of partitions it will host), so that once the image names a
 * partition, it can be served. Preparation runs concurrently for concurrent publishes;
 * building the image and telling publishers is synchronous, so each delta is replayed onto
 * the image current at that moment and no change is lost.
 */
import { MetadataDelta } from './metadata-delta.ts';
import { MetadataImage } from './metadata-image.ts';
import type { MetadataRecord } from './records.ts';

/** Something that acts on metadata changes. */
export interface MetadataPublisher {
  /** For logs and errors. */
  readonly name: string;
  /**
   * Gets ready for `records` before they are visible (may be async). Called with the
   * image current at the time; nothing is published until every publisher is ready.
   */
  prepare?(records: readonly MetadataRecord[], image: MetadataImage): Promise<void> | void;
  /**
   * Applies a change. The synchronous part runs before the next image is published to
   * anyone else; a returned promise (cleanup such as deleting data) is awaited by whoever
   * published the records.
   */
  onMetadataUpdate(delta: MetadataDelta, image: MetadataImage): Promise<void> | void;
  /**
   * Undoes {@link prepare} for records that will not be published (a preparation or the
   * metadata write failed). With `discard` the records were new (a creation): what was
   * made for them (partition logs) is deleted; otherwise it is only released.
   */
  abort?(records: readonly MetadataRecord[], image: MetadataImage, discard: boolean): Promise<void> | void;
}

/** Options of {@link MetadataLoader.prepare}. */
export interface PrepareOptions {
  /** The records create something new: on failure, delete what was prepared (see {@link MetadataPublisher.abort}). */
  readonly discard?: boolean;
}

/** Holds the current image and publishes records to it and to the publishers. */
export class MetadataLoader {
  #image: MetadataImage = MetadataImage.EMPTY;
  readonly #publishers: MetadataPublisher[] = [];

  /** The current image. */
  get image(): MetadataImage {
    return this.#image;
  }

  /** Adds a publisher (they hear of changes in the order they were installed). */
  install(publisher: MetadataPublisher): void {
    this.#publishers.push(publisher);
  }

  /**
   * Publishes `records`: lets publishers prepare, then replays them onto the current image
   * and tells every publisher. Resolves when the publishers' follow-up work is done.
   */
  async publish(records: readonly MetadataRecord[], options: PrepareOptions = {}): Promise<void> {
    await this.prepare(records, options);
    await Promise.all(this.publishPrepared(records));
  }

  /**
   * Lets every publisher prepare for `records` (nothing becomes visible). When one fails,
   * every preparation is first let to settle, then undone ({@link abort}), and the first
   * failure is thrown: a failed creation leaves no open log and, with `discard`, no data.
   */
  async prepare(records: readonly MetadataRecord[], options: PrepareOptions = {}): Promise<void> {
    const image = this.#image;
    const preparing = this.#publishers.map((p) => {
      try {
        return p.prepare?.(records, image);
      } catch (error) {
        return Promise.reject(error);
      }
    });
    if (!preparing.some((p) => p instanceof Promise)) return;
    const settled = await Promise.allSettled(preparing);
    const failure = settled.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failure === undefined) return;
    await this.abort(records, options);
    throw failure.reason;
  }

  /** Undoes a successful or partial {@link prepare} of records that will not be published. */
  async abort(records: readonly MetadataRecord[], options: PrepareOptions = {}): Promise<void> {
    const image = this.#image;
    await Promise.allSettled(this.#publishers.map(async (p) => p.abort?.(records, image, options.discard === true)));
  }

  /**
   * The synchronous part of {@link publish}, for records that need no preparation (a
   * broker registration): the image changes before this returns. Returns the publishers'
   * follow-up work.
   */
  publishPrepared(records: readonly MetadataRecord[]): Array<Promise<void> | void> {
    const delta = new MetadataDelta(this.#image).replay(records);
    const image = delta.apply();
    this.#image = image;
    return this.#publishers.map((p) => p.onMetadataUpdate(delta, image));
  }
}
