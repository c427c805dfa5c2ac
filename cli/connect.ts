/**
 * Opens the client a command works with: TCP to the given brokers with the default
 * registry, checked up front so that an unreachable broker fails at once with one clear
 * line instead of after the client's retries.
 */
import { Client, type ClientOptions } from '../core/client/client.ts';
import { tcpTransport } from '../adapters/transport/index.ts';
import { cliRegistry } from './cli-registry.ts';
import { lastConnectionSecurity } from './args.ts';

type CreateClientOptions = Omit<ClientOptions, 'transport' | 'registry'>;

/** Settings of {@link openClient}. */
export interface OpenClientOptions extends Partial<Omit<CreateClientOptions, 'brokers'>> {
  /** Let Metadata requests create unknown topics (produce). Default false: the CLI never creates by looking. */
  readonly allowAutoTopicCreation?: boolean;
}

/**
 * A connected client for `brokers`. Connecting is tried once per listed broker with a
 * short timeout; on failure the client is closed and the error (ERR_NO_BROKERS) thrown.
 */
export async function openClient(brokers: readonly string[], options: OpenClientOptions = {}): Promise<Client> {
  const client = new Client({
    transport: tcpTransport(),
    registry: cliRegistry(),
    clientId: 'tributary-cli',
    connectTimeoutMs: 5_000,
    requestTimeoutMs: 30_000,
    retry: { retries: 3, initialRetryTime: 100, maxRetryTime: 2_000 },
    // --ssl / --sasl-* (read by brokersFrom with the brokers they go with).
    ...lastConnectionSecurity(),
    ...options,
    allowAutoTopicCreation: options.allowAutoTopicCreation ?? false,
    brokers: [...brokers],
  });
  try {
    await client.cluster.connect();
  } catch (error) {
    await client.close().catch(() => {});
    throw error;
  }
  return client;
}

/** Runs `body` with a connected client and closes it afterwards, whatever happens. */
export async function withClient<T>(brokers: readonly string[], options: OpenClientOptions, body: (client: Client) => Promise<T>): Promise<T> {
  const client = await openClient(brokers, options);
  try {
    return await body(client);
  } finally {
    await client.close().catch(() => {});
  }
}
