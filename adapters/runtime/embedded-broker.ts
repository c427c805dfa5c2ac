/**
 * An embedded broker: a Broker in this process with in-process clients (no socket at
 * all) and, when asked, a TCP listener so that other programs and real Kafka clients
 * can reach it too. Starts in milliseconds on memory storage.
 */
import { Broker, type BrokerOptions } from '../../core/broker/broker.ts';
import { DEFAULT_HANDLERS } from '../../core/broker/api/preset.ts';
import { Client, type ClientOptions } from '../../core/client/client.ts';
import { inProcessTransport } from '../../core/client/in-process-transport.ts';
import type { Storage } from '../../core/contracts/storage.ts';
import type { Registry } from '../../core/registry.ts';
import { startServer, type ServerOptions, type TributaryServer } from '../server/index.ts';
import { nodeAsyncScope } from './async-scope.ts';
import { createDefaultRegistry } from './default-registry.ts';

/** Options of {@link createBroker}. */
export interface EmbeddedBrokerOptions extends Omit<BrokerOptions, 'storage' | 'handlers'> {
  /** The APIs the broker answers. Default: every API Tributary serves (`DEFAULT_HANDLERS`). */
  readonly handlers?: BrokerOptions['handlers'];
  /**
   * A storage adapter, or the name of one in the registry with its options
   * (`{ name: 'filesystem', options: { dir: './data' } }`). Default: memory.
   */
  readonly storage?: Storage | { readonly name: string; readonly options?: unknown };
  /** Where storage adapters are found by name, and what clients use. Default: the built-ins. */
  readonly registry?: Registry;
  /** Also listen for Kafka clients over TCP (`true` = 127.0.0.1 on a free port). */
  readonly listen?: boolean | ServerOptions;
}

/** Options of {@link EmbeddedBroker.client}: a client's options without the wiring. */
export type EmbeddedClientOptions = Partial<Omit<ClientOptions, 'transport'>>;

/** A running broker in this process. */
export class EmbeddedBroker {
  /** The broker itself (handlers, topics, storage). */
  readonly broker: Broker;
  /** The registry clients of this broker use. */
  readonly registry: Registry;
  #server: TributaryServer | undefined;

  constructor(broker: Broker, registry: Registry) {
    this.broker = broker;
    this.registry = registry;
  }

  /** `host:port` of the TCP listener, or undefined when there is none. */
  get address(): string | undefined {
    return this.#server?.address;
  }

  /** The TCP server with every listener (`server.listeners`), or undefined when there is none. */
  get server(): TributaryServer | undefined {
    return this.#server;
  }

  /** Starts a TCP listener (idempotent); resolves with its `host:port`. */
  async listen(options: ServerOptions = {}): Promise<string> {
    this.#server ??= await startServer(this.broker, { host: '127.0.0.1', port: 0, ...options });
    return this.#server.address;
  }

  /**
   * A client that calls this broker's handlers directly (no socket, no framing). With
   * `principal` its requests act as that principal (`User:alice`) for the broker's
   * authorizer; otherwise as User:ANONYMOUS.
   */
  client(options: EmbeddedClientOptions & { readonly principal?: string } = {}): Client {
    const { principal, ...clientOptions } = options;
    return new Client({ brokers: ['embedded:0'], registry: this.registry, asyncScope: nodeAsyncScope(), ...clientOptions, transport: inProcessTransport(this.broker, principal !== undefined ? { principal } : {}) });
  }

  /** Shuts down: the listener drains, then the broker closes its storage. */
  async close(): Promise<void> {
    if (this.#server) await this.#server.close();
    else await this.broker.close();
  }
}

/**
 * Starts a broker in this process: memory storage unless told otherwise, in-process
 * clients through `broker.client()`, and a TCP listener with `listen`.
 */
export async function createBroker(options: EmbeddedBrokerOptions = {}): Promise<EmbeddedBroker> {
  const registry = options.registry ?? createDefaultRegistry();
  const { storage: storageOption, listen, registry: _registry, ...brokerOptions } = options;
  let storage: Storage;
  if (storageOption === undefined) storage = registry.create('storage', 'memory');
  else if ('openPartition' in storageOption) storage = storageOption;
  else storage = registry.create('storage', storageOption.name, storageOption.options);
  // An embedded broker serves tests and single apps: a new group forms at once instead of
  // waiting Kafka's 3 s group.initial.rebalance.delay.ms for more members (override via groups).
  const broker = new Broker({
    codecs: registry,
    ...brokerOptions,
    handlers: brokerOptions.handlers ?? DEFAULT_HANDLERS,
    groups: { initialRebalanceDelayMs: 0, ...brokerOptions.groups },
    storage,
  });
  await broker.start();
  const embedded = new EmbeddedBroker(broker, registry);
  if (listen) await embedded.listen(listen === true ? {} : listen);
  return embedded;
}
