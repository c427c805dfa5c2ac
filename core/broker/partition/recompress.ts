/**
 * The one place the broker re-encodes produced data (Kafka's LogValidator with a topic
 * `compression.type` other than `producer`): a batch that arrives in another codec than
 * the topic's is decompressed and compressed again in the topic's codec.
 *
 * Only the records section changes. Records carry offset and timestamp deltas relative to
 * the batch header, so the header keeps every field (base offset, last offset delta,
 * timestamps, producer id, epoch, base sequence, record count); its codec bits, its length
 * and its CRC are rewritten. Idempotent producer state reads the same header either way.
 *
 * The compressors are plugins reached through a {@link CodecSource} (the registry): the
 * core never imports them.
 */
import { CompressionCodec } from '../../contracts/compressor.ts';
import { TributaryError, kafkaError, KafkaCode } from '../../errors.ts';
import { BATCH_HEADER_SIZE, BATCH_LOG_OVERHEAD, BatchAttributes, BatchField, computeBatchCrc } from '../../records/batch-header.ts';
import type { CodecSource } from '../../records/record-batch.ts';
import type { TopicCompressionType } from '../topic-config.ts';
import type { IncomingBatch } from './produce-validation.ts';

/** The codec id a topic stores its batches in, or null for `producer` (as they came). */
export function targetCodec(type: TopicCompressionType): number | null {
  switch (type) {
    case 'producer':
      return null;
    case 'uncompressed':
      return CompressionCodec.none;
    default:
      return CompressionCodec[type];
  }
}

/** The codec id in a batch's attributes. */
export function codecOf(batch: IncomingBatch): number {
  return batch.header.attributes & BatchAttributes.compressionMask;
}

/** True when some batch must be re-encoded to be stored in codec `target` (null: never). */
export function needsRecompression(batches: readonly IncomingBatch[], target: number | null): boolean {
  if (target === null) return false;
  for (const b of batches) if (codecOf(b) !== target) return true;
  return false;
}

async function transform(source: CodecSource | undefined, codec: number, data: Uint8Array, compress: boolean): Promise<Uint8Array> {
  if (codec === CompressionCodec.none) return data;
  if (!source) throw kafkaError(KafkaCode.UNSUPPORTED_COMPRESSION_TYPE, `The broker has no codecs to ${compress ? 'compress' : 'decompress'} codec ${codec}`);
  let compressor;
  try {
    compressor = source.compressorForCodec(codec);
  } catch (error) {
    throw kafkaError(KafkaCode.UNSUPPORTED_COMPRESSION_TYPE, `The broker has no compressor for codec ${codec}`, { cause: error });
  }
  try {
    return compress ? await compressor.compress(data) : await compressor.decompress(data);
  } catch (error) {
    // Data that does not decompress is a corrupt batch (Kafka: CorruptRecordException).
    if (!compress) throw kafkaError(KafkaCode.CORRUPT_MESSAGE, `Record batch does not decompress as codec ${codec}: ${error instanceof TributaryError ? error.message : String(error)}`, { cause: error });
    throw error;
  }
}

/**
 * One batch re-encoded in codec `target`: a fresh buffer holding the same header (codec
 * bits, length and CRC rewritten) and the records section decompressed from the batch's
 * codec and compressed in `target`. `records` holds the batch at `batch.pos`.
 */
export async function recompressBatch(records: Uint8Array, batch: IncomingBatch, target: number, source: CodecSource | undefined): Promise<Uint8Array> {
  const from = codecOf(batch);
  const section = records.subarray(batch.pos + BATCH_HEADER_SIZE, batch.pos + batch.size);
  const plain = await transform(source, from, section, false);
  const packed = await transform(source, target, plain, true);
  const out = new Uint8Array(BATCH_HEADER_SIZE + packed.length);
  out.set(records.subarray(batch.pos, batch.pos + BATCH_HEADER_SIZE));
  out.set(packed, BATCH_HEADER_SIZE);
  const dv = new DataView(out.buffer, out.byteOffset, out.byteLength);
  dv.setInt32(BatchField.batchLength, out.length - BATCH_LOG_OVERHEAD);
  dv.setInt16(BatchField.attributes, (batch.header.attributes & ~BatchAttributes.compressionMask) | target);
  dv.setUint32(BatchField.crc, computeBatchCrc(out, 0, out.length));
  return out;
}
