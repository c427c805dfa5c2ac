/**
 * The Kafka wire protocol: primitives, the declarative API schemas, the generic codec,
 * request/response headers and framing, and the versions the broker advertises.
 *
 * Value conventions: body objects use Kafka's field names with the first letter
 * lowercased; int64 fields decode to JS numbers (exact to 2^53 — offsets, timestamps and
 * producer ids stay far below) and encode from a number or a bigint; uuids are lowercase
 * 8-4-4-4-12 strings (all zeros for none); bytes/records decode to views into the frame
 * (no copy) and a records field encodes from `Uint8Array | Uint8Array[] | null`, each
 * chunk passed through by reference.
 */
export { ApiKey, apiName, isApiKey } from './api-keys.ts';
export {
  decodeRequest,
  decodeRequestHeader,
  decodeResponse,
  encodeApiVersionsFallback,
  encodeRequest,
  encodeResponse,
  type DecodedRequest,
  type DecodedResponse,
  type RequestHeader,
} from './messages.ts';
export {
  BROKER_VERSIONS,
  CLIENT_API_VERSIONS,
  CONTROLLER_VERSIONS,
  GROUP_API_VERSIONS,
  SUPPORTED_VERSIONS,
  VERSION_POLICY,
  advertisedVersions,
  findVersionRange,
  highestCommonVersion,
  intersectRange,
  type ApiVersionPolicy,
  type ApiVersionRange,
} from './version-policy.ts';
export type { ApiRequest, ApiRequestInput, ApiResponse, ApiResponseInput, Encodable } from './api-messages.ts';
export { ALL_SCHEMAS, SCHEMAS, type Messages } from './generated/index.ts';
// Every API's schema (`produceSchema`, …) and request/response types (`ProduceRequest`, …).
export * from './generated/index.ts';
export { compilePlan, readStruct, writeStruct, ZERO_UUID, type Plan } from './codec.ts';
export { Reader } from './reader.ts';
export { Writer, concat, utf8Length, uvarintSize } from './writer.ts';
export { api, a, f, s, parseVersions, inVersions } from './schema.ts';
export type { ApiSchema, DataSchema, FieldSpec, FieldType, PrimitiveType, FieldOptions, DefaultValue, VersionRange } from './schema.ts';
export {
  consumerAssignmentSchema,
  consumerSubscriptionSchema,
  decodeConsumerAssignment,
  decodeConsumerSubscription,
  encodeConsumerAssignment,
  encodeConsumerSubscription,
  type ConsumerAssignment,
  type ConsumerSubscription,
} from './consumer-protocol.ts';
