/**
 * createClient: the entry point of the client — a cluster view shared by the producers,
 * consumers and admins it creates, over a Transport (TCP or in-process).
 */
import type { LogLevel, Logger } from '../contracts/logger.ts';
import { stderrLogger } from '../contracts/logger.ts';
import { TributaryError } from '../errors.ts';
import type { Registry } from '../registry.ts';
import type { AsyncScope } from './async-scope.ts';
import { Admin } from './admin.ts';
import { Cluster } from './cluster.ts';
import { Consumer, type ConsumerOptions } from './consumer.ts';
import { GroupConsumer, type GroupConsumerOptions } from './group/group-consumer.ts';
import { Producer, type ProducerOptions } from './producer.ts';
import type { RetryOptions } from './retry.ts';
import type { CompressionChoice, PartitionerChoice, SerializerChoices, TopicSettings } from './serde.ts';
import type { TlsOptions, TransportFactory } from './transport.ts';
import { type SaslOptions, saslMechanismName } from './sasl-authenticate.ts';

/** Options of {@link createClient}. */
export interface ClientOptions {
  /** Bootstrap brokers, `host:port`; any one that answers is enough. */
  readonly brokers: readonly string[];
  /** Sent in request headers (logs, quotas). Default `tributary`. */
  readonly clientId?: string;
  /** How connections are made: TCP, or in-process for an embedded broker. */
  readonly transport: TransportFactory;
  /** Where serializers, compressors and partitioners are found by name. */
  readonly registry: Registry;
  /**
   * Where the client logs (connections, retries, rebalances). Default: standard error,
   * at {@link logLevel} — warnings and errors, such as a broker that stops answering.
   */
  readonly logger?: Logger;
  /**
   * The level of the default logger (ignored when `logger` is given): debug, info, warn,
   * error, or silent to print nothing. Default `warn`.
   */
  readonly logLevel?: LogLevel;
  /** A request without an answer after this long fails (retriable). Default 30000. */
  readonly requestTimeoutMs?: number;
  /** Connecting gives up after this long. Default 10000. */
  readonly connectTimeoutMs?: number;
  /** Retries for retriable errors; producers and consumers may override. */
  readonly retry?: RetryOptions;
  /** Metadata older than this is refreshed. Default 300000. */
  readonly metadataMaxAgeMs?: number;
  /** Let the broker create topics on first use. Default true. */
  readonly allowAutoTopicCreation?: boolean;
  /** Default key and value serializers (default: raw bytes, strings as UTF-8). */
  readonly serializers?: SerializerChoices;
  /** Default compression of this client's producers, by name or as a Compressor. Default none. */
  readonly compression?: CompressionChoice;
  /** Default partitioner of this client's producers, by name or as a Partitioner. Default `default`. */
  readonly partitioner?: PartitionerChoice;
  /** Per-topic serializers, compression and partitioner (a producer's or consumer's own settings win field by field). */
  readonly topics?: Readonly<Record<string, TopicSettings>>;
  /**
   * How consumers recognise `stop()`/`close()` awaited from inside their own handler
   * (see async-scope.ts): `nodeAsyncScope()` from the runtime adapters. Without it only a
   * stop in the synchronous part of a handler is recognised; one after an await deadlocks.
   */
  readonly asyncScope?: AsyncScope;
  /**
   * Connect over TLS (kafkajs' `ssl`): `true` trusts the system's CAs; or `{ ca, cert, key,
   * rejectUnauthorized, servername }` in PEM. For SSL and SASL_SSL listeners.
   */
  readonly ssl?: boolean | TlsOptions;
  /**
   * Authenticate with SASL (kafkajs' `sasl`): `{ mechanism: 'plain' | 'scram-sha-256' |
   * 'scram-sha-512', username, password }`. For SASL_PLAINTEXT and SASL_SSL listeners.
   */
  readonly sasl?: SaslOptions;
}

