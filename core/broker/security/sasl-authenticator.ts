/**
 * One connection's SASL authentication on a SASL listener (Kafka's SaslServerAuthenticator),
 * driven by the {@link BrokerSession}:
 *
 * 1. Before the handshake only ApiVersions and SaslHandshake are served; any other request
 *    (a SaslAuthenticate included) closes the connection without an answer, as Kafka's
 *    IllegalSaslStateException does.
 * 2. SaslHandshake names a mechanism: one not enabled is answered UNSUPPORTED_SASL_MECHANISM
 *    with the enabled list, then the connection closes. Handshake v1 means the tokens come
 *    in SaslAuthenticate requests; v0 (old clients, kafka-python's fallback) means they come
 *    as bare size-prefixed frames, answered the same way.
 * 3. The exchange runs until the mechanism names the user: the connection's principal is
 *    `User:<name>` from then on. A refusal is answered AUTHENTICATION_FAILED (58) with the
 *    mechanism's message after connection.failed.authentication.delay.ms, then the
 *    connection closes.
 *
 * Until authenticated, a frame above sasl.server.max.receive.size (512 KiB) closes the
 * connection: an unauthenticated peer cannot make the broker buffer 100 MiB.
 * Re-authentication (KIP-368) is not offered: SaslAuthenticate answers sessionLifetimeMs 0,
 * and SaslHandshake / SaslAuthenticate after authentication reach the broker's handlers,
 * which answer ILLEGAL_SASL_STATE as Kafka's KafkaApis does.
 */
import { type SaslCredentials, type SaslMechanism, type SaslServerExchange, type SaslStep, saslServerExchange } from './sasl-mechanisms.ts';

/** Kafka's sasl.server.max.receive.size default: the largest frame before authentication. */
export const DEFAULT_SASL_MAX_RECEIVE_SIZE = 524288;

/** Kafka's connection.failed.authentication.delay.ms default. */
export const DEFAULT_FAILED_AUTHENTICATION_DELAY_MS = 100;

/** A SASL listener's settings. */
export interface SaslListenerConfig {
  /** The mechanisms offered (sasl.enabled.mechanisms), in the order the handshake lists them. */
  readonly mechanisms: readonly SaslMechanism[];
  /** Where users are looked up. */
  readonly credentials: SaslCredentials;
  /** Largest frame accepted before authentication (sasl.server.max.receive.size). Default 524288. */
  readonly maxReceiveSize?: number;
  /** How long a failed authentication waits before its answer and the close. Default 100 ms; 0 none. */
  readonly failedAuthenticationDelayMs?: number;
}

/** Where a connection's authentication stands. */
export type SaslState = 'handshake' | 'authenticate' | 'complete';

/** The SASL state of one connection. */
export class SaslAuthenticator {
  readonly config: SaslListenerConfig;
  #state: SaslState = 'handshake';
  #rawTokens = false;
  #apiVersionsTaken = false;
  #exchange: SaslServerExchange | undefined;
  #username: string | undefined;

  constructor(config: SaslListenerConfig) {
    this.config = config;
  }

  /** Where authentication stands. */
  get state(): SaslState {
    return this.#state;
  }

  /** True after a v0 handshake, until authenticated: the next frame is a bare token. */
  get expectsRawToken(): boolean {
    return this.#state === 'authenticate' && this.#rawTokens;
  }

  /** The mechanism chosen by the handshake. */
  get mechanism(): SaslMechanism | undefined {
    return this.#exchange?.mechanism;
  }

  /** The authenticated principal (`User:alice`), once complete. */
  get principal(): string | undefined {
    return this.#username === undefined ? undefined : `User:${this.#username}`;
  }

  /** Largest frame accepted now: bounded until authenticated. */
  get maxReceiveSize(): number {
    return this.#state === 'complete' ? Number.POSITIVE_INFINITY : (this.config.maxReceiveSize ?? DEFAULT_SASL_MAX_RECEIVE_SIZE);
  }

  /** Failure delay in ms. */
  get failureDelayMs(): number {
    return this.config.failedAuthenticationDelayMs ?? DEFAULT_FAILED_AUTHENTICATION_DELAY_MS;
  }

  /**
   * An ApiVersions before the handshake: true for the first only. Kafka's authenticator takes
   * one (its HANDSHAKE_OR_VERSIONS_REQUEST state) and closes on another, so an unauthenticated
   * peer cannot keep a connection alive with ApiVersions alone. (One refused for its version
   * is answered before this and not counted, as in Kafka: the client retries lower.)
   */
  takeApiVersions(): boolean {
    if (this.#state !== 'handshake' || this.#apiVersionsTaken) return false;
    this.#apiVersionsTaken = true;
    return true;
  }

  /**
   * A SaslHandshake: the mechanism's exchange starts, or (undefined) the mechanism is not
   * enabled and the caller answers UNSUPPORTED_SASL_MECHANISM and closes.
   */
  handshake(version: number, mechanism: string): SaslMechanism | undefined {
    const chosen = this.config.mechanisms.find((m) => m === mechanism);
    if (chosen === undefined) return undefined;
    this.#exchange = saslServerExchange(chosen, this.config.credentials);
    this.#rawTokens = version === 0;
    this.#state = 'authenticate';
    return chosen;
  }

  /** The client's next token; rejects with SaslAuthenticationError to refuse. */
  async authenticate(token: Uint8Array): Promise<SaslStep> {
    const step = await this.#exchange!.step(token);
    if (step.username !== undefined) {
      this.#username = step.username;
      this.#state = 'complete';
    }
    return step;
  }
}
