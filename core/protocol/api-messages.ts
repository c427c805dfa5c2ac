/**
 * One typed map from API key to its request and response types (generated from Kafka's
 * message definitions): what the client's `send<K>()`, the transports and the broker's
 * handlers are typed by.
 *
 * Two shapes per message, as the codec treats them:
 * - decoded ({@link ApiRequest}, {@link ApiResponse}): every field is present — fields the
 *   version lacks hold their defaults;
 * - encodable ({@link ApiRequestInput}, {@link ApiResponseInput}): every field optional —
 *   a missing field is written as its default — arrays may be readonly, and bytes or
 *   records fields may be a list of chunks (written one after the other, never copied).
 */
import type { ApiKey } from './api-keys.ts';
import type { Messages } from './generated/index.ts';

export type { Messages };

/** The decoded request of API `K` (`ApiRequest<typeof ApiKey.Produce>` is `ProduceRequest`). */
export type ApiRequest<K extends ApiKey> = Messages[K]['request'];

/** The decoded response of API `K`. */
export type ApiResponse<K extends ApiKey> = Messages[K]['response'];

/** What the codec writes for a value of decoded type `T`: see the module comment. */
export type Encodable<T> =
  T extends Uint8Array ? Uint8Array | readonly Uint8Array[]
    : T extends ReadonlyArray<infer E> ? ReadonlyArray<Encodable<E>>
      : T extends object ? { [P in keyof T]?: Encodable<T[P]> }
        : T;

/** A request body of API `K` as a client builds it (missing fields take their defaults). */
export type ApiRequestInput<K extends ApiKey> = Encodable<ApiRequest<K>>;

/** A response body of API `K` as a handler builds it (missing fields take their defaults). */
export type ApiResponseInput<K extends ApiKey> = Encodable<ApiResponse<K>>;

// The generated map and the API keys must name the same APIs.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : never) : never;
const sameKeys: Same<keyof Messages, ApiKey> = true;
void sameKeys;
