/**
 * Framing and headers: request header v1/v2, response header v0/v1, the 4-byte size
 * prefix, and the request/response entry points over the generic codec.
 *
 * Header rules (Kafka's): a flexible request uses header v2 (v1 + a tag buffer; the
 * client id stays an int16-length string); a flexible response uses header v1 (v0 + a
 * tag buffer) — except ApiVersions, whose response header is always v0 so that a client
 * can read it before it knows which versions the broker speaks.
 */
import { TributaryError, kafkaError } from '../errors.ts';
import { KafkaCode } from '../kafka-error-codes.ts';
import { ApiKey, apiName } from './api-keys.ts';
import type { ApiRequest, ApiRequestInput, ApiResponse, ApiResponseInput } from './api-messages.ts';
import { compilePlan, readStruct, writeStruct, type Plan } from './codec.ts';
import { Reader } from './reader.ts';
import type { ApiSchema } from './schema.ts';
import { SCHEMAS } from './generated/index.ts';
import { SUPPORTED_VERSIONS, findVersionRange, type ApiVersionRange } from './version-policy.ts';
import { Writer } from './writer.ts';

/** The fields of a request header. */
export interface RequestHeader {
  apiKey: number;
  apiVersion: number;
  correlationId: number;
  clientId: string | null;
}

/**
 * A decoded request: its header and body, one member per API so that checking
 * `header.apiKey` narrows the body.
 */
export type DecodedRequest<K extends ApiKey = ApiKey> = {
  [P in K]: { header: RequestHeader & { readonly apiKey: P }; body: ApiRequest<P> };
}[K];

/** A decoded response: its correlation id and body. */
export interface DecodedResponse<K extends ApiKey> {
  correlationId: number;
  body: ApiResponse<K>;
}

function isFlexible(schema: ApiSchema | undefined, version: number): boolean {
  return schema !== undefined && schema.flexibleFrom !== null && version >= schema.flexibleFrom;
}

function plan(schema: ApiSchema, version: number, side: 'request' | 'response'): Plan {
  return compilePlan(schema[side], version, isFlexible(schema, version));
}

/**
 * Reads the request header from a frame (the bytes after the size prefix). Unknown API
 * keys are read as header v1, so that the caller can still answer by correlation id.
 */
export function decodeRequestHeader(frame: Uint8Array): { header: RequestHeader; bodyOffset: number } {
  const r = new Reader(frame);
  return { header: readRequestHeader(r), bodyOffset: r.offset };
}

function readRequestHeader(r: Reader): RequestHeader {
  const apiKey = r.int16();
  const apiVersion = r.int16();
  const correlationId = r.int32();
  const clientId = r.nullableString();
  if (isFlexible(SCHEMAS.get(apiKey), apiVersion)) r.skipTaggedFields();
  return { apiKey, apiVersion, correlationId, clientId };
}

/**
 * Decodes a whole request. Only versions in `supported` (default: what the broker
 * advertises) are decoded; the thrown errors carry the header in `details.header`:
 * - an API key not in `supported` → `ERR_UNKNOWN_API` (kafkaCode 35);
 * - a version outside its range → `UNSUPPORTED_VERSION` (35);
 * - a body that does not parse → `ERR_MALFORMED_REQUEST` (kafkaCode 42, INVALID_REQUEST).
 * Bytes after the body are ignored, as Kafka does. A caller that knows which API the frame
 * carries may say so (`decodeRequest<typeof ApiKey.Produce>(frame)`); otherwise check
 * `header.apiKey` to narrow the body.
 */
export function decodeRequest<K extends ApiKey = ApiKey>(
  frame: Uint8Array,
  supported: ReadonlyArray<ApiVersionRange> = SUPPORTED_VERSIONS,
): DecodedRequest<K> {
  const r = new Reader(frame);
  const header = readRequestHeader(r);
  const schema = SCHEMAS.get(header.apiKey);
  const range = findVersionRange(supported, header.apiKey);
  if (!schema || !range) {
    throw new TributaryError('ERR_UNKNOWN_API', `unknown or unsupported API key ${header.apiKey}`, { kafkaCode: KafkaCode.UNSUPPORTED_VERSION, details: { header } });
  }
  if (header.apiVersion < range.minVersion || header.apiVersion > range.maxVersion
    || header.apiVersion < schema.minVersion || header.apiVersion > schema.maxVersion) {
    throw kafkaError(KafkaCode.UNSUPPORTED_VERSION, `${apiName(header.apiKey)} v${header.apiVersion} is not supported (${range.minVersion}–${range.maxVersion})`, { details: { header } });
  }
  try {
    return { header, body: readStruct(r, plan(schema, header.apiVersion, 'request')) } as unknown as DecodedRequest<K>;
  } catch (error) {
    if (error instanceof TributaryError) {
      throw new TributaryError(error.code, `${apiName(header.apiKey)} v${header.apiVersion}: ${error.message}`, { kafkaCode: error.kafkaCode, cause: error, details: { ...error.details, header } });
    }
    throw new TributaryError('ERR_MALFORMED_REQUEST', `${apiName(header.apiKey)} v${header.apiVersion}: unparsable body`, { kafkaCode: KafkaCode.INVALID_REQUEST, cause: error, details: { header } });
  }
}

