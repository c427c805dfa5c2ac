/**
 * The record types: what a producer hands to the batch encoder, and what the decoder
 * hands back. Keys and values are bytes (serializers turn them into application values
 * later); header keys are UTF-8 strings and header values nullable bytes, as in Kafka.
 */

/** One record header. Keys may repeat within a record; order is kept. */
export interface RecordHeader {
  /** Header key (UTF-8 on the wire). */
  readonly key: string;
  /** Header value; null is written as length -1. */
  readonly value: Uint8Array | null;
}

/** A record to encode into a batch. */
export interface RecordInput {
  /** Key bytes, or null for a keyless record. */
  readonly key: Uint8Array | null;
  /** Value bytes, or null (a tombstone in a compacted topic). */
  readonly value: Uint8Array | null;
  /** Headers, in order. */
  readonly headers?: readonly RecordHeader[] | undefined;
  /** Create time in ms since the epoch; the batch's `now` when absent. */
  readonly timestamp?: number | undefined;
  /**
   * Offset relative to the batch's base offset; the record's index when absent. Only
   * rewriters of existing batches (compaction) need sparse deltas; they must increase.
   */
  readonly offsetDelta?: number | undefined;
}

/** A record read from a batch. */
export interface DecodedRecord {
  /** Absolute offset: batch base offset + offset delta. */
  readonly offset: number;
  /**
   * Timestamp in ms: base timestamp + delta for create time; the batch's max timestamp
   * when the batch uses log-append time (as Kafka consumers report it).
   */
  readonly timestamp: number;
  /** Key bytes (a view into the batch or its decompressed records; no copy), or null. */
  readonly key: Uint8Array | null;
  /** Value bytes (a view, no copy), or null. */
  readonly value: Uint8Array | null;
  /** Headers in wire order; a shared empty array when the record has none. */
  readonly headers: readonly RecordHeader[];
  /** Producer sequence number of this record, or -1 when the batch carries none. */
  readonly sequence: number;
}

/** Frozen empty header list shared by every decoded record that has no headers. */
export const NO_HEADERS: readonly RecordHeader[] = Object.freeze([]);
