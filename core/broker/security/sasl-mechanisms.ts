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
  randomBytes,
  SCRAM_MIN_ITERATIONS,
  fromBase64,
  fromSaslName,
  type ScramCredential,
  type ScramMechanism,
  scramHash,
  scramHashLength,
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
  /**
   * Why, for the broker's log only, when the client's message is deliberately vague (SCRAM:
   * whether the user exists must not reach the client). Never a secret.
   */
  readonly detail: string | undefined;

  constructor(message: string, username?: string, detail?: string) {
    super('SASL_AUTHENTICATION_FAILED', message, { kafkaCode: 58 });
    this.username = username;
    this.detail = detail;
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

// The SCRAM grammar (RFC 5802 §7) as Kafka's ScramMessages accepts it, each message matched
// whole: attributes in their order, no duplicates, nothing left over. A saslname is any
// character but NUL, ',' and '=' (which come escaped as =2C and =3D: UTF-8 user names are
// kept); a nonce is printable ASCII but ','; base64 is strict (padding, no whitespace).
const SASLNAME = '(?:[^\\u0000,=]|=2C|=3D)+';
const PRINTABLE = '[\\x21-\\x2B\\x2D-\\x7E]+';
const VALUE = '[\\x01-\\x2B\\x2D-\\x7F]+';
const EXTENSIONS = `(?:,[A-Za-z]+=${VALUE})*`;
const BASE64 = '(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?';
/** gs2-header `n,[a=authzid],` [m=…,] n=saslname,r=nonce[,extensions]. */
const CLIENT_FIRST = new RegExp(`^n,(?:a=(${SASLNAME}))?,(m=${VALUE},)?n=(${SASLNAME}),r=(${PRINTABLE})(${EXTENSIONS})$`, 'u');
/** c=channel-binding,r=nonce[,extensions],p=proof. */
const CLIENT_FINAL = new RegExp(`^c=(${BASE64}),r=(${PRINTABLE})${EXTENSIONS},p=(${BASE64})$`);

// Keys the decoy credentials of unknown users: stable for this process, so a user's salt does
// not change between attempts and give away that it is made up.
const DECOY_SECRET = randomBytes(32);

/**
 * SCRAM's server: client-first (`n,,n=user,r=cnonce`) → server-first (`r=…,s=salt,i=n`),
 * client-final (`c=…,r=…,p=proof`) → server-final (`v=signature`). The proof is checked
 * against the stored key; the server signature proves the broker knows the user too.
 *
 * Every refusal but another authzid tells the client only Kafka's generic "invalid
 * credentials" (Kafka keeps a SaslException's text out of the response, since it may tell
 * whether the user exists); the reason goes to the log. An unknown user goes on with a decoy
 * credential and fails at the proof, as a wrong password does (RFC 5802 §9), so neither the
 * message nor the step of the refusal tells who has an account.
 */
class ScramServerExchange implements SaslServerExchange {
  readonly mechanism: ScramMechanism;
  readonly #credentials: SaslCredentials;
  #state: 'first' | 'final' | 'done' = 'first';
  #username = '';
  #credential: ScramCredential | undefined;
  #known = false;
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
    throw this.#refuse('the SCRAM exchange is already complete');
  }

  /** A refusal with Kafka's generic message; `detail` is for the broker's log. */
  #refuse(detail: string, username?: string): SaslAuthenticationError {
    return new SaslAuthenticationError(`Authentication failed during authentication due to invalid credentials with SASL mechanism ${this.mechanism}`, username, detail);
  }

  async #first(message: string): Promise<SaslStep> {
    this.#state = 'done';
    const match = CLIENT_FIRST.exec(message);
    if (!match) {
      // 'p=' asks for channel binding, 'y' says the client could do it: we offer none (as Kafka, only 'n').
      if (/^[py][,=]/.test(message)) throw this.#refuse('SCRAM channel binding is not supported');
      throw this.#refuse('invalid SCRAM client-first message');
    }
    const [, authzid, reserved, saslName, clientNonce, extensions] = match as unknown as [string, string | undefined, string | undefined, string, string, string];
    // RFC 5802 §5.1: a mandatory extension (m=) the server does not know fails the exchange.
    if (reserved !== undefined) throw this.#refuse('a SCRAM mandatory extension (m=) is not supported');
    // Kafka's tokenauth=true logs in with a delegation token, which we do not have: never as a user of that name.
    if (/(^|,)tokenauth=/i.test(extensions)) throw this.#refuse('SCRAM delegation tokens (tokenauth) are not supported');
    this.#gs2Header = `n,${authzid === undefined ? '' : `a=${authzid}`},`;
    this.#clientFirstBare = message.slice(this.#gs2Header.length);
    this.#username = fromSaslName(saslName);
    if (authzid !== undefined && fromSaslName(authzid) !== this.#username) {
      throw new SaslAuthenticationError('Authentication failed: Client requested an authorization id that is different from username', this.#username);
    }
    const stored = this.#credentials.scramCredential(this.#username, this.mechanism);
    // As Kafka's ScramSaslServer: a credential below the minimum (written by an older tool) is not used.
    if (stored !== undefined && stored.iterations < SCRAM_MIN_ITERATIONS) throw this.#refuse(`the stored credential has ${stored.iterations} iterations, below the minimum ${SCRAM_MIN_ITERATIONS}`, this.#username);
    this.#known = stored !== undefined;
    this.#credential = stored ?? (await this.#decoy());
    this.#nonce = clientNonce + scramNonce();
    this.#serverFirst = `r=${this.#nonce},s=${toBase64(this.#credential.salt)},i=${this.#credential.iterations}`;
    this.#state = 'final';
    return { response: encoder.encode(this.#serverFirst) };
  }

  /** A credential no proof matches, with a salt derived from the user name (the same every attempt). */
  async #decoy(): Promise<ScramCredential> {
    const salt = (await scramHmac('SCRAM-SHA-256', DECOY_SECRET, `${this.mechanism}\u0000${this.#username}`)).slice(0, 32);
    return { salt, iterations: SCRAM_MIN_ITERATIONS, storedKey: randomBytes(scramHashLength(this.mechanism)), serverKey: randomBytes(scramHashLength(this.mechanism)) };
  }

  async #final(message: string): Promise<SaslStep> {
    this.#state = 'done';
    const user = this.#username;
    const match = CLIENT_FINAL.exec(message);
    if (!match) throw this.#refuse('invalid SCRAM client-final message', user);
    const [, channel, nonce, proofText] = match as unknown as [string, string, string, string];
    const withoutProof = message.slice(0, message.length - proofText.length - 3);
    // Kafka's ScramSaslServer checks that the nonce ends with the server's, not equality:
    // librdkafka (2.0 here) sends its own nonce again in front of the one it was given.
    if (!nonce.endsWith(this.#nonce)) throw this.#refuse('invalid SCRAM nonce', user);
    if (new TextDecoder().decode(fromBase64(channel)) !== this.#gs2Header) throw this.#refuse('invalid SCRAM channel binding', user);
    const proof = fromBase64(proofText);
    const credential = this.#credential!;
    const authMessage = `${this.#clientFirstBare},${this.#serverFirst},${withoutProof}`;
    const clientSignature = await scramHmac(this.mechanism, credential.storedKey, authMessage);
    if (proof.length !== clientSignature.length) throw this.#refuse(`a SCRAM proof of ${proof.length} bytes (${clientSignature.length} expected)`, user);
    const clientKey = xorBytes(proof, clientSignature);
    const matches = equalBytes(await scramHash(this.mechanism, clientKey), credential.storedKey);
    if (!this.#known) throw this.#refuse('unknown user', user);
    if (!matches) throw this.#refuse('invalid credentials', user);
    const serverSignature = await scramHmac(this.mechanism, credential.serverKey, authMessage);
    return { response: encoder.encode(`v=${toBase64(serverSignature)}`), username: user };
  }
}
