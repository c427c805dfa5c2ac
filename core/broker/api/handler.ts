/**
 * What a request handler is: the API it answers, the versions it fully implements, and a
 * function over the broker's narrow context (never the Broker class itself).
 */
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
  readonly clientHost?: string;
}

/** A decoded response body, or null when the request gets no response (acks=0). */
export type ResponseBody = Record<string, unknown> | null;

/** An inclusive version range. */
export interface VersionRange {
  readonly min: number;
  readonly max: number;
}

/** Answers one API over decoded request bodies. */
export type RequestHandler = (ctx: BrokerContext, header: BrokerRequestHeader, body: any) => Promise<ResponseBody> | ResponseBody;

/** A handler with the API key it answers and the version range it fully implements. */
export interface HandlerEntry<K extends number = number> {
  readonly apiKey: K;
  /** What this handler implements; the broker advertises it cut to the codec's range. */
  readonly versions: VersionRange;
  readonly handle: RequestHandler;
}
