/** The record format: Record, RecordBatch v2 codec, varint/zigzag, CRC32C. */
export { crc32c } from './crc32c.ts';
export {
  BATCH_HEADER_SIZE,
  BATCH_LOG_OVERHEAD,
  BatchAttributes,
  BatchField,
  batchSizeAt,
  computeBatchCrc,
  readBatchHeader,
  setBaseOffset,
  setLogAppendTime,
  setPartitionLeaderEpoch,
  verifyBatchCrc,
  type BatchHeader,
} from './batch-header.ts';
export { NO_HEADERS, type DecodedRecord, type RecordHeader, type RecordInput } from './record.ts';
export {
  decodeBatch,
  decodeBatchSync,
  encodeBatch,
  encodeBatchSync,
  writeBatch,
  type BatchInput,
  type CodecSource,
  type DecodeBatchOptions,
  type DecodedBatch,
  type TimestampType,
} from './record-batch.ts';
export { decodeBatches, decodeBatchesSync, iterateBatches, trailingPartialBytes, type BatchSlice } from './batch-iterator.ts';
export { ControlRecordType, endTxnMarker, readControlMarker, type ControlMarker } from './control-record.ts';
export {
  MAX_VARINT_BYTES,
  MAX_VARLONG_BYTES,
  readInt64BE,
  sizeOfUnsignedVarint,
  sizeOfVarint,
  sizeOfVarlong,
  writeInt16BE,
  writeInt32BE,
  writeInt64BE,
  writeUnsignedVarint,
  writeVarint,
  writeVarlong,
  zigzag32,
} from './varint.ts';
export { ByteReader } from './byte-reader.ts';
export { ByteWriter } from './byte-writer.ts';
export { encodeUtf8, readUtf8, utf8Length, writeUtf8 } from './utf8.ts';
