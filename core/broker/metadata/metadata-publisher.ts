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
  async publish(records: readonly MetadataRecord[]): Promise<void> {
    const preparing = this.#publishers.map((p) => p.prepare?.(records, this.#image));
    if (preparing.some((p) => p instanceof Promise)) await Promise.all(preparing);
    await Promise.all(this.publishPrepared(records));
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