function schemaFor(apiKey: number, apiVersion: number): ApiSchema {
  const schema = SCHEMAS.get(apiKey);
  if (!schema) throw new TributaryError('ERR_UNKNOWN_API', `no schema for API key ${apiKey}`, { kafkaCode: KafkaCode.UNSUPPORTED_VERSION });
  if (apiVersion < schema.minVersion || apiVersion > schema.maxVersion) {
    throw kafkaError(KafkaCode.UNSUPPORTED_VERSION, `${schema.name} v${apiVersion} is not described (${schema.minVersion}–${schema.maxVersion})`);
  }
  return schema;
}

/** Writes the total size into the 4 bytes reserved at the start of the first chunk. */
function sealFrame(chunks: Uint8Array[]): Uint8Array[] {
  let size = -4;
  for (const c of chunks) size += c.length;
  const first = chunks[0]!;
  new DataView(first.buffer, first.byteOffset, 4).setInt32(0, size);
  return chunks;
}

/**
 * Encodes a response: size prefix, header (v0, or v1 when flexible — never for
 * ApiVersions), body. Returns chunks to write in order; `records` fields given as
 * chunks stay separate chunks (no copy). `Uint8Array` values in the body are referenced,
 * not copied, so they must stay unchanged until the chunks are written.
 */
export function encodeResponse<K extends ApiKey>(apiKey: K, apiVersion: number, correlationId: number, body: ApiResponseInput<K>): Uint8Array[];
/** For a key known only at run time (a server encoding what a handler answered). */
export function encodeResponse(apiKey: number, apiVersion: number, correlationId: number, body: object): Uint8Array[];
export function encodeResponse(apiKey: number, apiVersion: number, correlationId: number, body: object): Uint8Array[] {
  const schema = schemaFor(apiKey, apiVersion);
  const w = new Writer();
  w.int32(0);
  w.int32(correlationId);
  if (apiKey !== ApiKey.ApiVersions && isFlexible(schema, apiVersion)) w.uvarint(0);
  writeStruct(w, plan(schema, apiVersion, 'response'), body as Record<string, unknown>);
  return sealFrame(w.finish());
}

/**
 * The answer to an ApiVersions request in a version we do not serve: a v0 body with
 * UNSUPPORTED_VERSION (35) and our ApiVersions range, so the client retries lower.
 */
export function encodeApiVersionsFallback(
  correlationId: number,
  supported: ReadonlyArray<ApiVersionRange> = SUPPORTED_VERSIONS,
): Uint8Array[] {
  const own = findVersionRange(supported, ApiKey.ApiVersions) ?? { apiKey: ApiKey.ApiVersions, minVersion: 0, maxVersion: 3 };
  return encodeResponse(ApiKey.ApiVersions, 0, correlationId, {
    errorCode: KafkaCode.UNSUPPORTED_VERSION,
    apiKeys: [{ apiKey: ApiKey.ApiVersions, minVersion: own.minVersion, maxVersion: own.maxVersion }],
  });
}

/** Encodes a request (header v1, or v2 when flexible) with its size prefix; for clients and tests. */
export function encodeRequest<K extends ApiKey>(header: RequestHeader & { readonly apiKey: K }, body: ApiRequestInput<K>): Uint8Array[];
/** For a key known only at run time. */
export function encodeRequest(header: RequestHeader, body: object): Uint8Array[];
export function encodeRequest(header: RequestHeader, body: object): Uint8Array[] {
  const schema = schemaFor(header.apiKey, header.apiVersion);
  const w = new Writer();
  w.int32(0);
  w.int16(header.apiKey);
  w.int16(header.apiVersion);
  w.int32(header.correlationId);
  w.string(header.clientId);
  if (isFlexible(schema, header.apiVersion)) w.uvarint(0);
  writeStruct(w, plan(schema, header.apiVersion, 'request'), body as Record<string, unknown>);
  return sealFrame(w.finish());
}

/**
 * Decodes a response frame (bytes after the size prefix) of a known API and version.
 * Malformed input throws `ERR_MALFORMED_RESPONSE`.
 */
export function decodeResponse<K extends ApiKey>(apiKey: K, apiVersion: number, frame: Uint8Array): DecodedResponse<K>;
/** For a key known only at run time: the body is not typed. */
export function decodeResponse(apiKey: number, apiVersion: number, frame: Uint8Array): { correlationId: number; body: unknown };
export function decodeResponse(apiKey: number, apiVersion: number, frame: Uint8Array): { correlationId: number; body: unknown } {
  const schema = schemaFor(apiKey, apiVersion);
  const r = new Reader(frame, 0, frame.byteLength, 'ERR_MALFORMED_RESPONSE');
  const correlationId = r.int32();
  if (apiKey !== ApiKey.ApiVersions && isFlexible(schema, apiVersion)) r.skipTaggedFields();
  return { correlationId, body: readStruct(r, plan(schema, apiVersion, 'response')) };
}
