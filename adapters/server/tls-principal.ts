/**
 * TLS for Kafka listeners on node:tls (Deno and Bun implement it too): the server context
 * from PEM files, and the principal of a client certificate as Kafka's default principal
 * builder makes it — `User:` and the subject's distinguished name in RFC 2253 form
 * (`User:CN=alice,OU=eng,O=acme`: most specific first, as X500Principal.getName() prints).
 */
import { X509Certificate } from 'node:crypto';
import type { TLSSocket } from 'node:tls';

/** Client certificates on a TLS listener (Kafka's ssl.client.auth). */
export type ClientAuth = 'none' | 'requested' | 'required';

/** TLS settings of a listener, in PEM (Kafka's ssl.keystore.type=PEM / ssl.truststore.type=PEM). */
export interface TlsListenerOptions {
  /** The broker's certificate chain, PEM. */
  readonly cert: string | Uint8Array;
  /** The broker's private key, PEM. */
  readonly key: string | Uint8Array;
  /** Passphrase of an encrypted key (ssl.key.password). */
  readonly passphrase?: string;
  /** CA certificates that sign client certificates (the truststore), PEM. Default: the system's. */
  readonly ca?: string | Uint8Array;
  /** Whether clients must present a certificate. Default `none`. */
  readonly clientAuth?: ClientAuth;
}

/**
 * A certificate subject as RFC 2253 prints it: the relative names of Node's subject (one
 * `TYPE=value` a line, in certificate order, values already escaped by OpenSSL the RFC 2253
 * way — `O=Acme\, Inc.`) reversed and joined with commas.
 */
export function subjectDistinguishedName(subject: string): string {
  return subject.split('\n').filter((l) => l !== '').reverse().join(',');
}

/** The principal of a TLS connection's verified client certificate, or undefined (none, or not verified). */
export function tlsPrincipal(socket: TLSSocket): string | undefined {
  if (!socket.authorized) return undefined;
  const peer = socket.getPeerCertificate();
  if (!peer || !peer.raw) return undefined;
  try {
    return `User:${subjectDistinguishedName(new X509Certificate(peer.raw).subject)}`;
  } catch {
    return undefined;
  }
}
