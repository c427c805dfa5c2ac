/**
 * The consumer group's embedded formats: the subscription a member sends in JoinGroup
 * (protocol metadata) and the assignment the leader sends in SyncGroup. On the wire each
 * is an int16 version followed by the fields of that version (never flexible).
 * Readers accept newer versions than they know by reading the fields they know, as
 * Kafka's clients do, and payloads that lack their version's trailing fields.
 */
import { compilePlan, readStruct, writeStruct } from './codec.ts';
import {
  consumerAssignmentSchema,
  consumerSubscriptionSchema,
  type ConsumerProtocolAssignment,
  type ConsumerProtocolSubscription,
} from './generated/consumer-protocol.ts';
import { Reader } from './reader.ts';
import type { DataSchema } from './schema.ts';
import { Writer } from './writer.ts';

export { consumerAssignmentSchema, consumerSubscriptionSchema };

/** A decoded subscription: the fields of ConsumerProtocolSubscription and the version it came in. */
export interface ConsumerSubscription extends ConsumerProtocolSubscription {
  version: number;
}

/** A decoded assignment: the fields of ConsumerProtocolAssignment and the version it came in. */
export interface ConsumerAssignment extends ConsumerProtocolAssignment {
  version: number;
}

function encodeData(schema: DataSchema, version: number, value: object): Uint8Array {
  const v = Math.max(schema.minVersion, Math.min(version, schema.maxVersion));
  const w = new Writer(128);
  w.int16(v);
  writeStruct(w, compilePlan(schema.fields, v, false), value as Record<string, unknown>);
  return w.finishOne();
}

function decodeData(schema: DataSchema, bytes: Uint8Array): Record<string, unknown> & { version: number } {
  const r = new Reader(bytes, 0, bytes.byteLength, 'ERR_MALFORMED_CONSUMER_PROTOCOL');
  const version = r.int16();
  if (version < 0) r.fail(`negative version ${version}`);
  // A newer version starts with the fields we know; trailing fields are ignored. Some
  // clients (kafkajs) label v0 payloads as v1 without the v1 fields: when the claimed
  // layout does not fit, lower layouts are tried before giving up.
  const start = r.offset;
  let firstError: unknown;
  for (let v = Math.min(version, schema.maxVersion); v >= schema.minVersion; v--) {
    r.offset = start;
    try {
      return { version, ...readStruct(r, compilePlan(schema.fields, v, false)) };
    } catch (error) {
      firstError ??= error;
    }
  }
  throw firstError;
}

/** Encodes a subscription (JoinGroup protocol metadata) in `version` (default 3). */
export function encodeConsumerSubscription(value: Partial<ConsumerSubscription>, version = value.version ?? 3): Uint8Array {
  return encodeData(consumerSubscriptionSchema, version, value);
}

/** Decodes a subscription; throws `ERR_MALFORMED_CONSUMER_PROTOCOL` on bad input. */
export function decodeConsumerSubscription(bytes: Uint8Array): ConsumerSubscription {
  return decodeData(consumerSubscriptionSchema, bytes) as unknown as ConsumerSubscription;
}

/** Encodes an assignment (SyncGroup member assignment) in `version` (default 3). */
export function encodeConsumerAssignment(value: Partial<ConsumerAssignment>, version = value.version ?? 3): Uint8Array {
  return encodeData(consumerAssignmentSchema, version, value);
}

/** Decodes an assignment; an empty array (a member with nothing assigned) decodes as empty. */
export function decodeConsumerAssignment(bytes: Uint8Array): ConsumerAssignment {
  if (bytes.byteLength === 0) return { version: 0, assignedPartitions: [], userData: null };
  return decodeData(consumerAssignmentSchema, bytes) as unknown as ConsumerAssignment;
}
