/**
 * Tributary: a Kafka-compatible streaming platform for Node, Deno and Bun.
 *
 * The package entry: the core, the built-in plugins and adapters, wired into a default
 * registry. `createBroker()` starts an embedded broker; `createClient({ brokers })`
 * talks to any Kafka-compatible broker over TCP.
 *
 * This entry imports no optional package. What needs one has its own entry, loaded only
 * when imported: `tributary/storage/level` (level), `tributary/serializers/avro` (avsc),
 * `tributary/serializers/protobuf` (protobufjs types), `tributary/conformance` (vitest).
 * The default registry still names `level` and `avro`, loading their package on first use.
 */
import { Client, type ClientOptions } from './core/client/client.ts';
import type { Registry } from './core/registry.ts';
import { createDefaultRegistry } from './adapters/runtime/default-registry.ts';
import { tcpTransport } from './adapters/transport/index.ts';
import { nodeAsyncScope } from './adapters/runtime/async-scope.ts';

export * from './core/errors.ts';
export * from './core/contracts/index.ts';
export { Registry, createRegistry, type FactoryByKind, type PluginOf, type RegistryEntry } from './core/registry.ts';
export * from './core/records/index.ts';
export * from './core/storage/index.ts';
export * from './core/client/index.ts';
export { Broker, type BrokerOptions } from './core/broker/broker.ts';
export { DEFAULT_HANDLERS } from './core/broker/api/preset.ts';
export { ApiKey, SUPPORTED_VERSIONS } from './core/protocol/index.ts';
// The typed protocol: `ApiResponse<typeof ApiKey.Metadata>` is the decoded Metadata response.
export type { ApiRequest, ApiRequestInput, ApiResponse, ApiResponseInput, Messages } from './core/protocol/index.ts';

export * from './plugins/serializers/index.ts';
export * from './plugins/compressors/index.ts';
export * from './plugins/partitioners/index.ts';

export { memoryStorage, type MemoryStorageOptions } from './adapters/memory/index.ts';
export { filesystemStorage, type FilesystemStorageOptions } from './adapters/filesystem/index.ts';
export { startServer, type ServerOptions, type TributaryServer } from './adapters/server/index.ts';
export { tcpTransport, type TcpTransportOptions } from './adapters/transport/index.ts';
export { bestGzip, nativeGzip } from './adapters/runtime/gzip-native.ts';
export { bestZstd } from './adapters/runtime/zstd-native.ts';
export { createDefaultRegistry } from './adapters/runtime/default-registry.ts';
export { EmbeddedBroker, createBroker, type EmbeddedBrokerOptions, type EmbeddedClientOptions } from './adapters/runtime/embedded-broker.ts';
export { CONTROLLER_NODE_ID, EmbeddedCluster, createCluster, type EmbeddedClusterOptions } from './adapters/runtime/embedded-cluster.ts';
export { ClusterNetwork, type LinkState } from './adapters/runtime/cluster-network.ts';

/** The registry `createClient` and `createBroker` use unless given another: every built-in. */
export const defaultRegistry: Registry = createDefaultRegistry();

/** Options of {@link createClient}: transport and registry are optional here. */
export type CreateClientOptions = Omit<ClientOptions, 'transport' | 'registry'> & Partial<Pick<ClientOptions, 'transport' | 'registry'>>;

// The async scope lets a consumer tell a stop() called from inside its own handler from
// one called elsewhere, so that closing from a handler does not wait on itself.

/**
 * A client for any Kafka-compatible broker (`createClient({ brokers: ['127.0.0.1:9092'] })`),
 * over TCP with the built-in plugins unless told otherwise.
 */
export function createClient(options: CreateClientOptions): Client {
  return new Client({ transport: tcpTransport(), registry: defaultRegistry, asyncScope: nodeAsyncScope(), ...options });
}
