/**
 * The broker's listeners from the command line: `--listeners` with
 * `--advertised-listeners` and `--listener-security-protocol-map` (Kafka's names and
 * defaults), or today's single PLAINTEXT listener from `--host` / `--port`; the PEM files
 * of TLS listeners; the PLAIN users file and the SASL mechanisms of SASL listeners.
 */
import { readFileSync } from 'node:fs';
import type { ServerListener } from '../adapters/server/index.ts';
import { parseAdvertisedListeners, parseListeners, usesSasl, usesTls } from '../core/broker/security/listeners.ts';
import { parsePlainUsers } from '../core/broker/security/plain-users.ts';
import { SASL_MECHANISMS, type SaslMechanism } from '../core/broker/security/sasl-mechanisms.ts';
import { TributaryError } from '../core/errors.ts';
import type { BrokerSettings } from './broker-config.ts';

/** What the broker command starts with. */
export interface ListenerSetup {
  readonly listeners: ServerListener[];
  /** PLAIN users from --sasl-plain-users, when given. */
  readonly plainUsers: Map<string, string> | undefined;
}

function readPem(file: string, flag: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (cause) {
    throw new TributaryError('ERR_INVALID_CONFIG_FILE', `${flag}: cannot read ${file}: ${(cause as Error).message}`, { cause });
  }
}

/** The listeners the settings describe; `explicit` says whether --host / --port were given. */
export function listenerSetup(settings: BrokerSettings, explicit: ReadonlySet<keyof BrokerSettings>): ListenerSetup {
  const plainUsers = settings.saslPlainUsers === undefined ? undefined : parsePlainUsers(readPem(settings.saslPlainUsers, '--sasl-plain-users'));
  if (settings.listeners === undefined) {
    if (settings.advertisedListeners !== undefined) throw new TributaryError('ERR_INVALID_ARGUMENT', '--advertised-listeners needs --listeners');
    return {
      plainUsers,
      listeners: [{
        host: settings.host,
        port: settings.port,
        ...(settings.advertisedHost ? { advertisedHost: settings.advertisedHost } : {}),
        ...(settings.advertisedPort !== undefined ? { advertisedPort: settings.advertisedPort } : {}),
      }],
    };
  }
  for (const key of ['host', 'port', 'advertisedHost', 'advertisedPort'] as const) {
    if (explicit.has(key)) throw new TributaryError('ERR_INVALID_ARGUMENT', `--listeners replaces --host, --port, --advertised-host and --advertised-port: give addresses in --listeners / --advertised-listeners only`);
  }
  let parsed;
  let advertised;
  try {
    parsed = parseListeners(settings.listeners, settings.listenerSecurityProtocolMap);
    advertised = parseAdvertisedListeners(settings.advertisedListeners ?? '', parsed, settings.listenerSecurityProtocolMap);
  } catch (error) {
    throw new TributaryError('ERR_INVALID_ARGUMENT', (error as Error).message, { cause: error });
  }
  let mechanisms: SaslMechanism[] | undefined;
  if (settings.saslEnabledMechanisms !== undefined) {
    mechanisms = settings.saslEnabledMechanisms.split(',').map((m) => m.trim().toUpperCase()).filter((m) => m !== '') as SaslMechanism[];
    for (const m of mechanisms) if (!SASL_MECHANISMS.includes(m)) throw new TributaryError('ERR_INVALID_ARGUMENT', `--sasl-enabled-mechanisms: unknown mechanism ${m} (known: ${SASL_MECHANISMS.join(', ')})`);
  } else {
    mechanisms = plainUsers === undefined ? ['SCRAM-SHA-256', 'SCRAM-SHA-512'] : [...SASL_MECHANISMS];
  }
  const anyTls = parsed.some((l) => usesTls(l.securityProtocol));
  if (anyTls && (settings.sslCert === undefined || settings.sslKey === undefined)) {
    throw new TributaryError('ERR_INVALID_ARGUMENT', 'SSL and SASL_SSL listeners need --ssl-cert and --ssl-key (PEM files)');
  }
  const tls = anyTls
    ? {
        cert: readPem(settings.sslCert!, '--ssl-cert'),
        key: readPem(settings.sslKey!, '--ssl-key'),
        ...(settings.sslCa !== undefined ? { ca: readPem(settings.sslCa, '--ssl-ca') } : {}),
        ...(settings.sslKeyPassword !== undefined ? { passphrase: settings.sslKeyPassword } : {}),
        clientAuth: settings.sslClientAuth,
      }
    : undefined;
  const listeners = parsed.map((l): ServerListener => {
    const ad = advertised.get(l.name);
    return {
      name: l.name,
      securityProtocol: l.securityProtocol,
      host: l.host,
      port: l.port,
      ...(ad !== undefined ? { advertisedHost: ad.host, advertisedPort: ad.port } : {}),
      ...(usesTls(l.securityProtocol) ? { tls: tls! } : {}),
      ...(usesSasl(l.securityProtocol) ? { saslMechanisms: mechanisms } : {}),
    };
  });
  return { listeners, plainUsers };
}
