/**
 * Named listeners as Kafka configures them: `listeners` (`NAME://host:port,…`),
 * `advertised.listeners` (the same names, the addresses clients are told) and
 * `listener.security.protocol.map` (`NAME:PROTOCOL,…`; by default each of PLAINTEXT, SSL,
 * SASL_PLAINTEXT and SASL_SSL maps to itself, so those names need no entry).
 */
import { TributaryError } from '../../errors.ts';

/** Kafka's security protocols. */
export type SecurityProtocol = 'PLAINTEXT' | 'SSL' | 'SASL_PLAINTEXT' | 'SASL_SSL';

/** Every security protocol. */
export const SECURITY_PROTOCOLS: readonly SecurityProtocol[] = ['PLAINTEXT', 'SSL', 'SASL_PLAINTEXT', 'SASL_SSL'];

/** True for a protocol that runs over TLS. */
export function usesTls(protocol: SecurityProtocol): boolean {
  return protocol === 'SSL' || protocol === 'SASL_SSL';
}

/** True for a protocol that authenticates with SASL. */
export function usesSasl(protocol: SecurityProtocol): boolean {
  return protocol === 'SASL_PLAINTEXT' || protocol === 'SASL_SSL';
}

/** One listener: where it binds, what it speaks, what it advertises. */
export interface ListenerEndpoint {
  /** The listener name (upper case, as Kafka normalizes it). */
  readonly name: string;
  readonly securityProtocol: SecurityProtocol;
  /** Interface to bind; '' means every interface (Kafka's empty host). */
  readonly host: string;
  readonly port: number;
}

function invalid(message: string): TributaryError {
  return new TributaryError('ERR_INVALID_CONFIG', message);
}

/** Parses `NAME:PROTOCOL,…` over Kafka's default map (each protocol name maps to itself). */
export function parseSecurityProtocolMap(text: string | undefined): Map<string, SecurityProtocol> {
  const map = new Map<string, SecurityProtocol>(SECURITY_PROTOCOLS.map((p) => [p, p]));
  if (text === undefined || text.trim() === '') return map;
  // An explicit map replaces the default, as in Kafka.
  map.clear();
  for (const entry of text.split(',').map((e) => e.trim()).filter((e) => e !== '')) {
    const colon = entry.indexOf(':');
    const name = entry.slice(0, colon).trim().toUpperCase();
    const protocol = entry.slice(colon + 1).trim().toUpperCase();
    if (colon <= 0 || !SECURITY_PROTOCOLS.includes(protocol as SecurityProtocol)) {
      throw invalid(`listener.security.protocol.map: "${entry}" is not NAME:PROTOCOL with PROTOCOL one of ${SECURITY_PROTOCOLS.join(', ')}`);
    }
    if (map.has(name)) throw invalid(`listener.security.protocol.map: ${name} appears twice`);
    map.set(name, protocol as SecurityProtocol);
  }
  return map;
}

/** Parses one `NAME://host:port` (an IPv6 host in brackets). */
function parseEndpoint(text: string, what: string, protocols: ReadonlyMap<string, SecurityProtocol>): ListenerEndpoint {
  const match = /^([A-Za-z0-9_]+):\/\/(\[[^\]]*\]|[^:]*):(\d+)$/.exec(text.trim());
  if (!match) throw invalid(`${what}: "${text}" is not NAME://host:port`);
  const name = match[1]!.toUpperCase();
  const protocol = protocols.get(name);
  if (protocol === undefined) throw invalid(`${what}: no security protocol for listener ${name}: add it to --listener-security-protocol-map (NAME:PROTOCOL)`);
  const port = Number(match[3]);
  if (port > 65535) throw invalid(`${what}: port ${port} out of range`);
  return { name, securityProtocol: protocol, host: match[2]!.replace(/^\[|\]$/g, ''), port };
}

/**
 * The listeners of `--listeners`, with `--listener-security-protocol-map`; each name and
 * port appears once (port 0, an ephemeral port, may repeat).
 */
export function parseListeners(listeners: string, protocolMap?: string): ListenerEndpoint[] {
  const protocols = parseSecurityProtocolMap(protocolMap);
  const out = listeners.split(',').filter((e) => e.trim() !== '').map((e) => parseEndpoint(e, 'listeners', protocols));
  if (out.length === 0) throw invalid('listeners: at least one listener is needed');
  const names = new Set<string>();
  const ports = new Set<number>();
  for (const l of out) {
    if (names.has(l.name)) throw invalid(`listeners: listener ${l.name} appears twice`);
    if (l.port !== 0 && ports.has(l.port)) throw invalid(`listeners: port ${l.port} is used by two listeners`);
    names.add(l.name);
    ports.add(l.port);
  }
  return out;
}

/**
 * The advertised addresses of `--advertised-listeners`, by listener name: each must name a
 * listener in `listeners`, and may not advertise 0.0.0.0 (clients cannot connect to it).
 * Listeners without an entry advertise their bound address.
 */
export function parseAdvertisedListeners(text: string, listeners: readonly ListenerEndpoint[], protocolMap?: string): Map<string, { host: string; port: number }> {
  const protocols = parseSecurityProtocolMap(protocolMap);
  const out = new Map<string, { host: string; port: number }>();
  for (const entry of text.split(',').filter((e) => e.trim() !== '')) {
    const e = parseEndpoint(entry, 'advertised.listeners', protocols);
    if (!listeners.some((l) => l.name === e.name)) throw invalid(`advertised.listeners: ${e.name} is not one of the listeners (${listeners.map((l) => l.name).join(', ')})`);
    if (e.host === '0.0.0.0' || e.host === '::') throw invalid(`advertised.listeners: ${e.name} cannot advertise the non-routable address ${e.host}`);
    if (out.has(e.name)) throw invalid(`advertised.listeners: listener ${e.name} appears twice`);
    out.set(e.name, { host: e.host, port: e.port });
  }
  return out;
}
