/**
 * SCRAM (RFC 5802, with the SHA-256 of RFC 7677 and the SHA-512 Kafka adds) on WebCrypto
 * only — crypto.subtle's PBKDF2, HMAC and digests — so the broker's server side and the
 * client's side run the same on Node, Deno and Bun.
 *
 * What a broker stores for a user is the salted credential {salt, iterations, StoredKey,
 * ServerKey}: enough to check a proof and to prove itself, never enough to log in as the
 * user (Kafka's ScramCredential, written by AlterUserScramCredentials from a client-side
 * SaltedPassword).
 */
import { TributaryError } from '../errors.ts';

/** The SCRAM mechanisms Kafka knows, with the id AlterUserScramCredentials uses (KIP-554). */
export type ScramMechanism = 'SCRAM-SHA-256' | 'SCRAM-SHA-512';

/** Every SCRAM mechanism, by name. */
export const SCRAM_MECHANISMS: readonly ScramMechanism[] = ['SCRAM-SHA-256', 'SCRAM-SHA-512'];

/** KIP-554's mechanism ids (DescribeUserScramCredentials / AlterUserScramCredentials): 1 and 2. */
export function scramMechanismId(mechanism: ScramMechanism): number {
  return mechanism === 'SCRAM-SHA-256' ? 1 : 2;
}

/** The mechanism of a KIP-554 id, or undefined for 0 (UNKNOWN) and anything else. */
export function scramMechanismOf(id: number): ScramMechanism | undefined {
  return id === 1 ? 'SCRAM-SHA-256' : id === 2 ? 'SCRAM-SHA-512' : undefined;
}

/** Kafka's bounds on iterations (ScramMechanism.minIterations / maxIterations). */
export const SCRAM_MIN_ITERATIONS = 4096;
/** Upper bound: iterations cost the broker CPU on every login. */
export const SCRAM_MAX_ITERATIONS = 16384;

/** A user's salted SCRAM credential for one mechanism (what the broker keeps). */
export interface ScramCredential {
  readonly salt: Uint8Array;
  readonly iterations: number;
  readonly storedKey: Uint8Array;
  readonly serverKey: Uint8Array;
}

const encoder = new TextEncoder();

function hashName(mechanism: ScramMechanism): 'SHA-256' | 'SHA-512' {
  return mechanism === 'SCRAM-SHA-256' ? 'SHA-256' : 'SHA-512';
}

/** Bytes of the mechanism's hash (32 or 64). */
export function scramHashLength(mechanism: ScramMechanism): number {
  return mechanism === 'SCRAM-SHA-256' ? 32 : 64;
}

// Copies into a fresh ArrayBuffer-backed array: WebCrypto's typings refuse SharedArrayBuffer views.
function bytes(data: Uint8Array | string): Uint8Array<ArrayBuffer> {
  if (typeof data === 'string') return encoder.encode(data) as Uint8Array<ArrayBuffer>;
  const copy = new Uint8Array(data.length);
  copy.set(data);
  return copy;
}

/** HMAC(key, data) with the mechanism's hash. */
export async function scramHmac(mechanism: ScramMechanism, key: Uint8Array, data: Uint8Array | string): Promise<Uint8Array> {
  const k = await crypto.subtle.importKey('raw', bytes(key), { name: 'HMAC', hash: hashName(mechanism) }, false, ['sign']);
  return new Uint8Array(await crypto.subtle.sign('HMAC', k, bytes(data)));
}

/** H(data) with the mechanism's hash. */
export async function scramHash(mechanism: ScramMechanism, data: Uint8Array): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.digest(hashName(mechanism), bytes(data)));
}

/**
 * SaltedPassword = Hi(password, salt, i): PBKDF2 with HMAC of the mechanism's hash. The
 * password is taken as its UTF-8 bytes, as Kafka's ScramFormatter does (no SASLprep).
 */
export async function saltedPassword(mechanism: ScramMechanism, password: string, salt: Uint8Array, iterations: number): Promise<Uint8Array> {
  const key = await crypto.subtle.importKey('raw', bytes(password), 'PBKDF2', false, ['deriveBits']);
  const bits = await crypto.subtle.deriveBits({ name: 'PBKDF2', hash: hashName(mechanism), salt: bytes(salt), iterations }, key, scramHashLength(mechanism) * 8);
  return new Uint8Array(bits);
}

/** The stored credential of a salted password: StoredKey = H(HMAC(SP, "Client Key")), ServerKey = HMAC(SP, "Server Key"). */
export async function credentialFromSaltedPassword(mechanism: ScramMechanism, salted: Uint8Array, salt: Uint8Array, iterations: number): Promise<ScramCredential> {
  const clientKey = await scramHmac(mechanism, salted, 'Client Key');
  return {
    salt: bytes(salt),
    iterations,
    storedKey: await scramHash(mechanism, clientKey),
    serverKey: await scramHmac(mechanism, salted, 'Server Key'),
  };
}

/** A credential for a password with a fresh random salt (tests, the CLI's stored-users path). */
export async function newScramCredential(mechanism: ScramMechanism, password: string, iterations = SCRAM_MIN_ITERATIONS): Promise<ScramCredential> {
  const salt = randomBytes(32);
  return credentialFromSaltedPassword(mechanism, await saltedPassword(mechanism, password, salt, iterations), salt, iterations);
}

/** Random bytes from the platform's CSPRNG. */
export function randomBytes(n: number): Uint8Array {
  return crypto.getRandomValues(new Uint8Array(n));
}

/** A printable nonce (RFC 5802 forbids ','; base64 without padding has none). */
export function scramNonce(): string {
  return toBase64(randomBytes(24)).replace(/=+$/, '');
}

/** a XOR b (same length). */
export function xorBytes(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length);
  for (let i = 0; i < a.length; i++) out[i] = a[i]! ^ (b[i] ?? 0);
  return out;
}

/** Constant-time equality, so a proof check does not tell how many leading bytes matched. */
export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!;
  return diff === 0;
}

/** Standard base64 of bytes. */
export function toBase64(data: Uint8Array): string {
  let s = '';
  for (let i = 0; i < data.length; i++) s += String.fromCharCode(data[i]!);
  return btoa(s);
}

/** Bytes of standard base64; `ERR_SASL` when malformed. */
export function fromBase64(text: string): Uint8Array {
  let s: string;
  try {
    s = atob(text);
  } catch {
    throw new TributaryError('ERR_SASL', 'Invalid base64 in a SCRAM message');
  }
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

/** A SCRAM username as a saslname: ',' and '=' escaped as =2C and =3D (RFC 5802 §5.1). */
export function toSaslName(username: string): string {
  return username.replace(/=/g, '=3D').replace(/,/g, '=2C');
}

/** The username of a saslname; `ERR_SASL` for an '=' not starting =2C or =3D. */
export function fromSaslName(saslName: string): string {
  if (/=(?!2C|3D)/.test(saslName)) throw new TributaryError('ERR_SASL', 'Invalid username in a SCRAM message');
  return saslName.replace(/=2C/g, ',').replace(/=3D/g, '=');
}

/**
 * The attributes of a SCRAM message (`a=1,b=2`) by their one-letter names; values may
 * contain '=' (base64), so each is split at its first '=' only.
 */
export function scramAttributes(message: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const part of message.split(',')) {
    if (part.length < 2 || part[1] !== '=') throw new TributaryError('ERR_SASL', 'Invalid SCRAM message');
    out.set(part[0]!, part.slice(2));
  }
  return out;
}
