/**
 * The server side of the SASL mechanisms a broker offers: PLAIN (RFC 4616) and
 * SCRAM-SHA-256 / SCRAM-SHA-512 (RFC 5802, 7677). Each is an exchange of tokens — the
 * client's in, the server's out — ending in the authenticated user name, or in a
 * {@link SaslAuthenticationError} whose message the client sees (AUTHENTICATION_FAILED)
 * and which never carries a secret.
 */
import { TributaryError } from '../../errors.ts';
import {
  equalBytes,
  fromBase64,
  fromSaslName,
  type ScramCredential,
  type ScramMechanism,
  scramAttributes,
  scramHash,
  scramHmac,
  scramNonce,
  toBase64,
  xorBytes,
} from '../../security/scram.ts';

/** Every mechanism name a broker may enable (sasl.enabled.mechanisms). */
export type SaslMechanism = 'PLAIN' | ScramMechanism;

/** The mechanisms we implement, in the order a handshake lists them. */
export const SASL_MECHANISMS: readonly SaslMechanism[] = ['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512'];

/** Where a broker finds users: PLAIN's passwords and SCRAM's salted credentials. */
export interface SaslCredentials {
  /** True when `username` has this password for PLAIN (Kafka's PlainServerCallbackHandler). */
  checkPlain(username: string, password: string): boolean | Promise<boolean>;
  /** The user's stored SCRAM credential for `mechanism`, or undefined. */
  scramCredential(username: string, mechanism: ScramMechanism): ScramCredential | undefined;
}

/** A refused authentication: AUTHENTICATION_FAILED (58) with this message. */
export class SaslAuthenticationError extends TributaryError {
  /** The user the client named, when it got that far (for the log line; never the secret). */
  readonly username: string | undefined;

  constructor(message: string, username?: string) {
    super('SASL_AUTHENTICATION_FAILED', message, { kafkaCode: 58 });
    this.username = username;
  }
}

/** One step's outcome: the server's token, and the user once the exchange is complete. */
export interface SaslStep {
  readonly response: Uint8Array;
  /** Set on the last step: the authenticated user name. */
  readonly username?: string;
}

/** A server exchange of one mechanism, for one authentication. */
export interface SaslServerExchange {
  readonly mechanism: SaslMechanism;
  /** Takes the client's next token; throws {@link SaslAuthenticationError} to refuse. */
  step(token: Uint8Array): Promise<SaslStep>;
}

const decoder = new TextDecoder('utf-8', { fatal: true });
const encoder = new TextEncoder();
const EMPTY = new Uint8Array(0);

function utf8(token: Uint8Array, what: string): string {
  try {
    return decoder.decode(token);
  } catch {
    throw new SaslAuthenticationError(`Authentication failed: the ${what} is not valid UTF-8`);
  }
}

/** Starts an exchange of `mechanism` over `credentials`. */
export function saslServerExchange(mechanism: SaslMechanism, credentials: SaslCredentials): SaslServerExchange {
  return mechanism === 'PLAIN' ? new PlainExchange(credentials) : new ScramServerExchange(mechanism, credentials);
}

/** PLAIN: one token `authzid NUL authcid NUL password`, checked against the configured users. */
class PlainExchange implements SaslServerExchange {
  readonly mechanism = 'PLAIN' as const;
  readonly #credentials: SaslCredentials;
  #done = false;

  constructor(credentials: SaslCredentials) {
    this.#credentials = credentials;
  }

