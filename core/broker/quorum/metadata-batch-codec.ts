/**
 * How metadata batches are stored and sent: one Kafka RecordBatch v2 per metadata batch,
 * one record per metadata record with its JSON as the value, the quorum epoch in the
 * batch's partition leader epoch and the append time as its timestamp. The same bytes
 * go into the single voter's log and travel in Fetch answers of `__cluster_metadata`, so
 * the log is readable by any Kafka tool (kcat -C -t __cluster_metadata on the controller
 * listener) and checked by CRC like any other batch. (Kafka encodes its metadata records
 * as generated binary messages; ours are internal to Tributary and JSON keeps them
 * readable.)
 */
import { TributaryError } from '../../errors.ts';
import { iterateBatches } from '../../records/batch-iterator.ts';
import { decodeBatchSync, encodeBatchSync } from '../../records/record-batch.ts';
import type { MetadataRecord } from '../metadata/records.ts';
import type { MetadataBatch } from './metadata-quorum.ts';

/** The metadata log's topic name (Kafka's). */
export const METADATA_TOPIC = '__cluster_metadata';
/** The metadata log's fixed topic id (Kafka's METADATA_TOPIC_ID, 00000000-0000-0000-0000-000000000001). */
export const METADATA_TOPIC_ID = '00000000-0000-0000-0000-000000000001';

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Encodes one metadata batch as a RecordBatch v2 (uncompressed, CRC set). */
export function encodeMetadataBatch(batch: MetadataBatch): Uint8Array {
  if (batch.records.length === 0) throw new TributaryError('ERR_INVALID_ARGUMENT', 'A metadata batch needs at least one record');
  return encodeBatchSync({
    baseOffset: batch.baseOffset,
    partitionLeaderEpoch: batch.epoch,
    now: batch.appendTimeMs,
    records: batch.records.map((record) => ({ key: null, value: encoder.encode(JSON.stringify(record)), timestamp: batch.appendTimeMs })),
  });
}

/**
 * Decodes the whole batches in `bytes` (a log read or a Fetch answer's records; a trailing
 * partial batch is left out). A batch whose CRC or JSON is bad is CORRUPT_MESSAGE.
 */
export function decodeMetadataBatches(bytes: Uint8Array): MetadataBatch[] {
  const out: MetadataBatch[] = [];
  for (const slice of iterateBatches(bytes)) {
    const decoded = decodeBatchSync(slice.bytes);
    let records: MetadataRecord[];
    try {
      records = decoded.records.map((r) => JSON.parse(decoder.decode(r.value ?? new Uint8Array())) as MetadataRecord);
    } catch (error) {
      throw new TributaryError('CORRUPT_MESSAGE', `Metadata batch at offset ${decoded.baseOffset} holds a record that is not JSON: ${String(error)}`, { kafkaCode: 2 });
    }
    out.push({ baseOffset: decoded.baseOffset, epoch: decoded.partitionLeaderEpoch, appendTimeMs: decoded.maxTimestamp, records });
  }
  return out;
}