/** A client: creates producers, consumers and admins that share its connections. */
export class Client {
  /** The cluster view (metadata and connections). */
  readonly cluster: Cluster;
  /** Where plugins are found by name. */
  readonly registry: Registry;
  /** The client's logger (its producers, consumers and admins log here too). */
  readonly logger: Logger;
  readonly #options: ClientOptions;
  readonly #children = new Set<{ close(): Promise<void> }>();
  #closed: Promise<void> | null = null;

  constructor(options: ClientOptions) {
    if (!options || typeof options !== 'object') throw new TributaryError('ERR_INVALID_ARGUMENT', 'createClient needs options');
    if (!options.registry || typeof options.registry.create !== 'function') throw new TributaryError('ERR_INVALID_ARGUMENT', 'createClient needs a registry');
    if (options.sasl !== undefined) {
      saslMechanismName(options.sasl.mechanism);
      if (typeof options.sasl.username !== 'string' || typeof options.sasl.password !== 'string') throw new TributaryError('ERR_INVALID_OPTION', 'sasl needs a username and a password');
    }
    this.#options = options;
    this.registry = options.registry;
    this.logger = options.logger ?? stderrLogger(options.logLevel ?? 'warn');
    this.cluster = new Cluster({
      brokers: options.brokers,
      transport: options.transport,
      clientId: options.clientId ?? 'tributary',
      requestTimeoutMs: options.requestTimeoutMs ?? 30_000,
      connectTimeoutMs: options.connectTimeoutMs ?? 10_000,
      logger: this.logger,
      metadataMaxAgeMs: options.metadataMaxAgeMs,
      allowAutoTopicCreation: options.allowAutoTopicCreation,
      ...(options.ssl !== undefined && options.ssl !== false ? { ssl: options.ssl } : {}),
      ...(options.sasl !== undefined ? { sasl: options.sasl } : {}),
    });
  }

  #context() {
    if (this.#closed) throw new TributaryError('ERR_CLIENT_CLOSED', 'The client is closed');
    return {
      cluster: this.cluster,
      registry: this.registry,
      logger: this.logger,
      retry: this.#options.retry,
      serializers: this.#options.serializers,
      topics: this.#options.topics,
      compression: this.#options.compression,
      partitioner: this.#options.partitioner,
      asyncScope: this.#options.asyncScope,
    };
  }

  #track<T extends { close(): Promise<void> }>(child: T): T {
    this.#children.add(child);
    return child;
  }

  /** A new producer (connects on first send, or explicitly with `connect()`). */
  producer(options?: ProducerOptions): Producer {
    return this.#track(new Producer(this.#context(), options));
  }

  /** A new consumer: with a `groupId`, a group member (subscribe, then `run`); without, assign partitions, then `run`. */
  consumer(options: GroupConsumerOptions): GroupConsumer;
  consumer(options?: ConsumerOptions): Consumer;
  consumer(options?: ConsumerOptions | GroupConsumerOptions): Consumer {
    if (options && 'groupId' in options && options.groupId !== undefined) return this.#track(new GroupConsumer(this.#context(), options));
    return this.#track(new Consumer(this.#context(), options));
  }

  /** An admin for topics, partitions, configs and offsets. */
  admin(): Admin {
    return this.#track(new Admin(this.#context()));
  }

  /**
   * Closes every producer (delivering what they hold), consumer and admin, then the
   * connections. Calling it again returns the same promise. From inside a consumer's
   * handler it does not wait for that handler (which waits for it).
   */
  close(): Promise<void> {
    this.#closed ??= (async () => {
      await Promise.allSettled([...this.#children].map((c) => c.close()));
      await this.cluster.close();
    })();
    return this.#closed;
  }
}

/** Creates a client (kafkajs-like: `createClient({ brokers, transport, registry })`). */
export function createClient(options: ClientOptions): Client {
  return new Client(options);
}
