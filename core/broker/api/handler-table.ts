/**
 * The handlers of one listener by API key: what it advertises (each handler's range ∩ the
 * schema ∩ a version policy, core/protocol/version-policy.ts) and the one dispatch rule —
 * an API without a handler is `ERR_UNKNOWN_API`, a version outside the advertised range
 * `UNSUPPORTED_VERSION`, anything else goes to the handler with the listener's context.
 * The controller listener (controller/controller-server.ts) serves its handlers through it.
 */
import { TributaryError } from '../../errors.ts';
import type { ApiKey } from '../../protocol/api-keys.ts';
import type { ApiRequest } from '../../protocol/api-messages.ts';
import { advertisedVersions, findVersionRange, type ApiVersionRange } from '../../protocol/version-policy.ts';
import type { BrokerRequestHeader, HandlerEntry, ResponseBody } from './handler.ts';

/** Handlers by API key over context `C`, cut to a version policy. */
export class HandlerTable<C> {
  readonly #handlers = new Map<number, HandlerEntry<ApiKey, C>>();
  readonly #policy: readonly ApiVersionRange[];
  #advertised: readonly ApiVersionRange[] | undefined;

  /** Later entries for the same API key replace earlier ones. */
  constructor(handlers: Iterable<HandlerEntry<ApiKey, C>>, policy: readonly ApiVersionRange[]) {
    this.#policy = policy;
    for (const entry of handlers) this.#handlers.set(entry.apiKey, entry);
  }

  /** Adds or replaces the handler of an API. */
  register<K extends ApiKey>(entry: HandlerEntry<K, C>): void {
    this.#handlers.set(entry.apiKey, entry as unknown as HandlerEntry<ApiKey, C>);
    this.#advertised = undefined;
  }

  /** What ApiVersions advertises; the same array until a handler is registered (the codec caches lookups per array). */
  apiVersions(): readonly ApiVersionRange[] {
    this.#advertised ??= advertisedVersions(
      [...this.#handlers].map(([apiKey, h]) => [apiKey, { minVersion: h.versions.min, maxVersion: h.versions.max }] as const),
      this.#policy,
    );
    return this.#advertised;
  }

  /** True when `apiKey` at `version` is advertised. */
  supports(apiKey: number, version: number): boolean {
    const range = findVersionRange(this.apiVersions(), apiKey);
    return range !== undefined && version >= range.minVersion && version <= range.maxVersion;
  }

  /**
   * Answers one decoded request with `ctx`. Throws `ERR_UNKNOWN_API` / `UNSUPPORTED_VERSION`
   * for what is not advertised (the session closes the connection, as Kafka does).
   */
  async handle(ctx: C, header: BrokerRequestHeader, body: unknown): Promise<ResponseBody> {
    const entry = this.#handlers.get(header.apiKey);
    if (!entry) throw new TributaryError('ERR_UNKNOWN_API', `API key ${header.apiKey} is not served`);
    if (!this.supports(header.apiKey, header.apiVersion)) {
      throw new TributaryError('UNSUPPORTED_VERSION', `API ${header.apiKey} v${header.apiVersion} is not supported`, { kafkaCode: 35 });
    }
    // The one trust boundary: the session decoded `body` as the request of `header.apiKey`.
    return (await entry.handle(ctx, header, body as ApiRequest<ApiKey>)) as ResponseBody;
  }
}