  async step(token: Uint8Array): Promise<SaslStep> {
    if (this.#done) throw new SaslAuthenticationError('Authentication failed: PLAIN takes a single message');
    this.#done = true;
    const parts = utf8(token, 'PLAIN message').split('\u0000');
    if (parts.length !== 3) throw new SaslAuthenticationError('Authentication failed: invalid PLAIN message (expected authzid, username and password separated by NUL)');
    const [authzid, username, password] = parts as [string, string, string];
    if (username === '') throw new SaslAuthenticationError('Authentication failed: username not specified');
    if (password === '') throw new SaslAuthenticationError('Authentication failed: password not specified', username);
    // As Kafka: an authorization id, when given, must be the user itself (no impersonation).
    if (authzid !== '' && authzid !== username) throw new SaslAuthenticationError('Authentication failed: Client requested an authorization id that is different from username', username);
    if (!(await this.#credentials.checkPlain(username, password))) throw new SaslAuthenticationError('Authentication failed: Invalid username or password', username);
    return { response: EMPTY, username };
  }
}

/**
 * SCRAM's server: client-first (`n,,n=user,r=cnonce`) → server-first (`r=…,s=salt,i=n`),
 * client-final (`c=…,r=…,p=proof`) → server-final (`v=signature`). The proof is checked
 * against the stored key; the server signature proves the broker knows the user too.
 */
class ScramServerExchange implements SaslServerExchange {
  readonly mechanism: ScramMechanism;
  readonly #credentials: SaslCredentials;
  #state: 'first' | 'final' | 'done' = 'first';
  #username = '';
  #credential: ScramCredential | undefined;
  #gs2Header = '';
  #clientFirstBare = '';
  #serverFirst = '';
  #nonce = '';

  constructor(mechanism: ScramMechanism, credentials: SaslCredentials) {
    this.mechanism = mechanism;
    this.#credentials = credentials;
  }

  async step(token: Uint8Array): Promise<SaslStep> {
    if (this.#state === 'first') return this.#first(utf8(token, 'SCRAM client-first message'));
    if (this.#state === 'final') return this.#final(utf8(token, 'SCRAM client-final message'));
    throw new SaslAuthenticationError('Authentication failed: the SCRAM exchange is already complete');
  }

  #first(message: string): SaslStep {
    // gs2-header: 'n' (no channel binding) or 'y', an optional a=authzid, then the bare message.
    const match = /^([ny]),(a=[^,]*)?,(.*)$/s.exec(message);
    if (!match) {
      if (message.startsWith('p=')) throw new SaslAuthenticationError('Authentication failed: SCRAM channel binding is not supported');
      throw new SaslAuthenticationError('Authentication failed: invalid SCRAM client-first message');
    }
    const authzid = match[2]?.slice(2);
    this.#gs2Header = `${match[1]},${match[2] ?? ''},`;
    this.#clientFirstBare = match[3]!;
    let attributes: Map<string, string>;
    try {
      attributes = scramAttributes(this.#clientFirstBare);
    } catch {
      throw new SaslAuthenticationError('Authentication failed: invalid SCRAM client-first message');
    }
    const saslName = attributes.get('n');
    const clientNonce = attributes.get('r');
    if (saslName === undefined || clientNonce === undefined || clientNonce === '') throw new SaslAuthenticationError('Authentication failed: invalid SCRAM client-first message');
    try {
      this.#username = fromSaslName(saslName);
    } catch {
      throw new SaslAuthenticationError('Authentication failed: invalid SCRAM username');
    }
    if (authzid !== undefined && authzid !== '' && fromSaslName(authzid) !== this.#username) {
      throw new SaslAuthenticationError('Authentication failed: Client requested an authorization id that is different from username', this.#username);
    }
    this.#credential = this.#credentials.scramCredential(this.#username, this.mechanism);
    if (this.#credential === undefined) throw new SaslAuthenticationError('Authentication failed: Invalid user credentials', this.#username);
    this.#nonce = clientNonce + scramNonce();
    this.#serverFirst = `r=${this.#nonce},s=${toBase64(this.#credential.salt)},i=${this.#credential.iterations}`;
    this.#state = 'final';
    return { response: encoder.encode(this.#serverFirst) };
  }

  async #final(message: string): Promise<SaslStep> {
    this.#state = 'done';
    const proofAt = message.lastIndexOf(',p=');
    if (proofAt < 0) throw new SaslAuthenticationError('Authentication failed: invalid SCRAM client-final message', this.#username);
    const withoutProof = message.slice(0, proofAt);
    let attributes: Map<string, string>;
    let proof: Uint8Array;
    try {
      attributes = scramAttributes(withoutProof);
      proof = fromBase64(message.slice(proofAt + 3));
    } catch {
      throw new SaslAuthenticationError('Authentication failed: invalid SCRAM client-final message', this.#username);
    }
    // Kafka's ScramSaslServer checks that the nonce ends with the server's, not equality:
    // librdkafka (2.0 here) sends its own nonce again in front of the one it was given.
    if (!(attributes.get('r') ?? '').endsWith(this.#nonce)) throw new SaslAuthenticationError('Authentication failed: invalid SCRAM nonce', this.#username);
    let binding: string;
    try {
      binding = new TextDecoder().decode(fromBase64(attributes.get('c') ?? ''));
    } catch {
      binding = '';
    }
    if (binding !== this.#gs2Header) throw new SaslAuthenticationError('Authentication failed: invalid SCRAM channel binding', this.#username);
    const credential = this.#credential!;
    const authMessage = `${this.#clientFirstBare},${this.#serverFirst},${withoutProof}`;
    const clientSignature = await scramHmac(this.mechanism, credential.storedKey, authMessage);
    if (proof.length !== clientSignature.length) throw new SaslAuthenticationError(`Authentication failed during authentication due to invalid credentials with SASL mechanism ${this.mechanism}`, this.#username);
    const clientKey = xorBytes(proof, clientSignature);
    if (!equalBytes(await scramHash(this.mechanism, clientKey), credential.storedKey)) {
      throw new SaslAuthenticationError(`Authentication failed during authentication due to invalid credentials with SASL mechanism ${this.mechanism}`, this.#username);
    }
    const serverSignature = await scramHmac(this.mechanism, credential.serverKey, authMessage);
    return { response: encoder.encode(`v=${toBase64(serverSignature)}`), username: this.#username };
  }
}
