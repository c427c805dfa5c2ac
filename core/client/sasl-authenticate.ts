/**
 * The client side of SASL, for any transport: SaslHandshake v1 names the mechanism, then
 * SaslAuthenticate requests carry the tokens — PLAIN's single message, or SCRAM's two
 * rounds (RFC 5802), on WebCrypto so it runs on Node, Deno and Bun. The SCRAM server's
 * signature is checked: a broker that does not know the password cannot pass for one.
 */
import { kafkaError, KafkaCode, TributaryError } from '../errors.ts';
import { ApiKey } from '../protocol/api-keys.ts';
import {
  equalBytes,
  fromBase64,
  type ScramMechanism,
  saltedPassword,
  scramAttributes,
  scramHash,
  scramHmac,
  scramNonce,
  SCRAM_MAX_ITERATIONS,
  SCRAM_MIN_ITERATIONS,
  toBase64,
  toSaslName,
  xorBytes,
} from '../security/scram.ts';
import type { Transport } from './transport.ts';

/** SASL settings of a client, as kafkajs takes them. */
export interface SaslOptions {
  /** `plain`, `scram-sha-256` or `scram-sha-512` (any case). */
  readonly mechanism: 'plain' | 'scram-sha-256' | 'scram-sha-512' | 'PLAIN' | 'SCRAM-SHA-256' | 'SCRAM-SHA-512';
  readonly username: string;
  readonly password: string;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** The mechanism's Kafka name; `ERR_INVALID_OPTION` for one we do not speak. */
export function saslMechanismName(mechanism: string): 'PLAIN' | ScramMechanism {
  const upper = String(mechanism).toUpperCase();
  if (upper === 'PLAIN' || upper === 'SCRAM-SHA-256' || upper === 'SCRAM-SHA-512') return upper;
  throw new TributaryError('ERR_INVALID_OPTION', `sasl.mechanism must be plain, scram-sha-256 or scram-sha-512, not "${mechanism}"`);
}

function versionOf(transport: Transport, apiKey: number, max: number): number {
  const range = transport.apiVersions.find((r) => r.apiKey === apiKey);
  if (!range || range.minVersion > max) throw new TributaryError('ERR_UNSUPPORTED_API', `The broker does not offer ${apiKey === ApiKey.SaslHandshake ? 'SaslHandshake' : 'SaslAuthenticate'}: it has no SASL`);
  return Math.min(range.maxVersion, max);
}

/**
 * Authenticates an open connection (after ApiVersions). Rejects with the broker's error
 * (SASL_AUTHENTICATION_FAILED 58 with its message, UNSUPPORTED_SASL_MECHANISM 33 with the
 * enabled ones, ILLEGAL_SASL_STATE 34 on a listener without SASL); never retriable.
 */
export async function saslAuthenticate(transport: Transport, sasl: SaslOptions): Promise<void> {
  const mechanism = saslMechanismName(sasl.mechanism);
  if (versionOf(transport, ApiKey.SaslHandshake, 1) < 1) throw new TributaryError('ERR_UNSUPPORTED_API', 'The broker offers only SaslHandshake v0 (no SaslAuthenticate)');
  const handshake = await transport.request(ApiKey.SaslHandshake, 1, { mechanism });
  if (handshake.errorCode !== KafkaCode.NONE) {
    const detail = handshake.errorCode === KafkaCode.UNSUPPORTED_SASL_MECHANISM
      ? `${mechanism} is not enabled; the broker offers ${handshake.mechanisms.join(', ') || 'none'}`
      : handshake.errorCode === KafkaCode.ILLEGAL_SASL_STATE
        ? 'SASL is not enabled on this listener (connect to a SASL_PLAINTEXT or SASL_SSL listener, or drop the sasl option)'
        : `SaslHandshake ${mechanism} refused`;
    throw kafkaError(handshake.errorCode, detail);
  }
  const version = versionOf(transport, ApiKey.SaslAuthenticate, 2);
  const step = async (token: Uint8Array): Promise<Uint8Array> => {
    const answer = await transport.request(ApiKey.SaslAuthenticate, version, { authBytes: token });
    if (answer.errorCode !== KafkaCode.NONE) throw kafkaError(answer.errorCode, answer.errorMessage ?? `SASL ${mechanism} authentication failed`);
    return answer.authBytes;
  };
  if (mechanism === 'PLAIN') {
    await step(encoder.encode(`\u0000${sasl.username}\u0000${sasl.password}`));
    return;
  }
  await scramExchange(mechanism, sasl.username, sasl.password, step);
}

/**
 * SCRAM's client: client-first, client-final with the proof, then the server's signature
 * checked. `clientNonce` is random unless a test pins it (RFC 7677's example).
 */
export async function scramExchange(mechanism: ScramMechanism, username: string, password: string, step: (token: Uint8Array) => Promise<Uint8Array>, clientNonce = scramNonce()): Promise<void> {
  const clientFirstBare = `n=${toSaslName(username)},r=${clientNonce}`;
  const serverFirst = decoder.decode(await step(encoder.encode(`n,,${clientFirstBare}`)));
  const attributes = scramAttributes(serverFirst);
  const nonce = attributes.get('r') ?? '';
  const salt = fromBase64(attributes.get('s') ?? '');
  const iterations = Number(attributes.get('i'));
  if (!nonce.startsWith(clientNonce) || nonce === clientNonce) throw new TributaryError('ERR_SASL', 'The broker\'s SCRAM nonce does not extend ours');
  // As Kafka's ScramSaslClient: fewer than 4096 iterations would let a broker in the middle (SASL_PLAINTEXT)
  // have our proof made cheap to brute-force offline; far more than the maximum would only burn our CPU.
  if (!Number.isInteger(iterations) || iterations < SCRAM_MIN_ITERATIONS || iterations > SCRAM_MAX_ITERATIONS * 16) throw new TributaryError('ERR_SASL', `The broker asked for ${attributes.get('i')} SCRAM iterations`);
  const salted = await saltedPassword(mechanism, password, salt, iterations);
  const clientKey = await scramHmac(mechanism, salted, 'Client Key');
  const storedKey = await scramHash(mechanism, clientKey);
  const withoutProof = `c=biws,r=${nonce}`;
  const authMessage = `${clientFirstBare},${serverFirst},${withoutProof}`;
  const proof = xorBytes(clientKey, await scramHmac(mechanism, storedKey, authMessage));
  const serverFinal = decoder.decode(await step(encoder.encode(`${withoutProof},p=${toBase64(proof)}`)));
  const final = scramAttributes(serverFinal);
  if (final.has('e')) throw kafkaError(KafkaCode.SASL_AUTHENTICATION_FAILED, `SCRAM: ${final.get('e')}`);
  const expected = await scramHmac(mechanism, await scramHmac(mechanism, salted, 'Server Key'), authMessage);
  if (!equalBytes(fromBase64(final.get('v') ?? ''), expected)) throw new TributaryError('ERR_SASL', 'The broker\'s SCRAM signature is wrong: it does not know this user\'s credential');
}
