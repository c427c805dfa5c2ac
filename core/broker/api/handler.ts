/**
 * What a request handler is: the API it answers, the versions it fully implements, and a
 * function over the broker's narrow context (never the Broker class itself), typed by the
 * generated request and response of its API.
 */
import type { ApiKey } from '../../protocol/api-keys.ts';
import type { ApiRequest, ApiResponseInput } from '../../protocol/api-messages.ts';
import type { BrokerContext } from './context.ts';

/** The request header fields handlers see (structurally the protocol's RequestHeader). */
export interface BrokerRequestHeader {
  readonly apiKey: number;
  readonly apiVersion: number;
  readonly correlationId: number;
  readonly clientId: string | null;
  /**
   * Where the request came from, as Kafka shows it (`/127.0.0.1`): DescribeGroups reports
   * it per member. Absent for in-process callers.
   */
  readonly clientHost?: string;  /**
   * Who sent the request, as Kafka's KafkaPrincipal prints (`User:alice`): set once SASL or a
   * client certificate authenticated the connection (issue 14). Absent means `User:ANONYMOUS`
   * (a PLAINTEXT listener, or an in-process caller).
   */
  readonly principal?: string;
  /**
   * The listener the request came in on (`PLAINTEXT`, `SASL_SSL`, …): Metadata,
   * DescribeCluster and FindCoordinator answer with that listener's addresses. Absent: the
   * registered address (in-process callers).
   */
  readonly listener?: string;
}

/** A response body as the broker hands it to the codec, or null when the request gets no response (acks=0). */
export type ResponseBody = Record<string, unknown> | null;

/** An inclusive version range. */
export interface VersionRange {
  readonly min: number;
  readonly max: number;
}

/** What a handler of API `K` answers: its response (missing fields take their defaults), or null for none. */
export type HandlerResult<K extends ApiKey> = ApiResponseInput<K> | null;

/**
 * A handler with the API key it answers and the version range it fully implements. `C` is
 * the context it runs over: the broker's {@link BrokerContext}, or the controller
 * listener's ControllerContext (core/broker/controller/api/context.ts).
 */
export interface HandlerEntry<K extends ApiKey = ApiKey, C = BrokerContext> {
  readonly apiKey: K;
  /** What this handler implements; the broker advertises it ∩ schema ∩ version policy. */
  readonly versions: VersionRange;
  /** Answers one decoded request of API `K`. */
  handle(ctx: C, header: BrokerRequestHeader, body: ApiRequest<K>): Promise<HandlerResult<K>> | HandlerResult<K>;
}

/** The answering function of a handler of API `K` over context `C`. */
export type RequestHandler<K extends ApiKey = ApiKey, C = BrokerContext> = HandlerEntry<K, C>['handle'];
