/**
 * Control records: the transaction markers (COMMIT, ABORT) that a transaction
 * coordinator writes into a control batch. Consumers skip control batches; the
 * broker and read-committed consumers read them with these helpers.
 *
 * Key: version int16 (0) | type int16 (0 abort, 1 commit).
 * Value: version int16 (0) | coordinatorEpoch int32.
 */
import { KafkaCode, kafkaError } from '../errors.ts';
import type { DecodedRecord, RecordInput } from './record.ts';
import { writeInt16BE, writeInt32BE } from './varint.ts';

/** Control record types as Kafka numbers them. */
export const ControlRecordType = Object.freeze({ abort: 0, commit: 1 } as const);

/** A decoded transaction marker. */
export interface ControlMarker {
  /** 0 abort, 1 commit (other values are future control types). */
  readonly type: number;
  /** Epoch of the coordinator that wrote it (-1 when the value is absent). */
  readonly coordinatorEpoch: number;
}

/** The record to put, alone, in a control batch that ends a transaction. */
export function endTxnMarker(type: 'commit' | 'abort', coordinatorEpoch: number, timestamp?: number): RecordInput {
  const key = new Uint8Array(4);
  writeInt16BE(key, 2, ControlRecordType[type]);
  const value = new Uint8Array(6);
  writeInt32BE(value, 2, coordinatorEpoch);
  return { key, value, timestamp };
}

/** Reads a control record; `CORRUPT_MESSAGE` when its key is shorter than 4 bytes. */
export function readControlMarker(record: Pick<DecodedRecord, 'key' | 'value'>): ControlMarker {
  const key = record.key;
  if (key === null || key.length < 4) throw kafkaError(KafkaCode.CORRUPT_MESSAGE, 'A control record needs a 4-byte key');
  const type = ((key[2]! << 24) | (key[3]! << 16)) >> 16;
  const value = record.value;
  const coordinatorEpoch =
    value !== null && value.length >= 6 ? (value[2]! << 24) | (value[3]! << 16) | (value[4]! << 8) | value[5]! : -1;
  return { type, coordinatorEpoch };
}
